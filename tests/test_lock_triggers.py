"""After lock the database itself refuses changes: raw SQL, SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from db.migrate import alembic_config
from db.models import Participant, Study
from services import audit_trail, lock, unblinding
from services.canonical_export import data_digest
from services.context import Actor, App
from services.errors import Refused
from tests.lock_helpers import ACTORS, PASSPHRASE, password, ready_app

DATA_WRITES = [
    "UPDATE observations SET value = -value",
    "INSERT INTO participants (number, label, status, registered_on, notes, "
    "emergency_unblinded, version) VALUES (99, 'P099', 'registered', '2026-01-05', '', "
    "false, 1)",
    "DELETE FROM visits WHERE status = 'cancelled'",
    "UPDATE visits SET deviation_reason = 'late' WHERE visit = 'dose1'",
    "UPDATE dose_codes SET code = 'AAAA-AAAA' WHERE id = (SELECT MIN(id) FROM dose_codes)",
    "DELETE FROM sealed_keys WHERE kind = 'emergency'",
    "INSERT INTO imports (kind, file_name, sha256, size, format, options, by, at, rows, "
    "inserted, updated, unchanged) VALUES ('scans', 'late.csv', 'x', 1, 'csv', '{}', 'cora', "
    "'2026-06-01', 0, 0, 0, 0)",
    "UPDATE allocation SET generated_by = 'mallory'",
    "DELETE FROM allocation_slots WHERE participant_id IS NULL",
    "INSERT INTO mapping_profiles (name, kind, mapping) VALUES ('m', 'scans', '{}')",
]
STUDY_WRITES = [
    ("UPDATE study SET title = 'another study'", "only its stage may change"),
    ("UPDATE study SET stage = 'running'", "unlocking needs the lock signature voided"),
    ("UPDATE study SET stage = 'unblinded'", "only after lock, with an unblinding record"),
    ("DELETE FROM study", "the study cannot be deleted"),
    ("DELETE FROM study_locks", "lock records are permanent"),
    ("UPDATE study_locks SET data_digest = 'forged'", "change once, when an unlock voids"),
]


def _raw(app: App, sql: str) -> None:
    with app.engine.begin() as conn:
        conn.execute(text(sql))


def _refused(app: App, sql: str) -> str:
    with pytest.raises(DBAPIError) as caught:
        _raw(app, sql)
    return str(caught.value.orig)


@pytest.fixture
def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Overrides conftest's empty database: a study ready to lock."""
    application = ready_app(db_url, tmp_path_factory)
    yield application
    application.close()


@pytest.fixture
def locked(app: App) -> dict[str, Actor]:
    lock.lock(app, ACTORS["ivan"], "final", password(ACTORS["ivan"]))
    return ACTORS


def test_raw_sql_cannot_change_study_data_after_lock(app: App, locked: dict[str, Actor]) -> None:
    with app.read() as s:
        before = data_digest(s)
    for sql in DATA_WRITES:  # the sealed list in use has its own guard too (0005)
        refusal = _refused(app, sql)
        assert "study is locked" in refusal or "allocation list is in use" in refusal, sql
    for sql, message in STUDY_WRITES:
        assert message in _refused(app, sql), sql
    if app.dialect == "postgresql":
        assert "study is locked: observations" in _refused(app, "TRUNCATE observations CASCADE")
    with app.read() as s:
        assert data_digest(s) == before and s.scalar(select(Study.stage)) == "locked"
    assert audit_trail.verify(app, locked["ivan"]).ok


def test_raw_sql_cannot_lock_or_unblind_without_the_signed_records(
        app: App, locked: dict[str, Actor]) -> None:
    ivan = locked["ivan"]
    lock.unlock(app, ivan, "monitor query", password(ivan))
    _raw(app, "UPDATE participants SET notes = 'raw, before lock' WHERE number = 1")
    assert "signed lock record" in _refused(app, "UPDATE study SET stage = 'locked'")
    assert "only after lock" in _refused(app, "UPDATE study SET stage = 'unblinded'")
    assert "revealed only by the study unblinding" in _refused(
        app, "INSERT INTO revealed_conditions (participant_id, visit, period, condition) "
             "SELECT id, 'dose1', 1, 'PBO' FROM participants WHERE number = 1")
    assert "change once" in _refused(app, "UPDATE study_locks SET voided_at = NULL")


def test_after_unblinding_the_revealed_conditions_and_stage_are_final(
        app: App, locked: dict[str, Actor]) -> None:
    stella = locked["stella"]
    unblinding.unblind_study(app, stella, "final analysis", PASSPHRASE, password(stella))
    for sql, message in [
        ("UPDATE revealed_conditions SET condition = 'PBO'", "revealed conditions are final"),
        ("DELETE FROM revealed_conditions", "revealed conditions are final"),
        ("INSERT INTO unblindings (kind, by, at, reason, meaning) VALUES ('study', 'x', "
         "'2026-06-01', 'x', 'x')", "no further unblinding"),
        ("DELETE FROM unblindings", "unblinding records are permanent"),
        ("UPDATE study SET stage = 'locked'", "can never change again"),
        ("UPDATE observations SET value = 0", "study is locked"),
    ]:
        assert message in _refused(app, sql), sql


def test_the_migration_downgrade_drops_the_triggers_and_upgrade_restores_them(
        app: App, locked: dict[str, Actor]) -> None:
    cfg = alembic_config()
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    _raw(app, "UPDATE participants SET notes = 'no trigger' WHERE number = 1")
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert "study is locked" in _refused(
        app, "UPDATE participants SET notes = 'again' WHERE number = 1")



def test_a_write_that_slips_past_the_services_is_a_refusal(app: App,
                                                           locked: dict[str, Actor]) -> None:
    """Behind every service's own stage check, the trigger's refusal reads as a Refused."""
    with app.read() as s:
        before = data_digest(s)
    with pytest.raises(Refused, match="study is locked"), \
            app.write(locked["ivan"], "test.sneak") as s:
        s.add(Participant(number=100, label="P100", registered_on=dt.date(2026, 1, 1)))
    with app.read() as s:
        assert data_digest(s) == before
