"""The schema: models and migrations agree; newer databases are refused."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from db.models import Base
from services.context import App
from services.errors import Refused


def test_models_and_migrations_agree(app: App) -> None:
    with app.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_database_from_a_newer_trialdesk_is_refused(app: App, db_url: str) -> None:
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    app.close()
    with pytest.raises(Refused, match="newer TrialDesk"):
        App(db_url)


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = App(f"sqlite:///{tmp_path / 'p.sqlite'}")
    with app.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
    app.close()


def test_older_sqlite_file_is_copied_then_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from sqlalchemy import create_engine

    from db.migrate import alembic_config, current_revision, head_revision

    path = tmp_path / "old.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    app = App(f"sqlite:///{path}")
    assert app.backup is not None and app.backup.exists()
    assert app.backup.name.startswith("old.sqlite.before-")
    assert current_revision(app.engine) == head_revision()
    old = create_engine(f"sqlite:///{app.backup}")
    assert current_revision(old) == "0001"
    old.dispose()
    app.close()


def test_item_answers_move_between_layouts_with_digest_and_audit_intact(
        app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """0003 regroups stored item answers into response sets and back: the same answers,
    the same canonical digest (a lock's signature stays valid), a verifiable audit trail."""
    from alembic import command

    from db.migrate import alembic_config
    from services import audit_trail, imports
    from services.canonical_export import data_digest
    from tests.importers.files import redcap
    from tests.importers.helpers import answers, baseline_study, verified

    cora = baseline_study(app, [1, 2])["cora"]
    imports.commit(app, cora, imports.ImportOptions("questionnaire", str(redcap(
        tmp_path / "a.csv", [("1", "baseline_arm_1", [1, 2, "", 4]),
                             ("2", "baseline_arm_1", [5, 4, 3, 2])]))))
    with app.read() as s:
        digest = data_digest(s)
    stored = answers(app)
    cfg = alembic_config()
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    with app.engine.connect() as conn:
        rows = conn.execute(text("SELECT COUNT(*) FROM item_responses")).scalar()
    assert rows == len(stored) == 7
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    with app.read() as s:
        assert data_digest(s) == digest
    assert answers(app) == stored
    moves = [(e["entity"], e["entity_key"]) for e in audit_trail.entries(app, cora)
             if e["action"] == "migration"]
    assert [k for t, k in moves if t != "users"] == ["revision 0003: response_sets",
                                                     "revision 0003: item_responses"]
    # 0005 records each account losing and regaining its lockout columns (down, then up)
    with app.read() as s:
        accounts = s.scalar(text("SELECT COUNT(*) FROM users"))
    assert sum(t == "users" for t, _ in moves) == 2 * accounts
    assert verified(app, cora)


def test_the_newest_migration_file_is_alembics_head() -> None:
    """Opening a database at head skips Alembic by trusting the files' names."""
    from db.migrate import head_revision, newest_revision

    assert newest_revision() == head_revision()


def test_0004_makes_the_statistician_who_generated_the_list_the_randomizer(
        app: App, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Down to 0003 the randomizer is a statistician again and a monitor is disabled; up
    again, only the statistician who generated the list becomes randomizer; every change
    is audited and the trail still proves the users table."""
    from alembic import command

    from db.migrate import alembic_config
    from services import allocation, audit_trail
    from tests.allocation_helpers import DISPENSING, PASSPHRASE, allocated_study

    actors = allocated_study(app, ("stella", "mona", "phil"))

    def roles() -> dict[str, tuple[str, bool]]:
        with app.engine.connect() as conn:
            return {n: (r, bool(a)) for n, r, a in conn.execute(
                text("SELECT name, role, active FROM users"))}

    cfg = alembic_config()
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    assert roles()["rita"] == ("statistician", True)
    assert roles()["mona"] == ("monitor", False)
    # (the trail is verified after the way back up: today's code reads today's schema)
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert {n: r for n, (r, _) in roles().items() if r in ("statistician", "randomizer")} \
        == {"rita": "randomizer", "stella": "statistician"}
    assert audit_trail.verify(app, actors["stella"]).ok
    moves = [(e["entity_key"], e["reason"]) for e in audit_trail.entries(app, actors["stella"])
             if e["action"] == "migration" and e["reason"].startswith("revision 0004")]
    assert moves[0] == ("rita", "revision 0004: generated the allocation list and holds the "
                                "sealing passphrase")
    assert [k for k, _ in moves] == ["rita", "mona", "rita"]
    assert allocation.report(app, actors["rita"], PASSPHRASE)["regenerates_from_seed"]
    # the pharmacist's copy outlives both directions
    assert allocation.open_key(app, DISPENSING, "dispensing").conditions


def test_0010_adds_double_entries_with_its_lock_guard_and_takes_them_away(app: App) -> None:
    """Down to 0009 the table and its triggers are gone; up again both are back."""
    from alembic import command
    from sqlalchemy import inspect

    from db.migrate import alembic_config
    from tests.conftest import make_study

    make_study(app)

    def present() -> tuple[bool, list[str]]:
        with app.engine.connect() as conn:
            table = "double_entries" in inspect(conn).get_table_names()
            sql = ("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                   "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = "
                   "current_schema() AND t.tgname LIKE 'lock_double_entries%'"
                   if app.dialect == "postgresql" else
                   "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                   "AND name LIKE 'lock_double_entries%'")
            return table, sorted(conn.execute(text(sql)).scalars())

    expected = (["lock_double_entries"] if app.dialect == "postgresql" else
                ["lock_double_entries_delete", "lock_double_entries_insert",
                 "lock_double_entries_update"])
    assert present() == (True, expected)
    cfg = alembic_config()
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    assert present() == (False, [])
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert present() == (True, expected)


def test_0011_swaps_the_measure_index_for_a_covering_one_and_back(app: App) -> None:
    """Down to 0009: the index on measure alone and no index on visit status; up again:
    the group view's covering index, and the status index."""
    from alembic import command
    from sqlalchemy import inspect

    from db.migrate import alembic_config

    def indexes() -> dict[str, list[str | None]]:
        with app.engine.connect() as conn:
            found = inspect(conn)
            return {i["name"]: i["column_names"] for table in ("observations", "visits")
                    for i in found.get_indexes(table) if i["name"]}

    covering = ["measure", "visit", "participant_id", "value"]
    assert indexes()["ix_observations_measure_visit"] == covering
    assert indexes()["ix_visits_status"] == ["status"]
    assert "ix_observations_measure" not in indexes()
    cfg = alembic_config()
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
    assert indexes()["ix_observations_measure"] == ["measure"]
    assert "ix_observations_measure_visit" not in indexes()
    assert "ix_visits_status" not in indexes()
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert indexes()["ix_observations_measure_visit"] == covering
    assert indexes()["ix_visits_status"] == ["status"]
    assert "ix_observations_measure" not in indexes()
