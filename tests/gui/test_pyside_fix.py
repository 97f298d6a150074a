"""Thousands of emits and disconnects leave True and False as they were (PySide6 6.12.0
takes a reference on each; CPython aborts once True's run out)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import gui  # noqa: F401 (installs the fix)


class Emitter(QObject):
    changed = Signal(int)


def _slot(value: int) -> None:
    pass


def test_signals_keep_the_references_of_true_and_false() -> None:
    emitter = Emitter()
    emitter.changed.connect(lambda value: None)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(5000):
        emitter.changed.emit(i)
        emitter.changed.connect(_slot)
        emitter.changed.disconnect(_slot)
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
