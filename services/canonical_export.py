"""The canonical data export: one byte sequence for the study's data, whatever the database.

The lock signs its SHA-256, so the same data must give the same bytes on SQLite
and PostgreSQL and in any insertion order: surrogate ids are left out (a
PostgreSQL sequence skips numbers after a rolled-back insert, SQLite's does
not) and references are written with the natural keys people use (P007,
NTNA+#3, import 2); rows are sorted in Python, not by a database collation;
values are canonical JSON (floats by repr, dates and times ISO 8601). The
stage, version counters and what unblinding adds later are not data, so the
digest of a locked study can be checked again after unblinding. Item answers
are written one line each (as `item_responses`), however they are stored.

Adverse events are study data too and are exported after the other tables, by
participant label; they hold no condition (nothing in this export does before or
after unblinding: revealed conditions are not data). Their section is written only
when the study has adverse events, so a study without any still gives the digest its
lock signed. A study locked by a release that did not export them yet, with adverse
events, signed the export without their section: `data_digest(session,
adverse_events=False)` recomputes that form, so the lock can still be checked (and
says that its signature does not cover the adverse events).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from db.audit import canonical_row
from db.models import (
    AdverseEvent,
    Allocation,
    AllocationSlot,
    DoseCode,
    ImportRecord,
    MappingProfile,
    Observation,
    Participant,
    ResponseSet,
    SealedKey,
    Study,
    Visit,
)
from trialcore.audit_chain import canonical_json
from trialcore.response_sets import decode

FORMAT = "trialdesk-canonical-export 1"
TABLES = (Study, Participant, Visit, Allocation, AllocationSlot, DoseCode, SealedKey,
          ImportRecord, Observation, ResponseSet, MappingProfile)
NOT_DATA = {"study": {"stage"}}

Keys = dict[str, dict[int, str]]


def _natural_keys(session: Session) -> Keys:
    """Surrogate id -> the name people use, for every table other rows point at."""
    imports = session.scalars(select(ImportRecord.id).order_by(ImportRecord.id)).all()
    return {
        "participant_id": dict(session.execute(select(Participant.id, Participant.label))
                               .all()),
        "slot_id": {i: f"{s}#{p}" for i, s, p in session.execute(
            select(AllocationSlot.id, AllocationSlot.stratum, AllocationSlot.position))},
        "import_id": {i: f"import {n}" for n, i in enumerate(imports, start=1)},
    }


def _lines(session: Session, table: Table, keys: Keys) -> list[str]:
    skip = NOT_DATA.get(table.name, set())
    out = []
    for values in session.connection().execute(select(table)).mappings():
        row = canonical_row(table, values)
        if table.name == "imports":
            row["import"] = keys["import_id"][values["id"]]
        for column, names in keys.items():
            if column in row:
                row[column] = None if row[column] is None else names[values[column]]
        out.append(canonical_json({k: v for k, v in row.items() if k not in skip}))
    return sorted(out)


def _answer_lines(session: Session, keys: Keys) -> list[str]:
    people, imports = keys["participant_id"], keys["import_id"]
    return sorted(canonical_json({"participant_id": people[pid], "visit": visit, "item": item,
                                  "value": value,
                                  "import_id": None if source is None else imports[source]})
                  for pid, visit, answers in session.execute(
                      select(ResponseSet.participant_id, ResponseSet.visit, ResponseSet.answers))
                  for item, (value, source) in decode(answers).items())


def chunks(session: Session, *, adverse_events: bool = True) -> Iterator[bytes]:
    """The export, one table at a time (a header line, then one JSON line per row);
    without the adverse events' section when `adverse_events` is false (the form that
    releases before them signed)."""
    keys = _natural_keys(session)
    yield (FORMAT + "\n").encode()
    for model in TABLES:
        name = model.__tablename__
        if model is ResponseSet:
            name, lines = "item_responses", _answer_lines(session, keys)
        else:
            lines = _lines(session, model.__table__, keys)
        yield _section(name, lines)
    events = _lines(session, AdverseEvent.__table__, keys) if adverse_events else []
    if events:
        yield _section(AdverseEvent.__tablename__, events)


def _section(name: str, lines: list[str]) -> bytes:
    return (f"# {name} {len(lines)}\n" + "".join(line + "\n" for line in lines)).encode()


def data_digest(session: Session, *, adverse_events: bool = True) -> str:
    """SHA-256 of the canonical export, as hex: what the lock signs."""
    digest = hashlib.sha256()
    for chunk in chunks(session, adverse_events=adverse_events):
        digest.update(chunk)
    return digest.hexdigest()

