"""The study lock: a checklist, a signed lock record, and an unlock that voids it.

The lock signs two fingerprints: the SHA-256 of the canonical data export (what
the data were) and the audit chain's head hash (how they came to be). Both are
taken inside the locking transaction, after the study row is locked FOR UPDATE,
so no write can slip in between the check, the digest and the stage change.
Stage changes go in the order the database triggers demand (migration 0002):
the signed record first, then the stage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Row, and_, func, or_, select
from sqlalchemy.orm import Session

from db.audit import VerifyResult, head_hash, verify
from db.models import (
    AuditEntry,
    ImportRecord,
    Observation,
    Participant,
    ResponseSet,
    Study,
    StudyLock,
    Visit,
    utcnow,
)
from services import audit_check
from services.accounts import confirm_password
from services.canonical_export import data_digest
from services.context import Actor, App, need_reason, require
from services.double_entry import WAITING, open_entries
from services.errors import Refused
from services.queries import unresolved
from services.sdv import rows as sdv_rows
from services.study import stage
from trialcore.protocol import Protocol, require_sdv
from trialcore.roles import allowed
from trialcore.wording import counted

MEANING = "I approve the lock of this study"
UNLOCK_MEANING = "I void the lock of this study and reopen its data for changes"
RESOLVED_HINT = "log it as done, or as missed with a reason, or withdraw the participant"


@dataclass(frozen=True)
class Problem:
    """One record that keeps the study from being locked, and what to do about it."""

    record: str
    participant: str | None
    visit: str | None
    message: str
    visit_label: str | None = None  # what the screens show: the protocol's name of the visit


@dataclass(frozen=True)
class CheckItem:
    key: str
    title: str
    ok: bool
    note: str
    problems: list[Problem] = field(default_factory=list)
    warning: bool = False  # problems worth a look that do not keep the study from locking

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LockRecord:
    """A lock signature as the certificate shows it (times are UTC)."""

    signer: str
    locked_at: dt.datetime
    meaning: str
    reason: str
    data_digest: str
    audit_head: str
    voided_at: dt.datetime | None
    voided_by: str | None
    void_reason: str | None

    @property
    def active(self) -> bool:
        return self.voided_at is None

    def as_dict(self) -> dict[str, Any]:
        iso = lambda t: t.isoformat() + "Z" if t else None  # noqa: E731
        return {"signer": self.signer, "locked_at": iso(self.locked_at),
                "meaning": self.meaning, "reason": self.reason,
                "data_digest": self.data_digest, "audit_head": self.audit_head,
                "active": self.active, "voided_at": iso(self.voided_at),
                "voided_by": self.voided_by, "void_reason": self.void_reason}


def _record(row: StudyLock) -> LockRecord:
    return LockRecord(row.signer, row.locked_at, row.meaning, row.reason, row.data_digest,
                      row.audit_head, row.voided_at, row.voided_by, row.void_reason)


# -- the checklist ----------------------------------------------------------------------

def _unresolved(v: Row[Any]) -> str | None:
    if v.status == "done":
        return None
    if v.status == "missed":
        return None if (v.reason or "").strip() else "missed without a reason: give one"
    if v.status == "cancelled":
        return None if v.participant_status == "withdrawn" else \
            f"cancelled but {v.label} is not withdrawn: {RESOLVED_HINT}"
    return f"still {v.status}: {RESOLVED_HINT}"


def _visit_rows(session: Session, protocol: Protocol) -> list[Row[Any]]:
    """The visits that may keep the study from locking (not done, or outside their
    window), in register and protocol order: plain columns of the few, not ORM objects
    of the study's tens of thousands of visits."""
    order = {v.id: i for i, v in enumerate(protocol.visits)}
    rows = session.execute(
        select(Participant.id.label("participant_id"), Participant.number, Participant.label,
               Participant.status.label("participant_status"), Visit.visit, Visit.status,
               Visit.reason, Visit.deviation_days, Visit.deviation_reason)
        .join(Visit, Visit.participant_id == Participant.id)
        .where(or_(Visit.status != "done",
                   and_(Visit.deviation_days.is_not(None), Visit.deviation_days != 0)))).all()
    return sorted(rows, key=lambda r: (r.number, order.get(r.visit, len(order))))


