"""Hand entry, corrections, queries and SDV through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import ImportRecord
from services import (
    accounts,
    audit_trail,
    casebook,
    data_entry,
    imports,
    lock,
    missing_values,
    participants,
    queries,
    sdv,
    visits,
)
from services.context import Actor, App
from services.errors import NotFound, PermissionDenied, Refused
from services.study import init_study
from tests.conftest import PASSWORDS, REFERENCE
from tests.importers.files import write_csv
from tests.importers.helpers import answers, baseline_study, registered, stored, verified

MONA = Actor("mona", "monitor")
ANXIETY = {"anx_1": "2", "anx_2": "3", "anx_3": "1", "anx_4": "4"}  # anx_3 reversed: 14


def _with_monitor(app: App, actors: dict[str, Actor]) -> dict[str, Actor]:
    accounts.add_user(app, actors["admin"], "mona", "monitor", PASSWORDS["mona"])
    return {**actors, "mona": MONA}


@pytest.fixture
def people(app: App) -> dict[str, Actor]:
    """P001 and P002 registered; only P001's baseline is done."""
    return _with_monitor(app, baseline_study(app, [1, 2], done=[1]))


def _actions(app: App, actor: Actor) -> list[str]:
    return [e["action"] for e in audit_trail.entries(app, actor)]


def test_hand_entry_is_checked_and_scored_as_an_import(app: App,
                                                       people: dict[str, Actor]) -> None:
    cora = people["cora"]
    result = data_entry.set_values(app, cora, "P001", "baseline", {"fd_mean": "0.2", **ANXIETY})
    assert result.entry_id is not None and not result.sdv_cleared
    assert {v["name"]: v["state"] for v in result.values}["subjective_anxiety"] == "new"
    values = stored(app)
    assert values[("P001", "baseline", "fd_mean")] == 0.2
    assert values[("P001", "baseline", "subjective_anxiety")] == 14.0
    assert answers(app)[("P001", "baseline", "anx_3")] == 1.0
    shown = {r["name"]: r for r in data_entry.show(app, cora, 1, visit="baseline")}
    assert shown["fd_mean"]["source"] == "entry" and shown["fd_mean"]["user"] == "cora"
    assert shown["anx_1"]["kind"] == "answer" and shown["anx_1"]["import_id"] is None
    again = data_entry.set_values(app, cora, 1, "baseline", {"fd_mean": "0.2"})
    assert again.entry_id is None and again.values[0]["state"] == "unchanged"
    assert verified(app, cora)


def test_hand_entry_refusals_write_nothing(app: App, people: dict[str, Actor]) -> None:
    cora, mona = people["cora"], people["mona"]
    with app.read() as s:
        before = s.scalar(select(func.count()).select_from(ImportRecord))
    cases = [
        (cora, 2, {"fd_mean": "0.2"}, "values are entered for a done visit only"),
        (cora, 1, {"fd_mean": "11"}, "fd_mean: 11 is outside the range of fd_mean"),
        (cora, 1, {"nonsense": "1"}, "not a measure, scale or item"),
        (cora, 1, {"fd_mean": "abc"}, "'abc' is not a number"),
        (cora, 1, {"anx_1": "9"}, "anx_1: 9 is outside the range of anx_1"),
        (cora, 1, {"subjective_anxiety": "21"}, "outside the range of subjective_anxiety"),
        (cora, 1, {}, "no values given"),
    ]
    for actor, who, values, message in cases:
        with pytest.raises(Refused, match=message):
            data_entry.set_values(app, actor, who, "baseline", values)
    with pytest.raises(PermissionDenied):
        data_entry.set_values(app, mona, 1, "baseline", {"fd_mean": "0.2"})
    with pytest.raises(Refused) as caught:
        data_entry.set_values(app, cora, 1, "baseline", {"fd_mean": "11"})
    assert "fd_mean" in caught.value.details[0] and "range" in caught.value.details[0]
    with app.read() as s:
        assert s.scalar(select(func.count()).select_from(ImportRecord)) == before


