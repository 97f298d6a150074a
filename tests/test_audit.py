"""The audit trail proves itself: any change behind the app's back fails verification."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from services import audit_trail, imports, participants
from services.context import Actor, App
from services.errors import Refused
from tests.importers.files import write_csv
from tests.importers.helpers import baseline_study
from tests.tamper import rewrite_audit_log


def _raw(app: App, sql: str) -> None:
    rewrite_audit_log(app, sql)


@pytest.fixture
def filled(app: App, study: dict[str, Actor]) -> dict[str, Actor]:
    for i in (1, 2, 3):
        participants.add(app, study["cora"], i)
    participants.withdraw(app, study["cora"], 2, "lost to follow-up")
    return study


def test_every_change_is_recorded_with_who_before_after_why(app: App, filled) -> None:  # type: ignore[no-untyped-def]
    result = audit_trail.verify(app, filled["cora"])
    assert result.ok, result.problems
    withdrawal = audit_trail.entries(app, filled["cora"],
                                     audit_trail.AuditFilter(participant="2",
                                                             action="withdraw"))
    row = next(e for e in withdrawal if e["entity"] == "participants")
    assert row["actor"] == "cora" and row["reason"] == "lost to follow-up"
    assert json.loads(row["before"])["status"] == "registered"
    assert json.loads(row["after"])["status"] == "withdrawn"
    assert str(row["at"]).endswith("Z")


@pytest.mark.parametrize("tamper, expected", [
    ("UPDATE participants SET notes = 'edited' WHERE number = 3", "table participants"),
    ("DELETE FROM visits WHERE id = (SELECT MIN(id) FROM visits)", "table visits"),
    ("INSERT INTO users (name, role, password_hash, active, created_at, version) VALUES "
     "('mallory', 'admin', 'x', true, '2026-01-01', 1)", "table users"),
    ("UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 3", "audit entry 3"),
    ("DELETE FROM audit_log WHERE seq = 4", "audit entry 4"),
])
def test_tampering_is_found_and_named(app: App, filled, tamper: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    _raw(app, tamper)
    result = audit_trail.verify(app, filled["cora"])
    assert not result.ok
    assert expected in result.problems[0]


def test_export_writes_the_whole_trail(app: App, filled, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    n = audit_trail.export(app, filled["cora"], tmp_path / "trail.csv")
    with (tmp_path / "trail.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == n and rows[0]["seq"] == "1" and rows[-1]["seq"] == str(n)
    with pytest.raises(Refused, match="cannot write"):
        audit_trail.export(app, filled["cora"], tmp_path / "no" / "such" / "dir.csv")


def test_a_failed_change_leaves_no_audit_entry(app: App, filled) -> None:  # type: ignore[no-untyped-def]
    before = len(audit_trail.entries(app, filled["cora"]))
    with pytest.raises(Refused):
        participants.add(app, filled["cora"], "P001")
    assert len(audit_trail.entries(app, filled["cora"])) == before


def test_a_deleted_last_entry_is_named_as_a_cut_trail(app: App, filled) -> None:  # type: ignore[no-untyped-def]
    """The chain without its last entry is still a valid chain: the recorded head says the
    trail was cut, rather than blaming the rows that entry changed."""
    _raw(app, "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
    result = audit_trail.verify(app, filled["cora"])
    assert result.problems == [
        f"the trail is shorter than the tables: 1 entry missing at the end (entry "
        f"{result.entries + 1}): the last entry was deleted outside TrialDesk, so the tables "
        "hold changes the trail no longer records"]


@pytest.fixture
def imported(app: App, tmp_path: Path) -> dict[str, Actor]:
    """Three scans imported in bulk: the trail holds their digest sum, not their rows."""
    actors = baseline_study(app, [1, 2, 3])
    path = write_csv(tmp_path / "scans.csv", ["participant", "visit", "amygdala_threat"],
                     [[f"P00{n}", "baseline", str(0.5 + n / 10)] for n in (1, 2, 3)])
    assert imports.commit(app, actors["cora"],
                          imports.ImportOptions("scans", str(path))).committed
    assert audit_trail.verify(app, actors["cora"]).ok
    return actors


@pytest.mark.parametrize("tamper, expected", [
    ("UPDATE observations SET value = 9 WHERE id = (SELECT MIN(id) FROM observations)",
     "table observations: a row was changed outside TrialDesk (it holds the 3 rows the "
     "audit trail says, but not their recorded content)"),
    ("DELETE FROM observations WHERE id = (SELECT MIN(id) FROM observations)",
     "table observations: 1 row(s) deleted outside TrialDesk (it holds 2 rows, the audit "
     "trail says 3)"),
    ("INSERT INTO observations (participant_id, visit, measure, value, version) SELECT "
     "participant_id, 'baseline', 'tsnr', 61.5, 1 FROM observations WHERE id = "
     "(SELECT MIN(id) FROM observations)",
     'table observations: row {"import_id":null,"measure":"tsnr","participant_id":'),
])
def test_bulk_table_edits_are_told_apart(app: App, imported, tamper: str,  # type: ignore[no-untyped-def]
                                         expected: str) -> None:
    _raw(app, tamper)
    problems = audit_trail.verify(app, imported["cora"]).problems
    assert len(problems) == 1 and problems[0].startswith(expected)
    if "INSERT" in tamper:
        assert problems[0].endswith("was inserted outside TrialDesk (no import or change in "
                                    "the audit trail wrote it)")