def _items(session: Session, protocol: Protocol, audit: CheckItem | None) -> list[CheckItem]:
    """The checklist in its order; without the audit item when `audit` is None (the
    quick checklist: the window verifies the trail in the background)."""
    rows = _visit_rows(session, protocol)
    open_visits, deviations = [], []
    for v in rows:
        key = f"{v.label}/{v.visit}"
        problem = _unresolved(v)
        if problem:
            open_visits.append(Problem(key, v.label, v.visit, problem,
                                       protocol.visit_label(v.visit)))
        if v.deviation_days and not (v.deviation_reason or "").strip():
            deviations.append(Problem(key, v.label, v.visit,
                                      f"{v.deviation_days:+d} days outside its window "
                                      "without a deviation reason",
                                      protocol.visit_label(v.visit)))
    visits = session.scalar(select(func.count()).select_from(Visit)) or 0
    imports = session.scalar(select(func.count()).select_from(ImportRecord)) or 0
    stranded = _values_on_unresolved_visits(session, protocol, rows)
    opened = [label for label, in session.execute(
        select(Participant.label).where(Participant.emergency_unblinded.is_(True))
        .order_by(Participant.number))]
    items = [*_visit_items(open_visits, deviations, visits, imports),
             *monitoring_items(session, protocol),
             # Does not stop the lock, but the signer should know (and say so in the reason).
             CheckItem("emergency", "Emergency unblindings", True,
                       f"emergency envelope opened for {', '.join(opened)}: their conditions "
                       "are known to the investigator" if opened else "no emergency envelope "
                       "was opened"),
             CheckItem("values_on_unresolved_visits", "No values on visits not done", True,
                       "values stored on a visit not logged done are kept but never "
                       "analysed: if the visit was given, log it as done (a warning: it "
                       "does not block the lock)", stranded, warning=bool(stranded))]
    return items if audit is None else with_audit(items, audit)


def with_audit(items: list[CheckItem], audit: CheckItem) -> list[CheckItem]:
    """The quick checklist's `items` with the audit item in its place: after the
    monitoring items, before the notes that do not stop the lock."""
    at = next((i for i, item in enumerate(items) if item.key == "emergency"), len(items))
    return [*items[:at], audit, *items[at:]]


AUDIT_TITLE = "Audit chain verified"
# What a role that may not read the trail learns of a failed check: the problems quote
# entries and rows (participants, values), which are not that role's to read.
UNDISCLOSED = ("the trail does not match the tables: the details are shown only to the "
               "roles that may read the audit trail")


def audit_item(result: VerifyResult) -> CheckItem:
    """The checklist's audit item for a verification's outcome."""
    return CheckItem("audit", AUDIT_TITLE, result.ok,
                     f"{counted(result.entries, 'entry', 'entries')}, head {result.head[:16]}…",
                     [Problem("audit trail", None, None, m) for m in result.problems])


def disclosed(result: VerifyResult, role: str) -> VerifyResult:
    """`result` as `role` may learn it: whether the trail holds, its length and head, and
    the problems' wording only for the roles that may read the trail."""
    if allowed(role, "audit.read") or result.ok:
        return result
    return VerifyResult(result.entries, result.head, [UNDISCLOSED])


def _visit_items(open_visits: list[Problem], deviations: list[Problem], visits: int,
                 imports: int) -> list[CheckItem]:
    return [
        CheckItem("visits", "Every visit resolved", not open_visits,
                  f"{counted(visits, 'visit')}: done, missed with a reason, or cancelled by "
                  "withdrawal", open_visits),
        CheckItem("deviations", "Every deviation explained", not deviations,
                  "a visit outside its window needs a deviation reason", deviations),
        CheckItem("imports", "No import waiting", True,
                  f"{imports} imports, all committed: an import commits whole or not at "
                  "all, in one transaction, so none can be left waiting"),
    ]


