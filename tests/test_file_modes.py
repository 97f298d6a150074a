"""SQLite files are readable by their owner only: the database, its WAL and shared-memory
files, and the copy made before a migration, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from db.migrate import alembic_config
from services.context import App
from tests.conftest import make_study


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_study_file_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "study.sqlite"
    app = App(f"sqlite:///{path}")
    make_study(app)
    assert _mode(path) == 0o600
    for suffix in ("-wal", "-shm"):
        assert _mode(path.with_name(path.name + suffix)) == 0o600
    assert _mode(path.parent) == 0o700
    app.close()


def test_the_backup_before_a_migration_is_private(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    path.touch(mode=0o644)  # an older file made before this rule
    engine = create_engine(f"sqlite:///{path}")
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    app = App(f"sqlite:///{path}")
    assert app.backup is not None and _mode(app.backup) == 0o600
    app.close()
