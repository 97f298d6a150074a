"""Two people saving the same visit: the second is refused naming the first, nothing is lost.

Each "desktop" is its own App (own engine and connections) on the same database,
on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from services import accounts, visits
from services.context import Actor, App
from services.errors import Conflict
from tests.conftest import PASSWORDS
from tests.test_visits import Running, enrol, row, running_study, snapshot

CODY = Actor("cody", "coordinator")


@pytest.fixture
def two_desks(db_url: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[tuple[Running, App]]:
    app, actors = running_study(db_url, tmp_path_factory)
    accounts.add_user(app, actors["admin"], "cody", "coordinator", PASSWORDS["cora"])
    other = App(db_url)
    yield (app, actors), other
    other.close()
    app.close()


def test_second_save_is_refused_naming_who_saved_first(two_desks: tuple[Running, App]) -> None:
    (app, a), other = two_desks
    enrol(app, a, 1)
    seen_by_cora = row(app, a["cora"], 1, "dose1")
    seen_by_cody = row(other, CODY, 1, "dose1")
    assert seen_by_cora.version == seen_by_cody.version
    visits.book(app, a["cora"], 1, "dose1", "2026-03-15", expected_version=seen_by_cora.version)
    before = snapshot(app)
    with pytest.raises(Conflict, match=r"P001/dose1 was changed by cora at .* nothing was saved"):
        visits.book(other, CODY, 1, "dose1", "2026-03-17",
                    expected_version=seen_by_cody.version)
    with pytest.raises(Conflict, match="by cora"):
        visits.log(other, CODY, 1, "dose1", date="2026-03-16", status="missed",
                   reason="did not come", expected_version=seen_by_cody.version)
    assert snapshot(app) == before
    assert row(other, CODY, 1, "dose1").booked == dt.date(2026, 3, 15)


def test_a_save_racing_another_loses_nothing(two_desks: tuple[Running, App],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Cody saves while Cora's save is between its version check and its write.

    PostgreSQL lets Cody commit first, so Cora's UPDATE finds a newer version
    (SQLAlchemy's version counter) and she gets the Conflict; SQLite queues Cody
    behind Cora's write lock, so he gets it. Either way one booking wins whole.
    """
    (app, a), other = two_desks
    enrol(app, a, 1)
    seen = row(app, a["cora"], 1, "dose1").version
    outcome: dict[str, object] = {}
    original = visits.check_version

    def cody_books() -> None:
        try:
            outcome["cody"] = visits.book(other, CODY, 1, "dose1", "2026-03-17",
                                          expected_version=seen)
        except Conflict as exc:
            outcome["cody"] = exc

    def check_then_let_cody_in(session, obj, expected):  # type: ignore[no-untyped-def]
        original(session, obj, expected)
        if threading.current_thread() is threading.main_thread():
            cody = threading.Thread(target=cody_books)
            cody.start()
            cody.join(timeout=1.0)  # PostgreSQL: done; SQLite: waiting for the lock
            outcome["thread"] = cody

    monkeypatch.setattr(visits, "check_version", check_then_let_cody_in)
    try:
        outcome["cora"] = visits.book(app, a["cora"], 1, "dose1", "2026-03-15",
                                      expected_version=seen)
    except Conflict as exc:
        outcome["cora"] = exc
    thread = outcome["thread"]
    assert isinstance(thread, threading.Thread)
    thread.join(timeout=20)
    losers = [who for who in ("cora", "cody") if isinstance(outcome[who], Conflict)]
    assert len(losers) == 1, outcome
    winner = "cody" if losers == ["cora"] else "cora"
    assert f"by {winner}" in str(outcome[losers[0]])
    booked = row(app, a["cora"], 1, "dose1").booked
    assert booked == {"cora": dt.date(2026, 3, 15), "cody": dt.date(2026, 3, 17)}[winner]
