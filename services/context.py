"""The open database and the acting user, and the unit of work every change runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from db import audit
from db.engine import (
    KEYRING_SERVICE,
    WRITE_OPTIONS,
    DatabaseUrlError,
    make_engine,
    resolve_url,
)
from db.migrate import SchemaTooNewError, upgrade
from db.models import Study
from services.errors import PasswordNeeded, PermissionDenied, Refused
from trialcore.protocol import Protocol, parse_protocol
from trialcore.roles import allowed, roles_with


@dataclass(frozen=True)
class Actor:
    name: str
    role: str


class App:
    """One open TrialDesk database, migrated to the current schema."""

    def __init__(self, url: str | None = None, password: str | None = None):
        """`password`: for a PostgreSQL URL without one, typed by the user; else the OS
        keyring's (db.engine.KEYRING_SERVICE), else libpq's ~/.pgpass or PGPASSFILE."""
        try:
            self.url = resolve_url(url)
            self.engine = make_engine(self.url, password)
            self.backup = upgrade(self.engine)
        except (DatabaseUrlError, SchemaTooNewError) as exc:
            raise Refused(str(exc)) from exc
        except OperationalError as exc:
            reason = str(exc.orig).strip()
            if "no password supplied" in reason or "password authentication failed" in reason:
                raise PasswordNeeded(
                    f"cannot open the database {self.safe_url}: {reason.splitlines()[-1]}; "
                    f"keep its password in the OS keyring (service {KEYRING_SERVICE!r}, user "
                    f"'USER@HOST'), in ~/.pgpass or PGPASSFILE, or type it when asked") from exc
            raise Refused(f"cannot open the database {self.safe_url}: {reason}") from exc
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        audit.install(self.sessions)

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

    @cached_property
    def protocol(self) -> Protocol:
        with self.read() as s:
            study = s.scalar(select(Study))
        if study is None:
            raise Refused("this database holds no study yet: run `init PROTOCOL.toml` or `demo`")
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
        try:
            with self.sessions() as session, session.begin():
                session.connection(execution_options=WRITE_OPTIONS)
                session.info.update(actor=actor.name, action=action, reason=reason)
                yield session
        except DBAPIError as exc:
            message = str(exc.orig).strip().splitlines()[0] if exc.orig else ""
            if "study is locked" in message:
                raise Refused(message) from exc
            raise


def require(actor: Actor, permission: str) -> None:
    if not allowed(actor.role, permission):
        raise PermissionDenied(
            f"{actor.name} ({actor.role}) may not do this: {permission} is for "
            f"{', '.join(roles_with(permission))}"
        )


def need_reason(reason: str | None, what: str) -> str:
    if reason is None or not reason.strip():
        raise Refused(f"{what} needs a reason")
    return reason.strip()
