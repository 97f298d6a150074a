"""A view's deferred work dies with it: a zero-delay timer a view starts when shown (the
group view loads once its first paint is done) must not run after the view is deleted,
as it does when the window is closed in the same turn of the event loop. PySide calls
a bare bound method into the deleted view ("Internal C++ object already deleted");
given the view as the timer's context, Qt drops the call."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from gui.plots.group_view import GroupView
from services.context import Actor, App


def test_a_group_view_closed_right_after_it_was_shown_is_not_called(
        qtbot: QtBot, sqlite_app: App, actors: dict[str, Actor]) -> None:
    window = QWidget()
    view = GroupView(sqlite_app, actors["cora"], window)
    window.show()  # the view is shown stale: it asks to load on the next turn
    assert view.stale and view.isVisible()
    shiboken6.delete(window)  # closed and deleted before that turn
    qtbot.wait(50)  # the turn: an exception in a slot fails the test (pytest-qt)
    assert not shiboken6.isValid(view)
