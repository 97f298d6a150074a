"""Counting the SELECT statements a service runs: a list that reads a statement per row
(lazy-loaded relationships) slows a tab with the study's size, which a test can catch
without timing anything."""

from __future__ import annotations

from sqlalchemy import event

from services.context import App


class Statements:
    """The SELECT statements `app`'s engine runs while the block is open."""

    def __init__(self, app: App):
        self.engine, self.seen = app.engine, []

    def _record(self, conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN
            self.seen.append(statement)

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)
