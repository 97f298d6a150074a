"""Whether a tab's view may be out of date when it is shown again.

Every change to the study writes an audit entry, so an unchanged last entry number
(services.study.change_mark) and the same day (due and overdue lists depend on it)
mean the rows on screen are still current: showing the tab again costs one tiny
query instead of re-reading thousands of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from services import study
from services.context import App


class Freshness:
    def __init__(self, app: App, today: Callable[[], dt.date] = dt.date.today):
        self.app, self.today = app, today
        self.seen: tuple[int, dt.date] | None = None

    def stale(self) -> bool:
        """True the first time and whenever the study or the day changed since the last
        call; the caller then reads its data again."""
        now = (study.change_mark(self.app), self.today())
        changed, self.seen = now != self.seen, now
        return changed
