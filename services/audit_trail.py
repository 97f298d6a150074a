"""Reading, verifying and exporting the audit trail."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from db import audit
from db.models import AuditEntry
from services.context import Actor, App, require
from services.errors import Refused
from services.participants import label_of

COLUMNS = ("seq", "at", "actor", "action", "entity", "entity_key", "participant", "before",
           "after", "reason", "prev_hash", "hash")


@dataclass(frozen=True)
class AuditFilter:
    user: str | None = None
    participant: str | None = None
    action: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int | None = None


def verify(app: App, actor: Actor) -> audit.VerifyResult:
    require(actor, "audit.read")
    with app.read() as s:
        return audit.verify(s)


def entries(app: App, actor: Actor, f: AuditFilter = AuditFilter()) -> list[dict[str, object]]:
    require(actor, "audit.read")
    q = select(AuditEntry).order_by(AuditEntry.seq.desc())
    if f.user:
        q = q.where(AuditEntry.actor == f.user)
    if f.participant:
        q = q.where(AuditEntry.participant == label_of(app, f.participant))
    if f.action:
        q = q.where(AuditEntry.action.contains(f.action))
    if f.since:
        q = q.where(AuditEntry.at >= dt.datetime.combine(f.since, dt.time()))
    if f.until:
        q = q.where(AuditEntry.at < dt.datetime.combine(f.until + dt.timedelta(days=1), dt.time()))
    if f.limit:
        q = q.limit(f.limit)
    with app.read() as s:
        return [_as_dict(e) for e in s.scalars(q)]


def _as_dict(e: AuditEntry) -> dict[str, object]:
    d = {c: getattr(e, c) for c in COLUMNS}
    d["at"] = e.at.isoformat() + "Z"
    return d


def export(app: App, actor: Actor, path: str | Path) -> int:
    """The whole trail, oldest first, as CSV; returns the number of entries."""
    require(actor, "audit.read")
    path = Path(path)
    rows = list(reversed(entries(app, actor)))
    try:
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    except OSError as exc:
        raise Refused(f"cannot write {path}: {exc.strerror or exc}") from exc
    return len(rows)