def test_changing_a_stored_value_needs_a_reason_and_is_audited_old_to_new(
        app: App, people: dict[str, Actor], tmp_path: Path) -> None:
    cora = people["cora"]
    path = write_csv(tmp_path / "scans.csv", ["participant", "visit", "fd_mean"],
                     [["P001", "baseline", "0.25"]])
    report = imports.commit(app, cora, imports.ImportOptions("scans", str(path)))
    assert report.committed
    with pytest.raises(Refused, match="needs a reason"):
        data_entry.set_values(app, cora, 1, "baseline", {"fd_mean": "0.3"})
    assert stored(app)[("P001", "baseline", "fd_mean")] == 0.25
    result = data_entry.set_values(app, cora, 1, "baseline", {"fd_mean": "0.3"},
                                   reason="transcription error")
    assert result.values[0]["old"] == 0.25 and result.values[0]["state"] == "changed"
    change = [e for e in audit_trail.entries(app, cora) if e["entity"] == "observations"][-1]
    assert json.loads(change["before"])["value"] == 0.25
    assert json.loads(change["after"])["value"] == 0.3
    assert change["reason"] == "transcription error"
    shown = data_entry.show(app, cora, 1)
    assert [r["source"] for r in shown if r["name"] == "fd_mean"] == ["entry"]
    assert verified(app, cora)


def test_a_score_is_entered_by_hand_only_without_items(app: App,
                                                       people: dict[str, Actor]) -> None:
    cora = people["cora"]
    data_entry.set_values(app, cora, 1, "baseline", {"subjective_introspection": "12"})
    assert stored(app)[("P001", "baseline", "subjective_introspection")] == 12.0
    data_entry.set_values(app, cora, 1, "baseline", ANXIETY)
    with pytest.raises(Refused, match="enter the items instead"):
        data_entry.set_values(app, cora, 1, "baseline", {"subjective_anxiety": "12"},
                              reason="paper total")
    data_entry.set_values(app, cora, 1, "baseline", {"anx_1": "5"}, reason="misread")
    assert stored(app)[("P001", "baseline", "subjective_anxiety")] == 17.0


def test_query_conversation_answer_with_correction_and_close(
        app: App, people: dict[str, Actor]) -> None:
    cora, mona = people["cora"], people["mona"]
    data_entry.set_values(app, cora, 1, "baseline", {"tsnr": "50"})
    with pytest.raises(PermissionDenied):
        queries.open_query(app, cora, 1, "baseline", "tsnr", "too low?")
    with pytest.raises(Refused, match="needs a text"):
        queries.open_query(app, mona, 1, "baseline", "tsnr", " ")
    q = queries.open_query(app, mona, 1, "baseline", "tsnr", "50 looks too low")
    assert q.status == "open" and q.text == "50 looks too low"
    with pytest.raises(PermissionDenied):
        queries.answer(app, mona, q.id, "fine")
    with pytest.raises(Refused, match="needs a reason"):
        queries.answer(app, cora, q.id, "typo", value="150")
    answered, corrected = queries.answer(app, cora, q.id, "typo in the scan log",
                                         value="150", reason="source says 150")
    assert answered.status == "answered" and corrected is not None
    assert stored(app)[("P001", "baseline", "tsnr")] == 150.0
    with pytest.raises(Refused, match="only an open query"):
        queries.answer(app, cora, q.id, "again")
    assert [r.id for r in queries.list_queries(app, mona, status="answered")] == [q.id]
    closed = queries.close(app, mona, q.id, "agreed")
    assert closed.status == "closed"
    assert [m["kind"] for m in closed.messages] == ["open", "answer", "close"]
    reopened = queries.reopen(app, mona, q.id, "source page 2 disagrees")
    assert reopened.status == "open"
    assert queries.list_queries(app, cora, participant="P002") == []
    with pytest.raises(NotFound):
        queries.close(app, mona, 999)
    assert {"query.open", "query.answer", "query.close", "query.reopen"} <= set(
        _actions(app, cora))
    assert verified(app, cora)


