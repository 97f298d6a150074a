"""Typed SQLAlchemy models: one database holds one study.

Conventions that the audit trail relies on (db/audit.py):
- every table except the audit log itself is audited;
- `version` columns are optimistic-concurrency counters, not content;
- `audit_key()` names a row the way people do (P007, P007/dose1) and
  `audit_participant()` says which participant a row belongs to, if any.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from trialcore.limits import CONDITION_CODE_LENGTH, LABEL_LENGTH, NAME_LENGTH, TITLE_LENGTH


def utcnow() -> dt.datetime:
    """Naive UTC: both SQLite and PostgreSQL store it identically, so digests agree."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    def audit_key(self) -> str:
        return str(getattr(self, "id", ""))

    def audit_participant(self) -> str | None:
        return None


class Versioned:
    """Optimistic concurrency: a stale save raises instead of overwriting."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class Study(Versioned, Base):
    __tablename__ = "study"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    protocol_toml: Mapped[str] = mapped_column(Text)
    protocol_sha256: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16), default="setup")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __mapper_args__ = {"version_id_col": Versioned.version}

    def audit_key(self) -> str:
        return "study"


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # failed sign-ins in the current window, and the lockout they caused (services.accounts)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failed_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    __mapper_args__ = {"version_id_col": Versioned.version}

    def audit_key(self) -> str:
        return self.name


class Participant(Versioned, Base):
    __tablename__ = "participants"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    label: Mapped[str] = mapped_column(String(LABEL_LENGTH), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="registered")
    stratum: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    stratum_source: Mapped[str | None] = mapped_column(String(16))
    stratum_reason: Mapped[str | None] = mapped_column(Text)
    registered_on: Mapped[dt.date] = mapped_column(Date)
    enrolled_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    emergency_unblinded: Mapped[bool] = mapped_column(Boolean, default=False)
    visits: Mapped[list[Visit]] = relationship(
        back_populates="participant", order_by="Visit.id", cascade="all, delete-orphan"
    )
    __mapper_args__ = {"version_id_col": Versioned.version}

    def audit_key(self) -> str:
        return self.label

    def audit_participant(self) -> str | None:
        return self.label


class Visit(Versioned, Base):
    __tablename__ = "visits"
    __table_args__ = (UniqueConstraint("participant_id", "visit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    visit: Mapped[str] = mapped_column(String(NAME_LENGTH))
    target_date: Mapped[dt.date | None] = mapped_column(Date)
    window_start: Mapped[dt.date | None] = mapped_column(Date)
    window_end: Mapped[dt.date | None] = mapped_column(Date)
    booked_date: Mapped[dt.date | None] = mapped_column(Date)
    actual_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    deviation_days: Mapped[int | None] = mapped_column(Integer)
    deviation_reason: Mapped[str | None] = mapped_column(Text)
    kit_code: Mapped[str | None] = mapped_column(String(16))
    participant: Mapped[Participant] = relationship(back_populates="visits", lazy="joined")
    __mapper_args__ = {"version_id_col": Versioned.version}

    def audit_key(self) -> str:
        return f"{self.participant.label}/{self.visit}"

    def audit_participant(self) -> str | None:
        return self.participant.label


class Allocation(Base):
    """The public facts of the allocation list; the list itself is sealed."""

    __tablename__ = "allocation"
    id: Mapped[int] = mapped_column(primary_key=True)
    algorithm_version: Mapped[int] = mapped_column(Integer)
    design: Mapped[str] = mapped_column(String(16))
    generated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    generated_by: Mapped[str] = mapped_column(String(64))

    def audit_key(self) -> str:
        return "allocation"


class AllocationSlot(Base):
    """A place in a stratum's list. Holds no sequence: that is in the sealed key."""

    __tablename__ = "allocation_slots"
    __table_args__ = (UniqueConstraint("stratum", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    stratum: Mapped[str] = mapped_column(String(NAME_LENGTH))
    position: Mapped[int] = mapped_column(Integer)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id"), unique=True
    )

    def audit_key(self) -> str:
        return f"{self.stratum}#{self.position}"


class DoseCode(Base):
    __tablename__ = "dose_codes"
    __table_args__ = (UniqueConstraint("slot_id", "visit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("allocation_slots.id"), index=True)
    visit: Mapped[str] = mapped_column(String(NAME_LENGTH))
    code: Mapped[str] = mapped_column(String(16), unique=True)

    def audit_key(self) -> str:
        return self.code


class SealedKey(Base):
    """Encrypted blobs: the allocation key (randomizer), its dispensing copy (pharmacist,
    kind "dispensing") and the emergency envelopes (investigator, one per slot).
    The audit trail stores a digest of `box`, never the box (db.audit.SECRET_COLUMNS)."""

    __tablename__ = "sealed_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("allocation_slots.id"), unique=True)
    box: Mapped[str] = mapped_column(Text)

    def audit_key(self) -> str:
        return f"{self.kind}:{self.slot_id or ''}"


class Unblinding(Base):
    __tablename__ = "unblindings"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id"))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(Text)
    meaning: Mapped[str] = mapped_column(Text)


class RevealedCondition(Base):
    """Written once, at whole-study unblinding: which condition each dosing visit had."""

    __tablename__ = "revealed_conditions"
    __table_args__ = (UniqueConstraint("participant_id", "visit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    visit: Mapped[str] = mapped_column(String(NAME_LENGTH))
    period: Mapped[int] = mapped_column(Integer)
    condition: Mapped[str] = mapped_column(String(CONDITION_CODE_LENGTH))


class ImportRecord(Base):
    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(32))
    options: Mapped[str] = mapped_column(Text, default="{}")
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)

    def audit_key(self) -> str:
        return f"import {self.id}"


class Observation(Versioned, Base):
    """One value of one measure at one visit (scan measure or scored scale)."""

    __tablename__ = "observations"
    __table_args__ = (UniqueConstraint("participant_id", "visit", "measure"),
                      # covers one measure's values by visit (the group view; 0011)
                      Index("ix_observations_measure_visit", "measure", "visit",
                            "participant_id", "value"))
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    visit: Mapped[str] = mapped_column(String(NAME_LENGTH))
    measure: Mapped[str] = mapped_column(String(NAME_LENGTH))
    value: Mapped[float | None] = mapped_column(Float)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), index=True)


class ResponseSet(Versioned, Base):
    """One participant's questionnaire item answers at one visit, kept so scores can be
    re-derived and checked. `answers` is trialcore.response_sets' canonical text, which
    names the import of each answer; `import_id` is the import that last changed the row."""

    __tablename__ = "response_sets"
    __table_args__ = (UniqueConstraint("participant_id", "visit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    visit: Mapped[str] = mapped_column(String(NAME_LENGTH))
    answers: Mapped[str] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("imports.id"), index=True)


class MappingProfile(Base):
    __tablename__ = "mapping_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    mapping: Mapped[str] = mapped_column(Text)

    def audit_key(self) -> str:
        return self.name


class StudyLock(Base):
    __tablename__ = "study_locks"
    id: Mapped[int] = mapped_column(primary_key=True)
    locked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    signer: Mapped[str] = mapped_column(String(64))
    meaning: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    data_digest: Mapped[str] = mapped_column(String(64))
    audit_head: Mapped[str] = mapped_column(String(64))
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    voided_by: Mapped[str | None] = mapped_column(String(64))
    void_reason: Mapped[str | None] = mapped_column(Text)


class AuditHead(Base):
    """The newest audit entry ever appended (one row, id 1), moved forward by a trigger on
    audit_log (migration 0009): a trail shorter than this was cut at its end."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Append-only and hash-chained; see db/audit.py. Never audited itself."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_key: Mapped[str] = mapped_column(String(200))
    participant: Mapped[str | None] = mapped_column(String(LABEL_LENGTH), index=True)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class DataQuery(Versioned, Base):
    """A monitor's question about one stored value: open → answered → closed (or re-opened).
    The conversation itself is in query_messages."""

    __tablename__ = "queries"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    visit: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    participant: Mapped[Participant] = relationship(lazy="joined")
    messages: Mapped[list[QueryMessage]] = relationship(
        back_populates="query", order_by="QueryMessage.id", cascade="all, delete-orphan")
    __mapper_args__ = {"version_id_col": Versioned.version}

    def audit_key(self) -> str:
        return f"query {self.id}"

    def audit_participant(self) -> str | None:
        return self.participant.label


class QueryMessage(Base):
    """One step of a query's conversation: opened, answered, closed or re-opened, with text."""

    __tablename__ = "query_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    query: Mapped[DataQuery] = relationship(back_populates="messages")

    def audit_key(self) -> str:
        return f"query {self.query_id} {self.kind}"


class SdvMark(Base):
    """A monitor's source-data verification of one done visit's values; deleted (audited)
    when undone or when a verified value changes."""

    __tablename__ = "sdv_marks"
    __table_args__ = (UniqueConstraint("participant_id", "visit"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"))
    visit: Mapped[str] = mapped_column(String(64))
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    participant: Mapped[Participant] = relationship(lazy="joined")

    def audit_key(self) -> str:
        return f"{self.participant.label}/{self.visit}"

    def audit_participant(self) -> str | None:
        return self.participant.label


class AdverseEvent(Versioned, Base):
    """An adverse event as reported; `term` is verbatim, `term_code`/`dictionary` wait for
    coding (e.g. MedDRA) later."""

    __tablename__ = "adverse_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    term: Mapped[str] = mapped_column(String(300))
    term_code: Mapped[str | None] = mapped_column(String(32))
    dictionary: Mapped[str | None] = mapped_column(String(64))
    onset: Mapped[dt.date] = mapped_column(Date)
    severity: Mapped[str] = mapped_column(String(16))
    serious: Mapped[bool] = mapped_column(Boolean)
    related: Mapped[str] = mapped_column(String(16))
    visit: Mapped[str | None] = mapped_column(String(64))
    resolved: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(64))
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    participant: Mapped[Participant] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": Versioned.version}

    def audit_key(self) -> str:
        return f"AE {self.id}"

    def audit_participant(self) -> str | None:
        return self.participant.label


class DoubleEntry(Versioned, Base):
    """One value of a double-entry measure (protocol `double_entry = true`) entered by hand:
    the first person's entry waits for a second, different person's; both agreeing stores
    the value, a mismatch waits for a resolver, who decides with a reason. Rows stay after
    agreement or resolution as the record of who entered what."""

    __tablename__ = "double_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id"), index=True)
    visit: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    first_value: Mapped[str] = mapped_column(String(64))
    first_by: Mapped[str] = mapped_column(String(64))
    first_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    second_value: Mapped[str | None] = mapped_column(String(64))
    second_by: Mapped[str | None] = mapped_column(String(64))
    second_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_value: Mapped[str | None] = mapped_column(String(64))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    participant: Mapped[Participant] = relationship(lazy="joined")
    __mapper_args__ = {"version_id_col": Versioned.version}

    def audit_key(self) -> str:
        return f"{self.participant.label}/{self.visit}/{self.name} double entry"

    def audit_participant(self) -> str | None:
        return self.participant.label
