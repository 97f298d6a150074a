"""A process-wide workaround for a reference-counting bug in PySide6 6.12.0.

SignalInstance.emit() and .disconnect() return a bool without a reference of
its own, so every call takes one from True or False, and after a few hundred
emits CPython aborts with "bool_dealloc: deallocating True or False". Every
signal the window emits (progress from a worker, pyqtgraph's own signals) goes
through them. The loss is measured once; only where it happens does each
returned bool get its reference back, so a fixed PySide6 is left alone.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

PROBES = 64
_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]


class _Probe(QObject):
    fired = Signal()


def _bool_refs() -> tuple[int, int]:
    return sys.getrefcount(True), sys.getrefcount(False)


def _loses_a_reference(call: Callable[[_Probe], object]) -> bool:
    """Call PROBES times; give back what was lost; say whether anything was."""
    probe = _Probe()
    before = _bool_refs()
    for _ in range(PROBES):
        call(probe)
    lost = [b - a for b, a in zip(before, _bool_refs(), strict=True)]
    for value, count in zip((True, False), lost, strict=True):
        for _ in range(max(count, 0)):
            _incref(value)
    return sum(lost) >= PROBES // 2


def _returning_its_own_reference(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: SignalInstance, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        if isinstance(result, bool):
            _incref(result)
        return result

    return call


def _connect_and_disconnect(probe: _Probe) -> None:
    probe.fired.connect(_bool_refs)
    probe.fired.disconnect(_bool_refs)


def install() -> None:
    """Idempotent; gui/__init__.py runs it before any window or test emits a signal."""
    if getattr(SignalInstance, "_refcount_checked", False):
        return
    if _loses_a_reference(lambda probe: probe.fired.emit()):
        SignalInstance.emit = _returning_its_own_reference(SignalInstance.emit)
    if _loses_a_reference(_connect_and_disconnect):
        SignalInstance.disconnect = _returning_its_own_reference(SignalInstance.disconnect)
    SignalInstance._refcount_checked = True
