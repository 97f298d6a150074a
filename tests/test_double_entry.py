"""Double data entry (protocol `double_entry = true`, the reference's likability_angry)
through the service layer, on SQLite and PostgreSQL: first entry, agreement, the same
person twice, a mismatch and its resolution, roles, the lock checklist and a locked study."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from services import accounts, data_entry, double_entry, imports, lock
from services.context import Actor, App
from services.errors import PermissionDenied, Refused
from tests.db_digest import digest
from tests.importers.files import write_csv
from tests.importers.helpers import answers, baseline_study, stored, verified
from tests.lock_helpers import password, ready_to_lock

DORA = Actor("dora", "coordinator")
LIKING = {"lik_angry_1": "2", "lik_angry_2": "4", "lik_angry_3": "6", "lik_angry_4": "8"}


def _add_dora(app: App, admin: Actor) -> None:
    accounts.add_user(app, admin, "dora", "coordinator", "dora-pass-1")


@pytest.fixture
def people(app: App) -> dict[str, Actor]:
    """P001 with a done baseline; cora and dora (coordinators), ivan, stella."""
    actors = baseline_study(app, [1], done=[1])
    _add_dora(app, actors["admin"])
    return {**actors, "dora": DORA}


def _pending(app: App, actor: Actor) -> list[tuple[str, str, str | None, str | None]]:
    return [(r.name, r.status, r.first_value, r.second_value)
            for r in double_entry.pending(app, actor)]


def test_two_people_agreeing_store_the_value_scored_as_any_entry(
        app: App, people: dict[str, Actor]) -> None:
    cora, dora = people["cora"], people["dora"]
    first = data_entry.set_values(app, cora, "P001", "baseline", {**LIKING, "tsnr": "50"})
    assert {d["status"] for d in first.double_entry} == {"waiting"}
    assert stored(app) == {("P001", "baseline", "tsnr"): 50.0}  # tsnr is no double entry
    assert not answers(app), "a first entry is not stored"
    assert "lik_angry_1" not in {r["name"] for r in data_entry.show(app, dora, 1)}
    # the second person is not shown the first entry's values
    assert _pending(app, dora) == [(n, "waiting", None, None) for n in sorted(LIKING)]
    second = data_entry.set_values(app, dora, 1, "baseline",
                                   {**LIKING, "lik_angry_2": "4.0"})
    assert {d["status"] for d in second.double_entry} == {"agreed"}
    assert answers(app)[("P001", "baseline", "lik_angry_2")] == 4.0
    assert stored(app)[("P001", "baseline", "likability_angry")] == 5.0  # the items' mean
    shown = {r["name"]: r for r in data_entry.show(app, cora, 1)}
    assert shown["lik_angry_3"]["user"] == "dora"
    assert shown["lik_angry_3"]["double_entry"] == ["cora", "dora"]
    assert shown["tsnr"]["double_entry"] is None
    assert double_entry.pending(app, cora) == []
    assert {i.key: i.ok for i in lock.checklist(app, cora)}["double_entry"]
    assert verified(app, cora)


def test_the_same_person_entering_twice_is_refused_and_nothing_written(
        app: App, people: dict[str, Actor]) -> None:
    cora = people["cora"]
    data_entry.set_values(app, cora, 1, "baseline", {"lik_angry_1": "3"})
    before = digest(app.url, except_attempts=True)
    with pytest.raises(Refused, match="lik_angry_1 of P001 baseline: you entered it "
                                      "already; double data entry needs a second, different"):
        data_entry.set_values(app, cora, 1, "baseline", {"lik_angry_1": "3", "tsnr": "50"})
    assert digest(app.url, except_attempts=True) == before


def test_a_mismatch_waits_for_a_resolver_who_decides_with_a_reason(
        app: App, people: dict[str, Actor]) -> None:
    cora, dora, ivan, stella = people["cora"], people["dora"], people["ivan"], people["stella"]
    data_entry.set_values(app, cora, 1, "baseline", {"lik_angry_1": "3"})
    result = data_entry.set_values(app, dora, 1, "baseline", {"lik_angry_1": "7"})
    assert result.double_entry == [{"name": "lik_angry_1", "status": "mismatch",
                                    "label": "Likability of angry faces, item 1"}]
    assert result.entry_id is None and not answers(app)
    assert _pending(app, ivan) == [("lik_angry_1", "mismatch", "3", "7")]
    items = {i.key: i for i in lock.checklist(app, ivan)}
    assert not items["double_entry"].ok
    assert [p.record for p in items["double_entry"].problems] == [
        "P001/baseline/lik_angry_1"]
    assert "3" not in items["double_entry"].problems[0].message  # values stay out of it
    accounts.add_user(app, people["admin"], "carl", "coordinator", "carl-pass-1")
    before = digest(app.url, except_attempts=True)
    refusals = [
        (lambda: data_entry.set_values(app, Actor("carl", "coordinator"), 1, "baseline",
                                       {"lik_angry_1": "3"}), Refused, "wait for a resolver"),
        (lambda: data_entry.resolve(app, ivan, 1, "baseline", {"lik_angry_1": "3"}, " "),
         Refused, "resolving a double data entry needs a reason"),
        (lambda: data_entry.resolve(app, dora, 1, "baseline", {"lik_angry_1": "3"}, "paper"),
         Refused, "dora entered it; a mismatch is resolved by someone who entered neither"),
        (lambda: data_entry.resolve(app, stella, 1, "baseline", {"lik_angry_1": "3"}, "x"),
         PermissionDenied, r"values\.resolve is for coordinator, investigator"),
        (lambda: data_entry.resolve(app, ivan, 1, "baseline", {"lik_angry_2": "3"}, "x"),
         Refused, "lik_angry_2 of P001 baseline has no first entry or mismatch"),
        (lambda: data_entry.resolve(app, ivan, 1, "baseline", {"lik_angry_1": "10"}, "x"),
         Refused, "lik_angry_1: 10 is outside the range"),
    ]
    for call, error, message in refusals:
        with pytest.raises(error, match=message):
            call()
    assert digest(app.url, except_attempts=True) == before
    decided = data_entry.resolve(app, ivan, 1, "baseline", {"lik_angry_1": "3"},
                                 "the paper form says 3")
    assert decided.double_entry == [{"name": "lik_angry_1", "status": "resolved",
                                     "label": "Likability of angry faces, item 1"}]
    assert answers(app)[("P001", "baseline", "lik_angry_1")] == 3.0
    assert double_entry.pending(app, ivan) == []
    shown = {r["name"]: r for r in data_entry.show(app, cora, 1)}["lik_angry_1"]
    assert (shown["user"], shown["double_entry"]) == ("ivan", ["cora", "dora"])
    with app.read() as s:
        reasons = set(s.scalars(select(AuditEntry.reason)
                                .where(AuditEntry.action == "values.resolve")))
    assert reasons == {"the paper form says 3"}
    assert verified(app, cora)


def test_a_first_entry_nobody_repeats_may_be_resolved_too(
        app: App, people: dict[str, Actor]) -> None:
    data_entry.set_values(app, people["cora"], 1, "baseline", {"lik_angry_4": "5"})
    data_entry.resolve(app, people["ivan"], 1, "baseline", {"lik_angry_4": "5"},
                       "the second coordinator left; checked against the paper form")
    assert answers(app)[("P001", "baseline", "lik_angry_4")] == 5.0


def test_a_stored_value_is_corrected_with_a_reason_not_entered_twice(
        app: App, people: dict[str, Actor], tmp_path) -> None:  # type: ignore[no-untyped-def]
    """File imports store directly; changing what they stored is the usual correction."""
    cora = people["cora"]
    path = write_csv(tmp_path / "lik.csv", ["participant", "visit", "lik_angry_1"],
                     [["P001", "baseline", "2"]])
    imports.commit(app, cora, imports.ImportOptions("questionnaire", str(path)))
    assert answers(app)[("P001", "baseline", "lik_angry_1")] == 2.0
    with pytest.raises(Refused, match="needs a reason"):
        data_entry.set_values(app, cora, 1, "baseline", {"lik_angry_1": "5"})
    result = data_entry.set_values(app, cora, 1, "baseline", {"lik_angry_1": "5"}, "typo")
    assert result.double_entry == [] and result.values[0]["state"] == "changed"
    assert answers(app)[("P001", "baseline", "lik_angry_1")] == 5.0


def test_wrong_role_and_locked_study_are_refused(app: App) -> None:
    actors = ready_to_lock(app)
    cora, ivan = actors["cora"], actors["ivan"]
    _add_dora(app, actors["admin"])
    with pytest.raises(PermissionDenied, match=r"values\.enter is for coordinator"):
        data_entry.set_values(app, ivan, 1, "baseline", {"lik_angry_1": "3"})
    data_entry.set_values(app, cora, 1, "baseline", {"lik_angry_1": "3"})
    with pytest.raises(Refused, match="every double data entry complete"):
        lock.lock(app, ivan, "final", password(ivan))
    data_entry.set_values(app, DORA, 1, "baseline", {"lik_angry_1": "3"})
    data_entry.set_values(app, cora, 2, "baseline", {"lik_angry_2": "3"})
    data_entry.resolve(app, ivan, 2, "baseline", {"lik_angry_2": "3"}, "paper form")
    lock.lock(app, ivan, "final", password(ivan))
    for call in (lambda: data_entry.set_values(app, cora, 1, "dose1", {"lik_angry_1": "3"}),
                 lambda: data_entry.resolve(app, ivan, 1, "dose1", {"lik_angry_1": "3"}, "x")):
        with pytest.raises(Refused, match="locked"):
            call()


def test_the_trail_withholds_a_first_value_until_a_second_person_enters_it(
        app: App, people: dict[str, Actor], tmp_path) -> None:
    """dora reads the audit trail (coordinators have audit.read): the first entry's value
    must not be there for her to copy, in the tab's entries or the CSV export; after her
    own entry it is, and `audit verify` is untouched by what is shown."""
    from services import audit_trail

    cora, dora = people["cora"], people["dora"]
    data_entry.set_values(app, cora, 1, "baseline", {"lik_angry_1": "7", "tsnr": "57"})

    def double_entry_texts() -> list[str]:
        return [f"{e['before']} {e['after']}" for e in audit_trail.entries(app, dora)
                if e["entity"] == "double_entries"]

    assert double_entry_texts() and all('"first_value":"7"' not in t
                                        for t in double_entry_texts())
    assert all(audit_trail.WITHHELD in t for t in double_entry_texts())
    audit_trail.export(app, dora, tmp_path / "trail.csv")
    exported = (tmp_path / "trail.csv").read_text(encoding="utf-8")
    assert audit_trail.WITHHELD in exported and '""first_value"":""7""' not in exported
    hand_entry = [str(e["after"]) for e in audit_trail.entries(app, dora)
                  if e["entity"] == "imports"]
    assert any("tsnr" in t and "57" in t for t in hand_entry)  # other values shown as ever
    assert not any("lik_angry_1" in t for t in hand_entry)  # nor the value by another way
    assert verified(app, cora)

    data_entry.set_values(app, dora, 1, "baseline", {"lik_angry_1": "7"})
    assert any('"first_value":"7"' in t for t in double_entry_texts())
    assert not any(audit_trail.WITHHELD in t for t in double_entry_texts())
