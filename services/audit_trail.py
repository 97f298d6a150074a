"""Reading, verifying and exporting the audit trail.

What leaves through here (the audit tab, `audit export`) never carries a secret:
sealed boxes and password hashes appear as `sha256:<hex>` digests, in entries
written before the trail stopped storing them as well (db.audit.redacted). Nor does
it carry a double-entry first value while that entry waits for a second person: the
second enterer (a coordinator, who reads the trail) must type the form blind.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from db import audit
from db.models import AuditEntry, DoubleEntry
from services.context import Actor, App, require
from services.double_entry import WAITING
from services.files import written_whole
from services.participants import label_of
from trialcore.audit_chain import canonical_json

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


# Fields whose values are the protocol's visit ids or value names (visits, observations,
# queries, double entries, SDV marks, adverse events): the screens show their labels.
LABELLED_FIELDS = frozenset({"visit", "measure", "name"})


def value_labels(app: App) -> dict[str, str]:
    """The protocol's name of every visit id and value name ('dose3' -> 'Dosing 3',
    'lik_angry_1' -> 'Likability of angry faces, item 1'), for the LABELLED_FIELDS of
    the entries the audit tab shows. The protocol is no secret: any signed-in user reads it."""
    protocol = app.protocol
    names = {n: protocol.name_label(n) for m in protocol.measures for n in (m.name, *m.items)}
    return {**names, **{v.id: v.label for v in protocol.visits}}


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
        waiting = {r.audit_key() for r in
                   s.scalars(select(DoubleEntry).where(DoubleEntry.status == WAITING))}
        return [_as_dict(e, e.entity == DoubleEntry.__tablename__ and e.entity_key in waiting)
                for e in s.scalars(q)]


WITHHELD = "(withheld until a second person has entered it)"


def _shown(entity: str, stored: str | None, blind: bool) -> str | None:
    """A before/after as stored, with any secret column digested and, while a double
    entry waits for its second person (`blind`), its first value withheld."""
    if not stored or not (blind or entity in audit.SECRET_COLUMNS):
        return stored
    values = audit.redacted(entity, json.loads(stored))
    if blind and isinstance(values, dict) and values.get("first_value") is not None:
        values["first_value"] = WITHHELD
    return canonical_json(values)


def _as_dict(e: AuditEntry, blind: bool) -> dict[str, object]:
    d = {c: getattr(e, c) for c in COLUMNS}
    d["at"] = e.at.isoformat() + "Z"
    d["before"] = _shown(e.entity, e.before, blind)
    d["after"] = _shown(e.entity, e.after, blind)
    return d


def export(app: App, actor: Actor, path: str | Path, *, force: bool = False) -> int:
    """The whole trail, oldest first, as CSV; returns the number of entries.

    Written whole or not at all, never over an existing file unless `force`; text
    a spreadsheet would run as a formula (a reason typed as `=HYPERLINK(...)`) is
    neutralised as in the data exports. Entries that held secrets show digests."""
    from services.exports import neutralise  # openpyxl comes with it: load on use

    require(actor, "audit.read")
    rows = list(reversed(entries(app, actor)))
    with written_whole(path, force=force) as tmp, \
            tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: neutralise(v) for k, v in row.items()} for row in rows)
    return len(rows)
