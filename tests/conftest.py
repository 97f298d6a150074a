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
from trialcore import passwords, sealing

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


# scrypt cost for what the tests hash and seal: about 1 ms instead of 0.1 s per password
# and 0.3-0.7 s per sealing key. Every study a test builds hashes one password per account
# (five for `study`) and every allocation list derives three sealing keys, so at production
# cost key derivation took a large share of the suite. A stored hash or box carries its
# own cost, which is what checking and opening use, so signing in and unsealing work
# exactly as in production. The production costs stay as they are: test_password_cost
# checks the passwords' and tests/domain (tests/domain/conftest.py) the sealing's.
TEST_SCRYPT_N = 2**10
PRODUCTION_SCRYPT_N = {"password": passwords.N, "sealing": sealing.MIN_N}


def set_scrypt_costs(patch: pytest.MonkeyPatch, *, password: int, sealing_n: int) -> None:
    """New password hashes at `password`; new sealing keys at `sealing_n`, which is
    also the least cost a box may have to be opened."""
    patch.setattr(passwords, "N", password)
    patch.setattr(sealing, "MIN_N", sealing_n)
    patch.setitem(sealing.seal.__kwdefaults__, "n", sealing_n)
    patch.setitem(sealing.Sealer.create.__func__.__kwdefaults__, "n", sealing_n)


@pytest.fixture(scope="session", autouse=True)
def cheap_key_derivation() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        set_scrypt_costs(patch, password=TEST_SCRYPT_N, sealing_n=TEST_SCRYPT_N)
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
