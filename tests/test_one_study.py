"""A database holds one study: a second `study` row is refused by the database itself
(migration 0013), at every stage and on both databases, and the refusal comes back
with a downgrade's reversal."""

from __future__ import annotations

from alembic import command
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from db.migrate import alembic_config
from db.models import Study
from services.context import App
from tests.conftest import make_study

SECOND = ("INSERT INTO study (id, title, protocol_toml, protocol_sha256, synthetic, stage, "
          "created_at, version) SELECT id + 1, 'another study', protocol_toml, protocol_sha256, "
          "synthetic, stage, created_at, version FROM study")


def _insert_second(app: App) -> str | None:
    """The database's refusal of a second study row, or None if it took it."""
    try:
        with app.engine.begin() as conn:
            conn.execute(text(SECOND))
    except DBAPIError as exc:
        return str(exc.orig)
    return None


def _studies(app: App) -> int:
    with app.read() as s:
        return s.scalar(select(func.count()).select_from(Study))


def test_a_second_study_row_is_refused_while_the_study_is_set_up(app: App) -> None:
    make_study(app)
    refusal = _insert_second(app)
    assert refusal is not None and "study holds one row" in refusal
    assert _studies(app) == 1


def test_downgrade_lets_it_through_and_upgrade_restores_the_guard(app: App) -> None:
    make_study(app)
    cfg = alembic_config()
    with app.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    assert _insert_second(app) is None
    with app.engine.begin() as conn:
        conn.execute(text("DELETE FROM study WHERE id = (SELECT MAX(id) FROM study)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert "study holds one row" in (_insert_second(app) or "")
    assert _studies(app) == 1

