"""Opening a database: SQLite by default, PostgreSQL for a shared site database."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import platformdirs
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

SUPPORTED = ("sqlite", "postgresql")
BUSY_TIMEOUT_MS = 10000  # how long an SQLite writer queues behind another before giving up


class DatabaseUrlError(ValueError):
    pass


def default_url() -> str:
    folder = Path(platformdirs.user_data_dir("TrialDesk", appauthor=False))
    return f"sqlite:///{folder / 'trialdesk.sqlite'}"


def resolve_url(url: str | None) -> str:
    """--db, else TRIALDESK_DB, else the SQLite file in the user data folder."""
    url = url or os.environ.get("TRIALDESK_DB") or default_url()
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser().resolve()}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUrlError(f"{url!r} is not a database URL: {exc}") from exc
    if parsed.get_backend_name() not in SUPPORTED:
        raise DatabaseUrlError(
            f"{parsed.get_backend_name()!r} databases are not supported; use an SQLite file "
            "or postgresql+psycopg://user:password@host/database"
        )
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(False))
    return url


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


OWNER_ONLY = 0o600


def create_private(path: Path) -> None:
    """An empty file readable and writable by its owner only, unless `path` exists.

    SQLite gives the -wal and -shm files it makes beside a database the database
    file's permissions, so a study created here stays private to the account that
    created it whatever the umask (docs/security.md)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, OWNER_ONLY))


# A PostgreSQL password kept in the OS keyring: service "trialdesk", user name
# "USER@HOST" as in the URL (docs/deployment.md).
KEYRING_SERVICE = "trialdesk"


def keyring_password(url: URL) -> str | None:
    """The keyring's password for this URL's user and host; None if there is none or the
    machine has no usable keyring (libpq's ~/.pgpass or PGPASSFILE come next)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(KEYRING_SERVICE, f"{url.username}@{url.host}")
    except KeyringError:
        return None


def connect_url(url: str, password: str | None = None) -> URL:
    """The URL to connect with: a PostgreSQL URL without a password gets `password` (typed
    at a prompt) or the keyring's; never rendered as text, so it is printed nowhere."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or parsed.password or not parsed.username:
        return parsed
    secret = password or keyring_password(parsed)
    return parsed.set(password=secret) if secret else parsed


def writable(path: Path) -> bool:
    """True when this process may write the file and create its journal beside it.

    False for a file on read-only media, an immutable file (chattr +i) or one the
    user may only read: such a study can still be opened, read-only."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def make_engine(url: str, password: str | None = None, *, read_only: bool = False) -> Engine:
    """An engine for `url` (`password`: see connect_url); `read_only` opens an SQLite file
    without ever writing to it (no journal, no lock files), so a study on read-only media
    can still be read. A new SQLite file is made private to its owner first."""
    url = resolve_url(url)
    path = sqlite_path(url)
    options: dict[str, object] = {}
    if path is not None and read_only:
        # immutable=1: nothing can change the file, so SQLite needs no -shm/-wal beside it.
        uri = f"{path.as_uri()}?mode=ro&immutable=1"
        options["creator"] = lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
    elif path is not None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        create_private(path)
    try:
        engine = create_engine(connect_url(url, password), pool_pre_ping=path is None,
                               **options)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise DatabaseUrlError(f"cannot use {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, read_only=read_only)
    return engine


def _configure_sqlite(engine: Engine, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # A unit of work asks for IMMEDIATE (WRITE_OPTIONS): it takes the write lock
        # up front, so two writers queue instead of failing with "database is
        # locked" when a reader tries to become a writer. Reads stay deferred and,
        # with WAL, never wait for a writer.
        immediate = conn.get_execution_options().get("sqlite_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTIONS = {"sqlite_write": True}
