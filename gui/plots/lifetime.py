"""Plot views are deleted before the interpreter shuts down, not during.

A pyqtgraph scene still alive when CPython finalizes is torn down by Qt while
Python is half gone: its items' Python overrides (resize, size hints) fail,
and reporting that failure crashes PySide6 6.12 (a segfault at exit, seen in
every test run that leaves a window for the last garbage collection). Views
registered here are deleted by an atexit handler, while Python still works.
"""

from __future__ import annotations

import atexit
import weakref
from typing import TypeVar

import shiboken6
from PySide6.QtWidgets import QGraphicsView

V = TypeVar("V", bound=QGraphicsView)
_views: weakref.WeakSet[QGraphicsView] = weakref.WeakSet()


def delete_at_exit(view: V) -> V:
    _views.add(view)
    return view


@atexit.register
def _delete_views() -> None:
    for view in list(_views):
        if shiboken6.isValid(view):
            shiboken6.delete(view)
