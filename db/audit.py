"""The audit trail: written in the same transaction as every change, and verified.

ORM changes are recorded automatically at flush (so no service can forget);
bulk Core inserts (imports) record one entry carrying their digest delta via
`append_entries`. See trialcore/audit_chain.py for the hashing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    Table,
    event,
    func,
    select,
)
from sqlalchemy import table as named_table
from sqlalchemy.orm import Session, sessionmaker

from db import row_digest
from db.models import AuditEntry, AuditHead, Base, utcnow
from db.row_digest import SKIP_COLUMNS
from trialcore.audit_chain import (
    DIGEST_MODULUS,
    GENESIS,
    canonical_json,
    entry_hash,
    row_fingerprint,
    secret_digest,
)

# Appends are serialized because each entry's hash covers the previous one:
# two writers reading the same head would fork the chain. PostgreSQL takes this
# transaction-scoped advisory lock; SQLite transactions are already exclusive
# for writers (BEGIN IMMEDIATE, db/engine.py).
AUDIT_CHAIN_LOCK = 0x7D5A0D17


# Columns that hold secrets: sealed boxes (the allocation key, the pharmacist's copy,
# the emergency envelopes) and password hashes. The trail stores their digest, never
# the value: an audit export or the audit tab must give nobody a box to open or a
# hash to crack offline. The table digests still cover the full rows, so `audit
# verify` proves these tables as it proves the others.
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "sealed_keys": frozenset({"box"}),
    "users": frozenset({"password_hash"}),
}


def redacted(entity: str, row: dict[str, Any] | None) -> dict[str, Any] | None:
    """`row` with each secret column of `entity` replaced by its digest (old entries too)."""
    secret = SECRET_COLUMNS.get(entity)
    if not row or not secret:
        return row
    return {k: secret_digest(v) if k in secret else v for k, v in row.items()}


NOT_AUDITED = (AuditEntry.__tablename__, AuditHead.__tablename__)


def audited_tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_AUDITED]


def _canon(column: Any, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, Float):
        return float(value)
    if isinstance(kind, DateTime):
        return value.isoformat()
    if isinstance(kind, Date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    return str(value)


def canonical_row(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """A row's audited content: every column but the surrogate id and version counter."""
    return {c.name: _canon(c, values.get(c.name)) for c in table.columns
            if c.name not in SKIP_COLUMNS}


@dataclass
class Entry:
    action: str
    entity: str
    entity_key: str
    participant: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: str | None = None
    digest_delta: dict[str, int] = field(default_factory=dict)


