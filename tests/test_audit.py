"""The audit trail proves itself: any change behind the app's back fails verification."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from services import audit_trail, imports, participants
from services.context import Actor, App
from services.errors import Refused
from tests.importers.files import write_csv
from tests.importers.helpers import baseline_study
from tests.lock_helpers import record


def _raw(app: App, sql: str) -> None:
    with app.engine.connect() as conn, conn.begin():
        conn.execute(text(sql))


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


def test_a_raw_edit_of_bulk_imported_rows_is_found(app: App, tmp_path: Path) -> None:
    """An import records its rows as one digest delta, not row by row: verify cannot name
    the row then (even if other rows of the table were recorded one by one), and says
    which table no longer matches."""
    cora = baseline_study(app, [1, 2])["cora"]
    record(app, cora, [("P001", "baseline", "tsnr", 61.0)])  # row by row, by the ORM
    scans = write_csv(tmp_path / "scans.csv", ["participant", "visit", "fd_mean"],
                      [["P001", "baseline", "0.2"], ["P002", "baseline", "0.3"]])
    imports.commit(app, cora, imports.ImportOptions("scans", str(scans)))
    assert audit_trail.verify(app, cora).ok
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE observations SET value = 0.9 WHERE value = 0.3"))
    assert audit_trail.verify(app, cora).problems == [
        "table observations: its content does not match the audit trail (rows changed, "
        "inserted or deleted outside TrialDesk)"]