def _values_on_unresolved_visits(session: Session, protocol: Protocol,
                                 rows: list[Row[Any]]) -> list[Problem]:
    """Participant and visit of every visit not logged done (of `rows`, _visit_rows's)
    that holds values (scan values, scores or item answers): a visit changed from done to
    missed keeps them. Only those visits' values are counted (through the unique index
    on participant and visit), not the study's millions."""
    # the statuses by name (IN, not !=): so SQLite starts from the visits' status index
    statuses = sorted({v.status for v in rows} - {"done"})
    held: dict[tuple[int, str], int] = {}
    for model in (Observation, ResponseSet) if statuses else ():
        for pid, visit, n in session.execute(
                select(model.participant_id, model.visit, func.count())
                .join(Visit, (Visit.participant_id == model.participant_id)
                      & (Visit.visit == model.visit))
                .where(Visit.status.in_(statuses))
                .group_by(model.participant_id, model.visit)):
            held[pid, visit] = held.get((pid, visit), 0) + n
    out = []
    for v in rows:
        n = held.get((v.participant_id, v.visit), 0)
        if n and v.status != "done":
            out.append(Problem(f"{v.label}/{v.visit}", v.label, v.visit,
                               f"{n} value(s) stored on a visit logged {v.status}: kept, "
                               "never analysed; if the visit was given, log it as done",
                               protocol.visit_label(v.visit)))
    return out


def monitoring_items(session: Session, protocol: Protocol) -> list[CheckItem]:
    """No query left unclosed, no double data entry left open; and, when the protocol
    requires it, every done visit source-verified."""
    waiting = [Problem(f"query {q.id}", q.participant, q.visit,
                       f"query {q.id} on {q.name_label} is {q.status}: {q.text}",
                       q.visit_label)
               for q in unresolved(session, protocol)]
    doubles = [Problem(f"{d.participant}/{d.visit}/{d.name}", d.participant, d.visit,
                       f"{d.name_label}: entered by {d.first_by}, waiting for a second "
                       "person's entry" if d.status == WAITING else
                       f"{d.name_label}: entries by {d.first_by} and {d.second_by} differ; "
                       "a resolver decides", d.visit_label)
               for d in open_entries(session, protocol)]
    items = [CheckItem("queries", "Every data query closed", not waiting,
                       "a query is resolved when the monitor closes it", waiting),
             CheckItem("double_entry", "Every double data entry complete", not doubles,
                       "a double-entry value is stored when a second person's entry agrees "
                       "or a resolver decides", doubles)]
    if require_sdv(protocol):
        pending = [Problem(f"{r.participant}/{r.visit}", r.participant, r.visit,
                           "done but not source-verified", protocol.visit_label(r.visit))
                   for r in sdv_rows(session) if not r.verified]
        items.append(CheckItem("sdv", "Every done visit source-verified", not pending,
                               "the protocol requires source-data verification "
                               "(require_sdv)", pending))
    return items


def checklist(app: App, actor: Actor) -> list[CheckItem]:
    """What must hold before the lock; failing items name the records to fix. Verifies
    the audit trail here and now, every row of it (slow on a large study)."""
    require(actor, "study.read")
    with app.read() as s:
        return _items(s, app.protocol, audit_item(disclosed(verify(s), actor.role)))


def quick_checklist(app: App, actor: Actor) -> list[CheckItem]:
    """The checklist without its audit item: what a screen shows at once while the
    trail is verified elsewhere (verify_trail, or the audit check of audit_check)."""
    require(actor, "study.read")
    with app.read() as s:
        return _items(s, app.protocol, None)


def verify_trail(app: App, actor: Actor, cancelled: Callable[[], bool] = lambda: False
                 ) -> VerifyResult:
    """The audit trail verified (in a child process, services.audit_check) for a role
    that may see the checklist but not the trail: whether it holds, its length and head,
    and no problem's wording (which quotes entries and rows)."""
    require(actor, "study.read")
    return disclosed(audit_check.in_child(app, cancelled), actor.role)


