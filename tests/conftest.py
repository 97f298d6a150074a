"""Fixtures: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL comes from TRIALDESK_TEST_PG (a SQLAlchemy URL; .ci/run sets it) or,
failing that, a throwaway server started from the installed PostgreSQL
binaries for this test session. Each test gets its own schema.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from services import accounts
from services.context import Actor, App
from services.study import init_study
from tests.pg_server import throwaway_postgres
from trialcore import passwords

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "resources", "reference_protocol.toml")
PASSWORDS = {
    "admin": "admin-pass-1", "cora": "cora-pass-1", "ivan": "ivan-pass-1",
    "mona": "mona-pass-1", "phil": "phil-pass-1", "rita": "rita-pass-1",
    "stella": "stella-pass-1",
}
# stella is the blinded trial statistician; rita, the randomizer, makes the list.
ROLES = {"admin": "admin", "cora": "coordinator", "ivan": "investigator", "mona": "monitor",
         "phil": "pharmacist", "rita": "randomizer", "stella": "statistician"}


# scrypt cost for the passwords the tests make: about 1 ms instead of 0.1 s. Every study a
# test builds hashes one password per account (five for `study`), so at production cost
# hashing alone took a large share of the suite. Only new hashes are cheaper: a stored
# hash carries its own cost, which check_password reads back, so signing in is checked
# exactly as in production. test_passwords proves the production cost is unchanged.
TEST_SCRYPT_N = 2**10


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "N", TEST_SCRYPT_N)
        yield


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str | None]:
    url = os.environ.get("TRIALDESK_TEST_PG")
    if url:
        yield url
        return
    with throwaway_postgres() as started:
        yield started


@contextmanager
def database(kind: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """The URL of an empty database of `kind` ("sqlite": a file in `folder`;
    "postgresql": a schema of its own on the test server, dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'study.sqlite'}"
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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, request, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """db_url shared by a module's tests, for studies that are costly to build and that
    the tests only read, or change inside transactions they roll back."""
    with database(request.param, request, tmp_path_factory.mktemp("module_db")) as url:
        yield url


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
    return make_study(app, ("cora", "ivan", "stella", "rita"))
