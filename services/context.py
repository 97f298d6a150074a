"""The open database and the acting user, and the unit of work every change runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.engine import (
    KEYRING_SERVICE,
    WRITE_OPTIONS,
    DatabaseUrlError,
    make_engine,
    resolve_url,
    sqlite_path,
    writable,
)
from db.migrate import SchemaTooNewError, downgrade_to_nothing, is_empty, upgrade
from db.models import Study
from services.errors import (
    Busy,
    Collision,
    PasswordNeeded,
    PermissionDenied,
    Refused,
    no_study,
)
from trialcore.protocol import Protocol, parse_protocol
from trialcore.roles import allowed, roles_with


@dataclass(frozen=True)
class Actor:
    name: str
    role: str


class App:
    """One open TrialDesk database, migrated to the current schema.

    `create=False` (every command but init and demo) refuses a database that does not
    exist yet instead of making one: a mistyped --db must not leave folders and an
    empty study file behind. An SQLite file this process may not write (read-only
    media, an immutable file) opens read-only: it can be read, and every unit of work
    is refused with the reason.

    `password`: for a PostgreSQL URL without one, typed by the user; else the OS
    keyring's (db.engine.KEYRING_SERVICE), else libpq's ~/.pgpass or PGPASSFILE.
    """

    def __init__(self, url: str | None = None, password: str | None = None, *,
                 create: bool = True):
        self.url = ""
        self.read_only = False
        self.created = False  # True when opening made the database (see `discard`)
        self._made_folders: list[Path] = []
        try:
            self.url = resolve_url(url)
            path = sqlite_path(self.url)
            existed = path is None or path.exists()
            if not existed:
                if not create:
                    raise no_study(str(path))
                self._made_folders = [d for d in (path.parent, *path.parent.parents)
                                      if not d.exists()]
            self.read_only = path is not None and path.exists() and not writable(path)
            self.engine = make_engine(self.url, password, read_only=self.read_only)
            empty = is_empty(self.engine)
            if empty and not create:
                self.engine.dispose()
                raise no_study(self.safe_url)
            # An empty SQLite file the user made stays theirs; an empty PostgreSQL schema
            # only ever holds what we create in it.
            self.created = empty and (path is None or not existed)
            self.backup = upgrade(self.engine)
        except (DatabaseUrlError, SchemaTooNewError) as exc:
            raise Refused(str(exc)) from exc
        except DBAPIError as exc:
            self._dispose()
            reason = str(exc.orig).strip()
            if "no password supplied" in reason or "password authentication failed" in reason:
                raise PasswordNeeded(
                    f"cannot open the database {self.safe_url}: {reason.splitlines()[-1]}; "
                    f"keep its password in the OS keyring (service {KEYRING_SERVICE!r}, user "
                    f"'USER@HOST'), in ~/.pgpass or PGPASSFILE, or type it when asked") from exc
            raise Refused(self._open_problem(exc)) from exc
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        audit.install(self.sessions)

    def _open_problem(self, exc: DBAPIError) -> str:
        """Why the database could not be opened, in the user's terms."""
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if "not a database" in detail or not isinstance(exc, OperationalError):
            return (f"{self.safe_url} is not a TrialDesk database (or it is damaged): "
                    f"{detail}")
        if self.read_only:
            return (f"cannot open {self.safe_url}: it is read-only and cannot be brought "
                    f"to this version's schema ({detail})")
        return f"cannot open the database {self.safe_url}: {detail}"

    def _dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()

    @property
    def safe_url(self) -> str:
        """The URL with any password masked, for messages and title bars."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def url_without_password(self) -> str:
        """The URL to print for reopening the database: no password at all, so whoever
        uses it gets theirs from the keyring, ~/.pgpass or a prompt."""
        from sqlalchemy.engine import make_url

        return make_url(self.url)._replace(password=None).render_as_string(hide_password=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def discard(self) -> None:
        """Remove the database this App created (a failed `init` or `demo`): the file and
        the folders made for it on SQLite, every table on PostgreSQL. Never called for a
        database that existed before."""
        if not self.created:
            return
        path = sqlite_path(self.url)
        if path is None:
            downgrade_to_nothing(self.engine)
            self.engine.dispose()
            return
        self.engine.dispose()
        for leftover in (path, *(path.with_name(path.name + x)
                                 for x in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
        for folder in self._made_folders:  # deepest first
            folder.rmdir()

    @cached_property
    def protocol(self) -> Protocol:
        with self.read() as s:
            study = s.scalar(select(Study))
        if study is None:
            raise no_study()
        return parse_protocol(study.protocol_toml, source="stored protocol")

    def has_study(self) -> bool:
        with self.read() as s:
            return s.scalar(select(Study.id)) is not None

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    @contextmanager
    def write(self, actor: Actor, action: str, reason: str | None = None) -> Iterator[Session]:
        """A unit of work: commits whole with its audit entries, or not at all.

        The lock triggers are the last line of defence behind the services' own
        stage checks; their refusal reaches the user as a refusal, not a crash.
        """
        if self.read_only:
            raise Refused(f"{self.safe_url} is read-only (read-only media, an immutable "
                          "file or one you may not write): the study can be read, but "
                          "writing is impossible; nothing was written")
        try:
            with self.sessions() as session, session.begin():
                session.connection(execution_options=WRITE_OPTIONS)
                session.info.update(actor=actor.name, action=action, reason=reason)
                yield session
        except DBAPIError as exc:
            refusal = database_refusal(exc)
            if refusal is None:
                raise
            raise refusal from exc


def database_refusal(exc: DBAPIError) -> Refused | None:
    """The refusal a database error means for the user, or None for a real fault.

    A lock trigger's refusal, a writer that waited longer than the busy timeout
    ("database is locked" on SQLite, a lock timeout on PostgreSQL) and a unique key
    another user's save took first are answers, not crashes; the transaction was
    rolled back in each case, so nothing was written."""
    message = str(exc.orig).strip().splitlines()[0] if exc.orig else ""
    if "study is locked" in message:
        return Refused(message)
    if isinstance(exc, OperationalError) and (
            "database is locked" in message or "database is busy" in message
            or "lock timeout" in message or "deadlock detected" in message):
        return Busy("another user is saving to the study and it stayed busy too long; "
                    "nothing was written, try again in a moment")
    if isinstance(exc, IntegrityError):
        return Collision("someone else saved the same record at the same moment; nothing "
                         "was written. Reload and try again")
    return None


def require(actor: Actor, permission: str) -> None:
    if not allowed(actor.role, permission):
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) may not do this: {permission} is for "
            f"{', '.join(roles_with(permission))}"
        )


def need_reason(reason: str | None, what: str) -> str:
    if reason is None or not reason.strip():
        raise Refused(f"{what} needs a reason", fields=("reason",))
    return reason.strip()
