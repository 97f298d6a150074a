"""The canonical export the lock signs: the same data give the same bytes on both databases."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from db.models import AuditEntry, AuditHead, Base
from services import adverse_events, participants
from services.canonical_export import chunks, data_digest
from services.context import App
from tests.lock_helpers import ACTORS, ready_app, record

OFFSET = 1000  # PostgreSQL ids differ from SQLite's: sequences skip numbers on rollback


@pytest.fixture
def pg_app(pg_base_url: str | None) -> Iterator[App]:
    """An empty TrialDesk database in a schema of its own on the test PostgreSQL server."""
    if pg_base_url is None:
        pytest.fail("this test needs PostgreSQL: set TRIALDESK_TEST_PG")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_base_url else "?"
    app = App(f"{pg_base_url}{sep}options=-csearch_path%3D{schema}")
    yield app
    app.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _shifted(table: Any, row: dict[str, Any]) -> dict[str, Any]:
    moved = {c.name for c in table.columns
             if c.foreign_keys or (c.primary_key and c.name == "id")}
    return {k: v + OFFSET if k in moved and v is not None else v for k, v in row.items()}


def _copy(source: App, target: App) -> None:
    """Every study table, row by row in reverse order, with other surrogate ids."""
    with source.engine.connect() as src, target.engine.begin() as dst:
        for table in Base.metadata.sorted_tables:
            if table.name in (AuditEntry.__tablename__, AuditHead.__tablename__):
                continue  # the trail and its head are the target's own
            rows = [dict(r) for r in src.execute(select(table)).mappings()]
            if rows:
                dst.execute(table.insert(), [_shifted(table, r) for r in reversed(rows)])


def test_same_data_same_bytes_and_digest_on_sqlite_and_postgresql(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Any, pg_app: App) -> None:
    lite = ready_app(f"sqlite:///{tmp_path / 'study.sqlite'}", tmp_path_factory)
    cora = ACTORS["cora"]
    record(lite, cora, [("P001", "baseline", "sgacc_threat", 0.1 + 0.2),
                        ("P001", "dose1", "sgacc_threat", -1e-300),
                        ("P002", "baseline", "sgacc_threat", None),
                        ("P002", "dose1", "sgacc_threat", -0.0)], "scans, 2nd.tsv")
    participants.edit(lite, cora, 2, {"notes": 'naïve "quoted"\nsecond line ✓'}, "test")
    adverse_events.add(lite, cora, 2, term="headache", onset=dt.date(2026, 2, 1),
                       severity="mild", serious=False, related="possible", visit="dose1")
    _copy(lite, pg_app)
    with lite.read() as a, pg_app.read() as b:
        lite_bytes, pg_bytes = b"".join(chunks(a)), b"".join(chunks(b))
        assert data_digest(a) == data_digest(b) == hashlib.sha256(lite_bytes).hexdigest()
    lite.close()
    assert lite_bytes == pg_bytes
    lines = lite_bytes.decode().splitlines()
    assert lines[0] == "trialdesk-canonical-export 1"
    assert any('"value":0.30000000000000004' in line for line in lines)
    assert any('"import":"import 2"' in line for line in lines)
    observations = [line for line in lines if '"measure":"sgacc_threat"' in line]
    assert all('"participant_id":"P00' in line and '"import_id":"import 2"' in line
               for line in observations)
    assert not any('"id":' in line or '"version":' in line for line in lines)
    events = lines[lines.index("# adverse_events 1") + 1:]
    assert len(events) == 1 and '"participant_id":"P002"' in events[0]
    assert '"term":"headache"' in events[0] and '"severity":"mild"' in events[0]


def test_adverse_events_are_exported_and_no_condition_is_before_unblinding(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Any) -> None:
    """A study without adverse events keeps the bytes (and the lock's digest) it had
    before they were exported; with one, its section follows the others, blind."""
    app = ready_app(f"sqlite:///{tmp_path / 'study.sqlite'}", tmp_path_factory)
    with app.read() as s:
        before = b"".join(chunks(s)).decode()
    assert "# adverse_events" not in before
    adverse_events.add(app, ACTORS["cora"], 1, term="nausea", onset=dt.date(2026, 2, 1),
                       severity="moderate", serious=True, related="probable")
    with app.read() as s:
        after = b"".join(chunks(s)).decode()
    app.close()
    assert after.startswith(before) and after.endswith("\n")
    added = after[len(before):].splitlines()
    assert added[0] == "# adverse_events 1" and '"term":"nausea"' in added[1]
    conditions = [c.code for c in app.protocol.conditions] + [
        c.label for c in app.protocol.conditions]
    assert not any(f'"{c}"' in after for c in conditions)
    assert '"condition' not in after


def test_the_digest_changes_with_any_value_and_not_with_the_stage(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Any) -> None:
    app = ready_app(f"sqlite:///{tmp_path / 'study.sqlite'}", tmp_path_factory)
    with app.read() as s:
        before = data_digest(s)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE study SET version = version + 1"))
    with app.read() as s:
        assert data_digest(s) == before
    record(app, ACTORS["cora"], [("P001", "dose1", "tsnr", 61.5)])
    with app.read() as s:
        assert data_digest(s) != before
    app.close()
