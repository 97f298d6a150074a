"""Bring a database to the current schema when it is opened.

An older SQLite file is copied beside itself before it is migrated, so a failed
or unwanted upgrade can be undone by hand; a database written by a newer
TrialDesk is refused rather than guessed at.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from db.engine import create_private, sqlite_path
from db.models import utcnow

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def newest_revision() -> str:
    """The newest revision, from the migration files' names (NNNN_what.py; a test checks
    that Alembic agrees): a database already there opens without importing Alembic."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


class SchemaTooNewError(RuntimeError):
    pass


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _stamped(engine: Engine) -> str | None:
    """The revision recorded in the database, read without Alembic; None if there is none."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def is_empty(engine: Engine) -> bool:
    """True for a database with no tables at all: nothing TrialDesk (or anyone) made."""
    return not inspect(engine).get_table_names()


def downgrade_to_nothing(engine: Engine) -> None:
    """Undo every migration, leaving the tables as they were before the first one (none).

    For a study whose creation failed: what the failed command made is removed."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def upgrade(engine: Engine) -> Path | None:
    """Migrate to head; return the backup file made first, if any."""
    if _stamped(engine) == newest_revision():
        return None
    from alembic import command
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    current = current_revision(engine)
    head = script.get_current_head()
    if current == head:
        return None
    if current is not None and current not in {r.revision for r in script.walk_revisions()}:
        raise SchemaTooNewError(
            f"this database was written by a newer TrialDesk (schema {current}); this version "
            f"knows schemas up to {head}. Update TrialDesk to open it."
        )
    backup = None
    path = sqlite_path(str(engine.url))
    if current is not None and path is not None and path.exists():
        backup = path.with_name(f"{path.name}.before-{head}-{utcnow():%Y%m%dT%H%M%S}.bak")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        create_private(backup)  # the copy is as private as a new database
        shutil.copyfile(path, backup)
    if current is None and inspect(engine).get_table_names():
        raise SchemaTooNewError("this database has tables but no TrialDesk schema version; "
                                "it is not a TrialDesk database")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return backup
