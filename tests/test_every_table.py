"""Every table the schema has, tried with raw SQL: after lock the database refuses
changes to it, and `audit verify` notices a raw edit of it.

The tables are the models' (db.models metadata) and the test below checks that the
migrated database has exactly those, so a table a migration adds is tried here too
without anyone listing it: if it must stay writable after lock, it goes into
WRITABLE_AFTER_LOCK with the reason; otherwise it needs its lock triggers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db import audit
from db.models import AuditHead, Base
from services.context import App
from tests.conftest import database
from tests.lock_helpers import every_table_filled
from tests.raw_sql import OPERATIONS, rows, statement, table_names
from tests.tamper import guards_off
from trialcore.audit_chain import canonical_json

MIGRATIONS = "alembic_version"
TABLES = sorted([*Base.metadata.tables, MIGRATIONS])

# (table, operation) -> why the database lets it through once the study is locked.
WRITABLE_AFTER_LOCK = {
    # Every change after lock is audited too: the lock itself, unlocking, unblinding.
    # (UPDATE and DELETE are refused: the log is append-only, migration 0005.)
    ("audit_log", "INSERT"): "the lock, unlock and unblinding are recorded after lock",
    # The trail's head (migration 0009) is not study data and not audited: the trigger on
    # audit_log moves it (an UPDATE) with every entry, after lock too.
    ("audit_head", "UPDATE"): "the audit_log insert trigger moves it with every entry",
    # (INSERT and DELETE are refused: the head is one row, migration 0009.)
    # Accounts are not study data: people join and leave a locked study's team.
    ("users", "INSERT"): "an admin adds an account (a monitor) after lock",
    ("users", "UPDATE"): "an admin disables an account or a password changes after lock",
    ("users", "DELETE"): "accounts are not study data",
    # Migrations run on locked studies too (0003 moved a locked study's answers).
    (MIGRATIONS, "INSERT"): "Alembic's own bookkeeping",
    (MIGRATIONS, "UPDATE"): "Alembic's own bookkeeping",
    (MIGRATIONS, "DELETE"): "Alembic's own bookkeeping",
}
WRITABLE_WHILE_LOCKED = {
    # The study unblinding writes its record and the conditions while the stage is
    # locked; test_lock_triggers checks the rules that limit them.
    ("unblindings", "INSERT"): "the study unblinding's signed record",
    ("revealed_conditions", "INSERT"): "the conditions the study unblinding reveals",
}


# The triggers' messages, not a constraint's error: the study lock (migrations 0002 and
# 0007), the append-only audit log and the sealed allocation list in use (0005). Which
# guard speaks first depends on the order the database fires them in (on PostgreSQL the
# lock_* triggers come first, by name).
REFUSALS = {
    "lock": r"\bstudy (is locked|lock records|unblinding records)",
    "append_only": r"^audit_log is append-only: entries are never changed or deleted",
    "sealed": r"\bthe allocation list is in use: ",
    "one_head": r"audit_head holds one row, moved only by new audit entries",
    "one_study": r"study holds one row: a database keeps one study",
}
# The guards that may refuse a table's change: the append-only message only for the log,
# the sealed list's only for its three tables; any other table needs the study lock's.
GUARDS = {"audit_log": ("append_only",), "audit_head": ("one_head",),
          "study": ("lock", "one_study"),
          **{t: ("lock", "sealed") for t in ("sealed_keys", "dose_codes", "allocation_slots")}}


def _refused_by_a_guard(table: str, refusal: str | None) -> bool:
    return refusal is not None and any(
        re.search(REFUSALS[g], refusal) for g in GUARDS.get(table, ("lock",)))


def _writable(stage: str, table: str, operation: str) -> bool:
    return (table, operation) in WRITABLE_AFTER_LOCK or (
        stage == "locked" and (table, operation) in WRITABLE_WHILE_LOCKED)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dialect(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module", params=["locked", "unblinded"])
def closed(dialect: str, request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, str]]:
    """A study at each closed stage with a row in every table, built once per module;
    each test's raw SQL runs in a transaction that is rolled back."""
    stage = request.param
    with database(dialect, request, tmp_path_factory.mktemp(stage)) as url:
        app = App(url)
        every_table_filled(app, stage)
        yield app, stage
        app.close()


def test_the_database_has_exactly_the_models_tables(closed: tuple[App, str]) -> None:
    app, _ = closed
    with app.engine.connect() as conn:
        assert table_names(conn) == set(TABLES)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("table", TABLES)
