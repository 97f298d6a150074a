"""The objects a window opens with, set aside from the garbage collector's full passes.

Opening the main window imports and builds some 90,000 Python objects that live as long
as it does. The collector's full pass runs once the objects kept since its last pass
exceed a quarter of those it kept then, so the first tab to read 10,000 participants (the
register, a participant chooser) started one, and it walked that whole heap again: 40 to
50 ms of the tab's first show, twice that on a loaded machine. Frozen, they are not walked;
thawed when the window closes, whatever a closed window leaves in reference cycles is
collected as before (a frozen object is never collected).
"""

from __future__ import annotations

import gc


def keep_for_the_window() -> None:
    """Every object alive now is left out of the collector's passes (gc.freeze)."""
    gc.freeze()


def release() -> None:
    """The frozen objects are collected again, like any other (gc.unfreeze)."""
    gc.unfreeze()
