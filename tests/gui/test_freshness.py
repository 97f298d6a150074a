"""A tab shown again re-reads only when the study or the day changed."""

from __future__ import annotations

import datetime as dt

from gui.common.freshness import Freshness
from services import participants
from services.context import Actor, App


def test_stale_after_any_audited_change_or_a_new_day(sqlite_app: App,
                                                     actors: dict[str, Actor]) -> None:
    days = [dt.date(2026, 3, 1)]
    fresh = Freshness(sqlite_app, today=lambda: days[-1])
    assert fresh.stale() and not fresh.stale()
    participants.add(sqlite_app, actors["cora"], 3)
    assert fresh.stale() and not fresh.stale()
    days.append(dt.date(2026, 3, 2))
    assert fresh.stale() and not fresh.stale()
