"""The database itself keeps the audit log append-only and the sealed list in use fixed
(migration 0005): raw SQL with the app's credentials is refused on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services import accounts
from services.context import App
from services.errors import Refused
from tests.allocation_helpers import allocated_study, enrol_by_hand
from tests.conftest import PASSWORDS


def _refused(app: App, sql: str) -> str:
    with pytest.raises(DBAPIError) as caught, app.engine.begin() as conn:
        conn.execute(text(sql))
    return str(caught.value.orig)


def _count(app: App, table: str) -> int:
    with app.engine.connect() as conn:
        return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


@pytest.mark.parametrize("sql", [
    "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 2",
    "UPDATE audit_log SET actor = actor",
    "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)",
])
def test_audit_entries_are_never_changed_or_deleted(app: App, study, sql: str) -> None:  # type: ignore[no-untyped-def]
    before = _count(app, "audit_log")
    assert "audit_log is append-only" in _refused(app, sql)
    accounts.login(app, "cora", PASSWORDS["cora"])  # appending still works
    with pytest.raises(Refused, match="wrong user name"):
        accounts.login(app, "cora", "not-her-password")
    assert _count(app, "audit_log") == before + 1


def test_the_audit_log_cannot_be_truncated_on_postgresql(app: App, study) -> None:  # type: ignore[no-untyped-def]
    sql = "TRUNCATE audit_log" if app.dialect == "postgresql" else "DELETE FROM audit_log"
    assert "audit_log is append-only" in _refused(app, sql)


@pytest.mark.parametrize("sql, message", [
    ("UPDATE sealed_keys SET box = box", "sealed_keys can never be changed"),
    ("DELETE FROM sealed_keys WHERE kind = 'emergency'", "sealed_keys can never be changed"),
    ("UPDATE dose_codes SET code = 'AAAA-AAAA' WHERE id = (SELECT MIN(id) FROM dose_codes)",
     "dose_codes can never be changed"),
    ("DELETE FROM dose_codes", "dose_codes can never be changed"),
    ("DELETE FROM allocation_slots WHERE participant_id IS NULL", "slots are never deleted"),
    ("UPDATE allocation_slots SET participant_id = NULL WHERE participant_id IS NOT NULL",
     "participant of a slot never changes"),
])
def test_the_sealed_list_in_use_cannot_be_changed(app: App, sql: str, message: str) -> None:
    actors = allocated_study(app)
    with app.engine.begin() as conn:  # before anyone is enrolled the list may be replaced
        conn.execute(text("UPDATE sealed_keys SET box = box"))
    enrol_by_hand(app, actors["cora"], 1)
    assert message in _refused(app, sql)


def test_0005_goes_down_and_up_again(app: App, study) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import inspect

    from db.migrate import alembic_config

    cfg = alembic_config()
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    assert "locked_until" not in {c["name"] for c in inspect(app.engine).get_columns("users")}
    with app.engine.begin() as conn:  # without 0005 nothing stops this
        conn.execute(text("UPDATE audit_log SET reason = reason WHERE seq = 1"))
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert "append-only" in _refused(app, "UPDATE audit_log SET reason = reason WHERE seq = 1")
    with pytest.raises(Refused, match="wrong user name"):
        accounts.login(app, "cora", "not-her-password")
