"""The register through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from services import participants
from services.context import Actor, App
from services.errors import Conflict, PermissionDenied, Refused


def test_add_find_edit_withdraw(app: App, study: dict[str, Actor]) -> None:
    cora = study["cora"]
    participants.add(app, cora, "7", registered_on=dt.date(2026, 1, 5))
    for spelling in ("7", "P7", "P007", "sub-007"):
        assert participants.get(app, cora, spelling).label == "P007"
    row = participants.edit(app, cora, "P7", {"notes": "prefers mornings"}, "asked at visit")
    assert row.notes == "prefers mornings" and row.version == 2
    row = participants.withdraw(app, cora, "sub-007", "moved abroad", dt.date(2026, 2, 1))
    assert row.status == "withdrawn" and row.withdrawal_reason == "moved abroad"


def test_same_person_in_another_spelling_is_refused(app: App, study: dict[str, Actor]) -> None:
    participants.add(app, study["cora"], "P007")
    with pytest.raises(Refused, match="P007 already exists"):
        participants.add(app, study["cora"], "7")
    assert len(participants.list_participants(app, study["cora"])) == 1


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_withdraw_and_edit_need_a_reason(app: App, study: dict[str, Actor], reason) -> None:  # type: ignore[no-untyped-def]
    participants.add(app, study["cora"], 3)
    with pytest.raises(Refused, match="needs a reason"):
        participants.withdraw(app, study["cora"], 3, reason)
    with pytest.raises(Refused, match="needs a reason"):
        participants.edit(app, study["cora"], 3, {"notes": "x"}, reason)
    assert participants.get(app, study["cora"], 3).status == "registered"


def test_roles_are_enforced_by_the_service(app: App, study: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied, match="statistician"):
        participants.add(app, study["stella"], 1)
    assert participants.list_participants(app, study["stella"]) == []


def test_unknown_stratum_and_bad_id(app: App, study: dict[str, Actor]) -> None:
    with pytest.raises(Refused, match="unknown stratum"):
        participants.add(app, study["cora"], 1, stratum="NTNA?")
    with pytest.raises(Refused, match="not a participant ID"):
        participants.add(app, study["cora"], "Q12")


def test_second_editor_gets_a_conflict_naming_the_first(app: App, study: dict[str, Actor]) -> None:
    participants.add(app, study["cora"], 5)
    seen_by_ivan = participants.get(app, study["ivan"], 5)
    participants.edit(app, study["cora"], 5, {"notes": "first"}, "update", seen_by_ivan.version)
    with pytest.raises(Conflict, match="by cora"):
        participants.edit(app, study["ivan"], 5, {"notes": "second"}, "update",
                          seen_by_ivan.version)
    assert participants.get(app, study["ivan"], 5).notes == "first"


def test_registration_schedules_the_visits_anchored_on_it(app: App,
                                                          study: dict[str, Actor]) -> None:
    participants.add(app, study["cora"], 1, registered_on=dt.date(2026, 3, 2))
    with app.read() as s:
        from db.models import Visit

        visits = {v.visit: v for v in s.query(Visit).all()}
    assert visits["baseline"].target_date == dt.date(2026, 3, 2)
    assert visits["baseline"].window_end == dt.date(2026, 3, 16)
    assert visits["dose1"].target_date is None  # waits for enrolment


def test_a_chooser_lists_labels_and_statuses_in_number_order_or_one_status(
        app: App, study: dict[str, Actor]) -> None:
    cora = study["cora"]
    for n in (12, 3, 7):
        participants.add(app, cora, n)
    participants.withdraw(app, cora, 7, "moved abroad")
    assert participants.chooser_rows(app, cora) == [
        ("P003", "registered"), ("P007", "withdrawn"), ("P012", "registered")]
    assert participants.chooser_rows(app, cora, status="registered") == [
        ("P003", "registered"), ("P012", "registered")]
    assert participants.chooser_rows(app, cora, status="enrolled") == []
