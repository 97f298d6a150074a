"""A workaround for PySide6 6.12.0 on CPython 3.11: methods that return None (every void
method, and null pointers) hand it back without a reference of their own, so each call
takes one from None. pyqtgraph makes thousands of such calls per redraw, and within
seconds CPython aborts with "none_dealloc: deallocating None".

None is never freed, so the fix gives it what CPython 3.12 gives it anyway: a reference
count no number of calls can exhaust. The loss is measured first; on a fixed PySide6
or a newer CPython nothing is changed. It belongs beside gui/pyside_fix.py (bools).
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QObject

PROBES = 64
IMMORTAL = 1 << 40  # about 10**12 calls: more than any session makes


def _add_references(count: int) -> None:
    """ob_refcnt is the first field of every CPython object."""
    ctypes.c_ssize_t.from_address(id(None)).value += count


def _loses_references() -> bool:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(PROBES):
        probe.setObjectName("probe")
    lost = before - sys.getrefcount(None)
    _add_references(max(lost, 0))
    return lost >= PROBES // 2


def install() -> None:
    """Idempotent: measured and applied once per process."""
    if getattr(QObject, "_none_refcount_checked", False):
        return
    if sys.version_info < (3, 12) and _loses_references():
        _add_references(IMMORTAL)
    QObject._none_refcount_checked = True  # type: ignore[attr-defined]