def test_sdv_mark_undo_and_cleared_by_a_later_change(app: App,
                                                     people: dict[str, Actor]) -> None:
    cora, mona = people["cora"], people["mona"]
    data_entry.set_values(app, cora, 1, "baseline", {"tsnr": "50"})
    with pytest.raises(PermissionDenied):
        sdv.mark(app, cora, 1, "baseline")
    with pytest.raises(Refused, match="only a done visit"):
        sdv.mark(app, mona, 2, "baseline")
    assert [r.participant for r in sdv.list_marks(app, mona, pending=True)] == ["P001"]
    assert sdv.mark(app, mona, 1, "baseline").verified
    with pytest.raises(Refused, match="already source-verified"):
        sdv.mark(app, mona, 1, "baseline")
    assert sdv.list_marks(app, mona, pending=True) == []
    with pytest.raises(Refused, match="needs a reason"):
        sdv.mark(app, mona, 1, "baseline", undo=True)
    sdv.mark(app, mona, 1, "baseline", undo=True, reason="marked the wrong visit")
    sdv.mark(app, mona, 1, "baseline")
    result = data_entry.set_values(app, cora, 1, "baseline", {"tsnr": "60"}, reason="recount")
    assert result.sdv_cleared
    assert [r.verified for r in sdv.list_marks(app, mona)] == [False]
    cleared = [e for e in audit_trail.entries(app, cora) if e["action"] == "sdv.cleared"]
    assert len(cleared) == 1 and "after source-data verification" in cleared[0]["reason"]
    assert verified(app, cora)


def test_sdv_marks_of_one_participant_are_theirs_only(app: App,
                                                    people: dict[str, Actor]) -> None:
    """The Visits tab asks for the listed participant's marks only: the same rows as the
    whole study's list, filtered, in any spelling of the ID."""
    cora, mona = people["cora"], people["mona"]
    visits.log(app, cora, 2, "baseline", date=registered() + dt.timedelta(days=1))
    sdv.mark(app, mona, 2, "baseline")
    everyone = sdv.list_marks(app, mona)
    assert [(r.participant, r.verified) for r in everyone] == [("P001", False), ("P002", True)]
    for spelling in ("P002", 2, "p002"):
        assert sdv.list_marks(app, mona, participant=spelling) == everyone[1:]
    assert sdv.list_marks(app, mona, participant="P001") == everyone[:1]
    assert sdv.list_marks(app, mona, pending=True, participant="P002") == []
    with pytest.raises(NotFound):
        sdv.list_marks(app, mona, participant="P009")


def test_lock_checklist_lists_open_queries(app: App, people: dict[str, Actor]) -> None:
    cora, mona = people["cora"], people["mona"]
    data_entry.set_values(app, cora, 1, "baseline", {"tsnr": "50"})
    items = {i.key: i for i in lock.checklist(app, cora)}
    assert items["queries"].ok and "sdv" not in items
    q = queries.open_query(app, mona, 1, "baseline", "tsnr", "too low?")
    queries.answer(app, cora, q.id, "checked, correct")
    items = {i.key: i for i in lock.checklist(app, cora)}
    assert not items["queries"].ok
    assert [p.record for p in items["queries"].problems] == [f"query {q.id}"]
    queries.close(app, mona, q.id)
    assert {i.key: i for i in lock.checklist(app, cora)}["queries"].ok


def test_lock_checklist_sdv_item_when_the_protocol_requires_it(app: App,
                                                               tmp_path: Path) -> None:
    text = Path(REFERENCE).read_text(encoding="utf-8").replace(
        "[study]\n", "[study]\nrequire_sdv = true\n", 1)
    path = tmp_path / "sdv_protocol.toml"
    path.write_text(text, encoding="utf-8")
    init_study(app, path, "admin", PASSWORDS["admin"])
    admin = Actor("admin", "admin")
    for name, role in (("cora", "coordinator"), ("mona", "monitor")):
        accounts.add_user(app, admin, name, role, PASSWORDS[name])
    cora = Actor("cora", "coordinator")
    participants.add(app, cora, 1)
    visits.log(app, cora, 1, "baseline", date=participants.get(app, cora, 1).registered_on)
    item = {i.key: i for i in lock.checklist(app, cora)}["sdv"]
    assert not item.ok and [p.record for p in item.problems] == ["P001/baseline"]
    sdv.mark(app, MONA, 1, "baseline")
    assert {i.key: i for i in lock.checklist(app, cora)}["sdv"].ok