def test_after_lock_raw_sql_cannot_change_any_table(closed: tuple[App, str], table: str,
                                                    operation: str) -> None:
    app, stage = closed
    with app.engine.connect() as conn, conn.begin() as transaction:
        assert rows(conn, table), f"every_table_filled must give {table} a row to try"
        sql = statement(conn, table, operation)
        try:
            changed = conn.execute(text(sql)).rowcount
            refusal = None
        except DBAPIError as exc:
            refusal = str(exc.orig)
        transaction.rollback()
    if _writable(stage, table, operation):
        assert refusal is None and changed == 1, (sql, refusal)
    else:
        assert _refused_by_a_guard(table, refusal), (
            f"{stage} study: {sql} was {'accepted' if refusal is None else refusal}")


# What `audit verify` proves: every table but the head of the trail (migration 0009),
# which is not audited (db.audit.NOT_AUDITED) and holds no record, only where the trail
# ended; test_audit covers the trail cut at its end that it is for.
VERIFIED = sorted(set(Base.metadata.tables) - {AuditHead.__tablename__})


@pytest.mark.parametrize("operation", ["UPDATE", "INSERT"])
@pytest.mark.parametrize("table", VERIFIED)
def test_audit_verify_notices_a_raw_edit_of_every_table(
        closed: tuple[App, str], table: str, operation: str) -> None:
    """Every table the models have, the audit log itself included: audited_tables()
    is what is under test, so the list does not come from it. The problem names the
    row that was changed or added."""
    app, _ = closed
    with app.engine.connect() as conn, conn.begin() as transaction:
        session = Session(bind=conn)
        _verified_whole(conn, session)
        # the attacker verify is for owns the schema: the table's guards (the lock's,
        # the append-only log's, the sealed list's) are taken off first, in the
        # transaction that is rolled back
        guards_off(conn, table)
        assert conn.execute(text(statement(conn, table, operation))).rowcount == 1
        problems = audit.verify(session).problems
        edited = _edited_row(conn, table, operation)
        session.close()
        transaction.rollback()
    if table == "audit_log":
        assert len(problems) == 1 and problems[0].endswith(
            "its hash does not match, so it or an entry before it was altered"), problems
        return
    assert problems == [f"table {table}: row {canonical_json(edited)[:160]} is not what the "
                        "audit trail recorded (changed or inserted outside TrialDesk)"]


def _verified_whole(conn, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Before any tampering: verified, over every entry, up to the head."""
    result = audit.verify(session)
    assert result.ok and result.entries == rows(conn, "audit_log")
    assert result.head == audit.head_hash(session)


def _edited_row(conn, table: str, operation: str) -> dict:  # type: ignore[no-untyped-def]
    """The audited content of the row raw_sql changed (UPDATE: the first row) or added,
    its secret columns (a password hash, a sealed key) shown as verify shows them."""
    model = Base.metadata.tables[table]
    key = next(iter(model.primary_key))
    order = key.asc() if operation == "UPDATE" else key.desc()
    row = conn.execute(select(model).order_by(order).limit(1)).mappings().one()
    return audit.redacted(table, audit.canonical_row(model, row))


# Tables whose rows no foreign key points at: a raw DELETE of their last row goes through.
UNREFERENCED = sorted(set(VERIFIED) - {
    fk.column.table.name for t in Base.metadata.tables.values() for fk in t.foreign_keys})


@pytest.mark.parametrize("table", UNREFERENCED)
def test_audit_verify_names_a_row_deleted_outside_trialdesk(
        closed: tuple[App, str], table: str) -> None:
    app, _ = closed
    model = Base.metadata.tables[table]
    if table == "audit_log":  # an entry from the middle: the chain has a gap
        sql, expected = "DELETE FROM audit_log WHERE seq = 2", [
            "audit entry 2: missing (the next entry is 3); entries were deleted"]
    with app.engine.connect() as conn, conn.begin() as transaction:
        session = Session(bind=conn)
        _verified_whole(conn, session)
        if table != "audit_log":
            mapped = next(m.class_ for m in Base.registry.mappers if m.local_table is model)
            last = session.scalars(select(mapped).order_by(
                next(iter(model.primary_key)).desc()).limit(1)).one()
            expected = [f"table {table}: row {last.audit_key()} is in the audit trail but "
                        "not in the table (deleted outside TrialDesk)"]
            sql = statement(conn, table, "DELETE")
        guards_off(conn, table)
        assert conn.execute(text(sql)).rowcount == 1
        problems = audit.verify(session).problems
        session.close()
        transaction.rollback()
    assert problems == expected
