"""The objects a window opens with are kept out of the garbage collector's full passes
while it is open (gui/common/heap.py), and handed back to it when it closes."""

from __future__ import annotations

import gc

from pytestqt.qtbot import QtBot

from gui.window.main_window import MainWindow
from services.context import Actor, App
from tests.gui.conftest import settled


def test_the_window_freezes_what_it_opened_with_until_it_closes(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor]) -> None:
    gc.unfreeze()  # whatever an earlier test's window left frozen
    window = MainWindow(sqlite_app, actors["cora"])
    qtbot.addWidget(window)
    window.show()
    settled(qtbot, window)
    assert gc.get_freeze_count() > 10_000  # the window's widgets and the modules it uses
    assert not any(o is window for o in gc.get_objects())  # not walked by a full pass
    window.close()  # as the title bar's close button does
    assert gc.get_freeze_count() == 0
    assert any(o is window for o in gc.get_objects())  # collectable again