def _refuse_open_items(items: list[CheckItem]) -> None:
    failing = [i for i in items if not i.ok]
    if not failing:
        return
    details = [{"key": p.record, "message": f"{p.message} ({i.title.lower()})"}
               for i in failing for p in i.problems]
    raise Refused(f"the study cannot be locked: {counted(len(details), 'open item')} in "
                  + ", ".join(i.title.lower() for i in failing), details)


# -- lock and unlock ----------------------------------------------------------------------

def _locked_study(session: Session) -> Study:
    """The study row, locked FOR UPDATE on PostgreSQL so concurrent writers wait for us."""
    return session.scalar(select(Study).with_for_update())


def lock(app: App, actor: Actor, reason: str | None, password: str) -> LockRecord:
    """Sign the lock: the checklist passes, the password is re-entered, data become final."""
    require(actor, "study.lock")
    reason = need_reason(reason, "locking the study")
    current = stage(app)
    if current != "running":
        raise Refused(f"the study is {current}: only a running study can be locked")
    confirm_password(app, actor, password)
    with app.write(actor, "study.lock", reason) as s:
        study = _locked_study(s)
        if study.stage != "running":
            raise Refused(f"the study is {study.stage}: only a running study can be locked")
        _refuse_open_items(_items(s, app.protocol, audit_item(verify(s))))
        row = StudyLock(signer=actor.name, locked_at=utcnow(), meaning=MEANING, reason=reason,
                        data_digest=data_digest(s), audit_head=head_hash(s))
        s.add(row)
        s.flush()
        study.stage = "locked"
        s.flush()
        return _record(row)


def unlock(app: App, actor: Actor, reason: str | None, password: str) -> LockRecord:
    """Void the lock signature and reopen the study; never after unblinding."""
    require(actor, "study.lock")
    reason = need_reason(reason, "unlocking the study")
    current = stage(app)
    if current == "unblinded":
        raise Refused("the study is unblinded: it can never be unlocked")
    if current != "locked":
        raise Refused(f"the study is {current}: there is no lock to undo")
    confirm_password(app, actor, password)
    with app.write(actor, "study.unlock", reason) as s:
        study = _locked_study(s)
        if study.stage != "locked":
            raise Refused(f"the study is {study.stage}: there is no lock to undo")
        row = s.scalar(select(StudyLock).where(StudyLock.voided_at.is_(None)))
        row.voided_at, row.voided_by, row.void_reason = utcnow(), actor.name, reason
        s.flush()
        study.stage = "running"
        s.flush()
        return _record(row)


# -- the certificate ------------------------------------------------------------------------

def history(app: App, actor: Actor) -> list[LockRecord]:
    """Every lock signature, newest first; voided ones say who voided them and why."""
    require(actor, "study.read")
    with app.read() as s:
        return [_record(r) for r in s.scalars(select(StudyLock)
                                              .order_by(StudyLock.locked_at.desc()))]


def certificate(app: App, actor: Actor) -> dict[str, Any] | None:
    """The active lock and whether the data still give the digest it signed."""
    require(actor, "study.read")
    with app.read() as s:
        row = s.scalar(select(StudyLock).where(StudyLock.voided_at.is_(None)))
        if row is None:
            return None
        current = data_digest(s)
        # a lock signed before adverse events were exported signed the export without them
        covers_events = current == row.data_digest or (
            data_digest(s, adverse_events=False) != row.data_digest)
        unchanged = current == row.data_digest or not covers_events
        title = s.scalar(select(Study.title))
        # the signed head's place in the trail: a receipt (services.anchors) kept with the
        # certificate; a trail rebuilt since no longer holds that hash at all
        seq = s.scalar(select(AuditEntry.seq).where(AuditEntry.hash == row.audit_head))
    return {"study": title, **_record(row).as_dict(), "current_digest": current,
            "data_unchanged": unchanged, "covers_adverse_events": covers_events,
            "audit_entries": seq or 0,
            "audit_head_in_trail": seq is not None}
