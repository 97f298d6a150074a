"""Fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL comes from TRIALDESK_TEST_PG (a SQLAlchemy URL; .ci/run sets it) or,
failing that, a throwaway server started from the installed PostgreSQL
binaries for this test session. Each test gets its own schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from services import accounts
from services.context import Actor, App
from services.study import init_study
from tests.pg_server import throwaway_postgres

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "resources", "reference_protocol.toml")
PASSWORDS = {
    "admin": "admin-pass-1", "cora": "cora-pass-1", "ivan": "ivan-pass-1",
    "phil": "phil-pass-1", "stella": "stella-pass-1",
    "mona": "mona-pass-1",
}
ROLES = {"admin": "admin", "cora": "coordinator", "ivan": "investigator",
         "phil": "pharmacist", "stella": "statistician"}
ROLES["mona"] = "monitor"


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str | None]:
    url = os.environ.get("TRIALDESK_TEST_PG")
    if url:
        yield url
        return
    with throwaway_postgres() as started:
        yield started


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'study.sqlite'}"
        return
    base = request.getfixturevalue("pg_base_url")
    if base is None:
        pytest.skip("no PostgreSQL: set TRIALDESK_TEST_PG or install the postgresql package")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def app(db_url: str) -> Iterator[App]:
    application = App(db_url)
    yield application
    application.close()


def make_study(app: App, users: tuple[str, ...] = ("cora",)) -> dict[str, Actor]:
    """The reference study with an admin and the named users (see PASSWORDS)."""
    init_study(app, REFERENCE, "admin", PASSWORDS["admin"])
    actors = {"admin": Actor("admin", "admin")}
    for name in users:
        accounts.add_user(app, actors["admin"], name, ROLES[name], PASSWORDS[name])
        actors[name] = Actor(name, ROLES[name])
    return actors


@pytest.fixture
def study(app: App) -> dict[str, Actor]:
    return make_study(app, ("cora", "ivan", "stella"))