def append_entries(conn: Connection, actor: str, entries: Sequence[Entry]) -> str:
    """Chain `entries` onto the log inside the caller's transaction; return the new head."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({AUDIT_CHAIN_LOCK})")
    head = conn.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    rows = []
    for e in entries:
        seq += 1
        at = utcnow()
        after = dict(e.after) if e.after is not None else None
        if e.digest_delta:
            after = {**(after or {}), "digest_delta": {k: format(v % DIGEST_MODULUS, "x")
                                                       for k, v in e.digest_delta.items()}}
            bulk = sorted(t for t in e.digest_delta if t != e.entity)
            if bulk:  # rows the trail does not list one by one: their number, to tell a
                # deleted row from a changed one should the table stop matching
                after["row_counts"] = {t: _row_count(conn, t) for t in bulk}
        row = {
            "seq": seq, "at": at, "actor": actor, "action": e.action, "entity": e.entity,
            "entity_key": e.entity_key, "participant": e.participant,
            "before": canonical_json(e.before) if e.before is not None else None,
            "after": canonical_json(after) if after is not None else None,
            "reason": e.reason, "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(prev, _hashed_fields(row))
        rows.append(row)
    if rows:
        conn.execute(AuditEntry.__table__.insert(), rows)
    return prev


def _row_count(conn: Connection, name: str) -> int:
    """By name: a migration may count a table the current models no longer have."""
    return conn.execute(select(func.count()).select_from(named_table(name))).scalar_one()


def _hashed_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    fields = {k: row[k] for k in ("seq", "actor", "action", "entity", "entity_key",
                                  "participant", "before", "after", "reason")}
    fields["at"] = row["at"].isoformat()
    return fields


def head_hash(session: Session) -> str:
    return session.scalar(select(AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)) \
        or GENESIS


# -- automatic entries for ORM changes ------------------------------------------------

def _values(obj: Base, committed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    table = obj.__table__
    state = obj.__dict__
    out = {c.name: state.get(c.key) for c in table.columns}
    if committed:
        out.update({k: v for k, v in committed.items() if k in out})
    return canonical_row(table, out)


def _collect(session: Session, _ctx: Any, _instances: Any) -> None:
    from sqlalchemy import inspect

    pending = session.info.setdefault("_audit_pending", [])
    for obj in session.new:
        if isinstance(obj, AuditEntry):
            continue
        pending.append(("insert", obj, None))
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) or not session.is_modified(obj,
                                                                   include_collections=False):
            continue
        pending.append(("update", obj, _values(obj, inspect(obj).committed_state)))
    for obj in session.deleted:
        if not isinstance(obj, AuditEntry):
            pending.append(("delete", obj, _values(obj)))


def _write(session: Session, _ctx: Any) -> None:
    pending = session.info.pop("_audit_pending", [])
    if not pending:
        return
    actor = session.info.get("actor")
    if not actor:
        raise RuntimeError("a change was flushed outside a unit of work: no actor to audit")
    entries = []
    for op, obj, before in pending:
        after = None if op == "delete" else _values(obj)
        if op == "update" and before == after:
            continue
        table = obj.__table__.name
        d = (row_fingerprint(after) if after else 0) - (row_fingerprint(before) if before else 0)
        entries.append(Entry(
            action=session.info.get("action", op), entity=table, entity_key=obj.audit_key(),
            participant=obj.audit_participant(), before=redacted(table, before),
            after=redacted(table, after),
            reason=session.info.get("reason"), digest_delta={table: d},
        ))
    append_entries(session.connection(), actor, entries)


def install(factory: sessionmaker) -> None:
    event.listen(factory, "before_flush", _collect)
    event.listen(factory, "after_flush", _write)


# -- verification ---------------------------------------------------------------------

@dataclass
class VerifyResult:
    entries: int
    head: str
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> VerifyResult:
    """Check the chain entry by entry, that it ends where TrialDesk last appended, then
    each audited table against the trail."""
    problems: list[str] = []
    expected: dict[str, int] = defaultdict(int)
    replay: dict[str, dict[str, dict[str, Any] | None]] = defaultdict(dict)
    counts: dict[str, int] = {}  # rows of a bulk-written table, where the trail says
    bulk: set[str] = set()
    prev, count = GENESIS, 0
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
        count += 1
        row = {c.name: getattr(e, c.key) for c in AuditEntry.__table__.columns}
        if e.seq != count:
            problems.append(f"audit entry {count}: missing (the next entry is {e.seq}); "
                            "entries were deleted")
            break
        if e.prev_hash != prev or entry_hash(prev, _hashed_fields(row)) != e.hash:
            problems.append(f"audit entry {e.seq} ({e.action} {e.entity} {e.entity_key}, "
                            f"{e.at:%Y-%m-%d %H:%M:%S} UTC): its hash does not match, so it "
                            "or an entry before it was altered")
            break
        prev = e.hash
        after = json.loads(e.after) if e.after else None
        deltas = after.pop("digest_delta", {}) if after else {}
        counts.update(after.pop("row_counts", {}) if after else {})
        for table, hexdelta in deltas.items():
            expected[table] = (expected[table] + int(hexdelta, 16)) % DIGEST_MODULUS
            if table != e.entity:
                bulk.add(table)
        if e.entity in deltas:
            replay[e.entity][e.entity_key] = after
            if e.entity in counts and (e.before is None) != (after is None):
                counts[e.entity] += 1 if e.before is None else -1
    if not problems:
        problems += _cut_tail(session, count, prev)
    if problems:
        return VerifyResult(count, prev, problems)
    for table in audited_tables():
        actual = _table_digest(session, table)
        if actual != expected.get(table.name, 0):
            if table.name in bulk:
                problems.append(_locate_bulk(session, table,
                                             (actual - expected[table.name]) % DIGEST_MODULUS,
                                             counts.get(table.name)))
            else:
                problems.append(_locate(session, table, replay.get(table.name, {})))
    return VerifyResult(count, prev, problems)


def _cut_tail(session: Session, count: int, last: str) -> list[str]:
    """The chain proves itself only up to its last entry: compare that with the newest
    entry TrialDesk appended (audit_head, kept by a trigger), which deletes leave alone."""
    head = session.execute(select(AuditHead.seq, AuditHead.hash)).first()
    if head is None or head.seq < count:
        return []
    if head.seq > count:
        n = head.seq - count
        which = "the last entry was" if n == 1 else f"the last {n} entries were"
        return [f"the trail is shorter than the tables: {n} entr{'y' if n == 1 else 'ies'} "
                f"missing at the end (entry {count + 1}"
                + (f"…{head.seq}" if n > 1 else "") + f"): {which} deleted outside "
                "TrialDesk, so the tables hold changes the trail no longer records"]
    if head.hash != last:
        return [f"audit entry {count}: not the last entry TrialDesk appended (its hash "
                "differs from the recorded head): it was replaced outside TrialDesk"]
    return []


def _table_rows(session: Session, table: Table) -> Iterable[dict[str, Any]]:
    # A statement option, not Connection.execution_options(): that one changes the
    # session's connection in place, and later writes in the same unit of work would
    # then run on a server-side cursor (PostgreSQL refuses INSERT ... RETURNING there).
    result = session.connection().execute(select(table).execution_options(yield_per=5000))
    for row in result.mappings():
        yield canonical_row(table, row)


def _table_digest(session: Session, table: Table) -> int:
    return row_digest.table_digest(session.connection(), table, canonical_row)


def _locate_bulk(session: Session, table: Table, surplus: int, rows: int | None) -> str:
    """Tables written in bulk are in the trail as digest sums and row counts only. One row
    inserted adds its own fingerprint (so it is found and named); the row count tells
    rows deleted from rows changed."""
    found, n = None, 0
    for r in _table_rows(session, table):
        n += 1
        if found is None and row_fingerprint(r) == surplus:
            found = r
    if found is not None and (rows is None or n == rows + 1):
        return (f"table {table.name}: row {canonical_json(found)[:160]} was inserted outside "
                "TrialDesk (no import or change in the audit trail wrote it)")
    if rows is None:
        return (f"table {table.name}: its content does not match the audit trail "
                "(rows changed, inserted or deleted outside TrialDesk)")
    if n < rows:
        return (f"table {table.name}: {rows - n} row(s) deleted outside TrialDesk (it holds "
                f"{n} rows, the audit trail says {rows})")
    if n > rows:
        return (f"table {table.name}: {n - rows} row(s) inserted outside TrialDesk (it holds "
                f"{n} rows, the audit trail says {rows})")
    return (f"table {table.name}: a row was changed outside TrialDesk (it holds the "
            f"{n} rows the audit trail says, but not their recorded content)")


def _locate(session: Session, table: Table,
            trail: Mapping[str, dict[str, Any] | None]) -> str:
    """Name the rows that differ from what the trail says they should be.

    Rows are compared with their secrets digested, as the trail holds them; the
    message quotes the row that way too, so a failed check shows no secret."""
    if trail:
        expected = {row_fingerprint(redacted(table.name, v)): k for k, v in trail.items()
                    if v is not None}
        seen: set[int] = set()
        for r in _table_rows(session, table):
            shown = redacted(table.name, r)
            fp = row_fingerprint(shown)
            if fp not in expected:
                return (f"table {table.name}: row {canonical_json(shown)[:160]} is not what the "
                        "audit trail recorded (changed or inserted outside TrialDesk)")
            seen.add(fp)
        missing = [k for fp, k in expected.items() if fp not in seen]
        if missing:
            return (f"table {table.name}: row {missing[0]} is in the audit trail but not in "
                    "the table (deleted outside TrialDesk)")
    return (f"table {table.name}: its content does not match the audit trail "
            "(rows changed, inserted or deleted outside TrialDesk)")