def test_an_import_that_changes_a_verified_visit_clears_its_mark(
        app: App, people: dict[str, Actor], tmp_path: Path) -> None:
    cora, mona = people["cora"], people["mona"]
    data_entry.set_values(app, cora, 1, "baseline", {"tsnr": "50"})
    sdv.mark(app, mona, 1, "baseline")
    same = write_csv(tmp_path / "same.csv", ["participant", "visit", "tsnr"],
                     [["P001", "baseline", "50"]])
    assert imports.commit(app, cora, imports.ImportOptions("scans", str(same))).nothing_to_change
    assert sdv.list_marks(app, mona)[0].verified
    more = write_csv(tmp_path / "more.csv", ["participant", "visit", "fd_mean"],
                     [["P001", "baseline", "0.1"]])
    report = imports.commit(app, cora, imports.ImportOptions("scans", str(more)))
    assert report.committed
    assert any("P001/baseline: source-data verification cleared" in w.message
               for w in report.warnings)
    assert not sdv.list_marks(app, mona)[0].verified
    assert verified(app, cora)


def test_values_missing_lists_what_done_visits_lack(app: App, people: dict[str, Actor]) -> None:
    cora = people["cora"]
    scans = [m.name for m in app.protocol.measures if m.kind == "scan"]
    scales = [m.name for m in app.protocol.measures if m.kind == "questionnaire"]
    gaps = missing_values.missing(app, cora)
    assert {r["measure"] for r in gaps} == set(scans + scales)
    assert {r["participant"] for r in gaps} == {"P001"}  # P002's baseline is not done
    data_entry.set_values(app, cora, 1, "baseline", {"tsnr": "50", "anx_1": "2"})
    gaps = {r["measure"]: r for r in missing_values.missing(app, cora, participant=1)}
    assert "tsnr" not in gaps and "fd_mean" in gaps
    assert gaps["subjective_anxiety"]["unanswered_items"] == ["anx_2", "anx_3", "anx_4"]
    assert missing_values.missing(app, cora, measure="tsnr") == []


def test_the_casebook_lists_values_sources_queries_and_what_a_role_may_not_see(
        app: App, people: dict[str, Actor], tmp_path: Path) -> None:
    cora, mona = people["cora"], people["mona"]
    data_entry.set_values(app, cora, 1, "baseline", {"tsnr": "50"})
    queries.open_query(app, mona, 1, "baseline", "tsnr", "please check the log")
    html = casebook.casebook_html(app, mona, "P001")
    assert "Casebook P001" in html and "hand entry" in html
    assert "please check the log" in html
    assert "<td>Baseline fMRI</td><td>Temporal SNR</td>" in html  # the query, by its labels
    stella = casebook.casebook_html(app, people["stella"], 1)
    assert "not shown to the statistician role" in stella
    assert "please check the log" not in stella
    path = casebook.write_casebook(app, cora, 1, tmp_path / "p1.html")
    assert "Temporal SNR" in path.read_text(encoding="utf-8")  # the value's label, not tsnr
    with pytest.raises(Refused, match="already exists"):
        casebook.write_casebook(app, cora, 1, tmp_path / "p1.html")


def test_the_casebook_refuses_a_role_without_data_read_up_front(
        app: App, people: dict[str, Actor], tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """One clear refusal before any work: no section is built, no file is written."""
    built: list[str] = []
    monkeypatch.setattr(casebook.participants, "get", lambda *a: built.append("get"))
    accounts.add_user(app, people["admin"], "phil", "pharmacist", PASSWORDS["phil"])
    phil = Actor("phil", "pharmacist")
    for call in (lambda: casebook.casebook_html(app, phil, 1),
                 lambda: casebook.write_casebook(app, phil, 1, tmp_path / "p1.html")):
        with pytest.raises(PermissionDenied, match=r"data\.read is for coordinator, "
                                                   "investigator, monitor, statistician$"):
            call()
    assert built == [] and not (tmp_path / "p1.html").exists()
