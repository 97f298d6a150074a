"""Hand entry and correction of values: `values set` and `values show`.

A hand entry goes through the import path (importers/validation.py and
services/import_store.py) as a one-row "file": the same range checks, the same scoring of
questionnaire scales from item answers (trialcore/scoring.py via importers/changes.py),
the same old → new audit entries for changed values and the same digest deltas, so
`audit verify` and the canonical export need nothing new. The entry's provenance is an
`imports` row of kind "entry" (who, when, which values), which the observations and
answers it wrote point at, as they point at a file's import.

Rules: only a visit logged as done takes hand-entered values; changing a stored value
(from an import or an earlier entry) needs a reason; a scale score is entered by hand
only when none of its items are stored for that visit (otherwise the score comes from
the items); a change to a source-verified visit clears its SDV mark and says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ImportRecord, Participant, ResponseSet, Visit, utcnow
from importers.changes import CHANGED, NEW, STATES
from importers.extract import VALUE_COLUMNS, Extract
from importers.mapping import Mapping as ColumnMapping
from importers.reading import Table
from importers.validation import Plan, validate
from services.context import Actor, App, need_reason, require
from services.double_entry import RESOLVED, double_names, hold, open_row, settle
from services.errors import Refused
from services.import_records import provenance
from services.import_store import write
from services.imports import IMPORT_LOCK, snapshot
from services.lifecycle import require_open
from services.participants import load
from services.sdv import clear_marks
from services.visits import visit_spec
from trialcore.protocol import Measure, Protocol
from trialcore.response_sets import decode

ENTRY_KIND = "entry"
ENTRY_FILE = "hand entry"


@dataclass
class EntryResult:
    """What one `values set` did: each value's state and, if it changed, the old value."""

    participant: str
    visit: str
    entry_id: int | None
    values: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sdv_cleared: bool = False
    # double-entry names this entry held: [{"name", "label", "status": waiting|agreed|...}]
    double_entry: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"participant": self.participant, "visit": self.visit,
                "entry_id": self.entry_id, "values": self.values,
                "warnings": self.warnings, "sdv_cleared": self.sdv_cleared,
                "double_entry": self.double_entry}


def _kinds(protocol: Protocol) -> dict[str, tuple[str, Measure]]:
    """Every name a user may enter: scan measures and scale scores (stored as observations)
    and questionnaire items (stored as answers), with the measure each belongs to."""
    out: dict[str, tuple[str, Measure]] = {}
    for m in protocol.measures:
        if m.kind == "questionnaire":
            out[m.name] = ("score", m)
            out.update({item: ("item", m) for item in m.items})
        else:
            out[m.name] = ("scan", m)
    return out


def known_names(protocol: Protocol) -> list[str]:
    """Scan measures, scale names and questionnaire items, sorted."""
    return sorted(_kinds(protocol))


def labelled_names(protocol: Protocol) -> list[tuple[str, str]]:
    """(name, label) of every name a value is entered or queried under, in the protocol's
    order (each scale's score before its items): what a chooser lists."""
    return [(name, protocol.name_label(name)) for name in _kinds(protocol)]


def score_range(m: Measure) -> tuple[float, float]:
    """A scale's possible scores: a sum spans n items' range, a mean one item's."""
    n = len(m.items) if m.score == "sum" else 1
    return m.min * n, m.max * n


def _extract(kind: str, label: str, visit: str, pairs: list[tuple[str, str]]) -> Extract:
    """The entered values as an import would have read them from a one-row file."""
    frame = pd.DataFrame([[text for _, text in pairs]], columns=[n for n, _ in pairs],
                         dtype=object)
    table = Table(name=ENTRY_FILE, frame=frame, rows=np.array([1]), format=ENTRY_KIND)
    values = pd.DataFrame({"row": np.ones(len(pairs), dtype=np.int64),
                           "column": [n for n, _ in pairs], "participant": label,
                           "visit": visit, "visit_label": visit,
                           "target": [n for n, _ in pairs],
                           "raw": [text for _, text in pairs]})[VALUE_COLUMNS]
    return Extract(kind, f"{kind} {ENTRY_KIND}", table, ColumnMapping(), values,
                   participant_column=None, visit_column=None)


def _checked_pairs(protocol: Protocol, values: Mapping[str, str]
                   ) -> dict[str, list[tuple[str, str]]]:
    if not values:
        raise Refused("no values given: write them as NAME=VALUE")
    known = _kinds(protocol)
    out: dict[str, list[tuple[str, str]]] = {"scans": [], "questionnaire": []}
    for name, text in values.items():
        if name not in known:
            raise Refused(f"{name}: not a measure, scale or item of the protocol; the names "
                          f"are {', '.join(sorted(known))}")
        if not str(text).strip():
            raise Refused(f"{name}: no value given (a value is removed by no hand entry)")
        kind, m = known[name]
        if kind == "score":
            _check_score(name, str(text), m)
        out["questionnaire" if kind == "item" else "scans"].append((name, str(text).strip()))
    return out


def _check_score(name: str, text: str, m: Measure) -> None:
    try:
        value = float(text.replace(",", "."))
    except ValueError as exc:
        raise Refused(f"{name}: {text!r} is not a number") from exc
    lo, hi = score_range(m)
    if not lo <= value <= hi:
        raise Refused(f"{name}: {value:g} is outside the range of {name} ({lo:g} to {hi:g})")


def _done_visit(s: Session, app: App, participant: object, visit: str) -> tuple[Participant,
                                                                                 Visit]:
    p = load(s, app, participant)
    row = s.scalar(select(Visit).where(Visit.participant_id == p.id, Visit.visit == visit))
    if row is None or row.status != "done":
        state = "not in the schedule" if row is None else f"{row.status}, not done"
        raise Refused(f"{p.label} {visit} is {state}: values are entered for a done visit "
                      "only (log the visit first)")
    return p, row


def _no_items_stored(s: Session, p: Participant, visit: str, scores: list[str],
                     protocol: Protocol) -> None:
    if not scores:
        return
    text = s.scalar(select(ResponseSet.answers).where(ResponseSet.participant_id == p.id,
                                                      ResponseSet.visit == visit))
    stored = set(decode(text)) if text else set()
    for m in protocol.measures:
        if m.name in scores and stored & set(m.items):
            raise Refused(f"{m.name}: {p.label} {visit} has item answers stored, and the score "
                          "is computed from them; enter the items instead")


def _plans(s: Session, app: App, label: str, visit: str,
           pairs: dict[str, list[tuple[str, str]]]) -> list[Plan]:
    plans = []
    for kind, given in pairs.items():
        if not given:
            continue
        extract = _extract(kind, label, visit, given)
        plan = validate(extract, snapshot(s, extract, app.protocol), app.protocol,
                        allow_update=True)
        if plan.errors:
            details = [f"{p.column}: {p.message}" if p.column else p.message
                       for p in plan.errors]
            more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
            raise Refused(f"{label} {visit}: {details[0]}{more}; nothing was written", details)
        plans.append(plan)
    return plans


def _merged(plans: list[Plan]) -> dict[str, pd.DataFrame]:
    changes: dict[str, pd.DataFrame] = {}
    for plan in plans:
        for table, frame in plan.changes.items():
            frame = frame.astype({"visit": object, "target": object, "label": object})
            changes[table] = frame if table not in changes else pd.concat(
                [changes[table], frame], ignore_index=True)
    return changes


def _listed(changes: dict[str, pd.DataFrame]) -> list[dict[str, Any]]:
    out = []
    for table, frame in changes.items():
        for r in frame.itertuples(index=False):
            out.append({"name": r.target, "value": float(r.value),
                        "kind": "answer" if table == "item_responses" else "value",
                        "state": STATES[int(r.state)],
                        "old": None if np.isnan(r.stored_value) else float(r.stored_value)})
    return out


def set_values(app: App, actor: Actor, participant: object, visit: str,
               values: Mapping[str, str], reason: str | None = None) -> EntryResult:
    """Enter or correct values of one done visit, checked and scored as an import is."""
    require(actor, "values.enter")
    require_open(app)
    with app.write(actor, "values.set", reason) as s:
        return enter(s, app, actor, participant, visit, values, reason)


def enter(s: Session, app: App, actor: Actor, participant: object, visit: str,
          values: Mapping[str, str], reason: str | None) -> EntryResult:
    """set_values inside the caller's unit of work (a query's answer corrects a value and
    records the answer in one transaction). The caller has checked the role and stage.

    A double-entry measure's name with no stored value is held as a first or second
    entry (services/double_entry.py) instead of stored; the values two people agree on
    are stored with the others, in one entry that records both people."""
    protocol = app.protocol
    visit = visit_spec(protocol, visit).id
    _checked_pairs(protocol, values)
    _serialize(s)
    p, _ = _done_visit(s, app, participant, visit)
    fresh = _unstored(s, app, p, visit, {n: v for n, v in values.items()
                                         if n in double_names(protocol)})
    held = hold(s, p, visit, fresh, actor)
    rest = {n: v for n, v in values.items() if n not in fresh}
    result = EntryResult(p.label, visit, None)
    if rest or held.agreed:
        result = _store(s, app, actor, p, visit, {**rest, **held.agreed}, reason,
                        {n: [held.first_by[n], actor.name] for n in held.agreed})
    result.double_entry = _labelled(protocol, held.outcome)
    return result


def resolve(app: App, actor: Actor, participant: object, visit: str,
            values: Mapping[str, str], reason: str | None) -> EntryResult:
    """A resolver decides a double-entry mismatch (or a first entry no second person
    will enter): the value given is stored, with the reason, and the pair is closed."""
    require(actor, "values.resolve")
    require_open(app)
    reason = need_reason(reason, "resolving a double data entry")
    with app.write(actor, "values.resolve", reason) as s:
        protocol = app.protocol
        visit = visit_spec(protocol, visit).id
        _checked_pairs(protocol, values)
        _serialize(s)
        p, _ = _done_visit(s, app, participant, visit)
        entered = {}
        for name, text in values.items():
            row = open_row(s, p, visit, name)
            settle(row, str(text).strip(), actor, reason)
            entered[name] = [row.first_by] + ([row.second_by] if row.second_by else [])
        result = _store(s, app, actor, p, visit, values, reason, entered)
        result.double_entry = _labelled(protocol, [{"name": n, "status": RESOLVED}
                                                   for n in sorted(values)])
        return result


def _labelled(protocol: Protocol, held: list[dict[str, str]]) -> list[dict[str, str]]:
    """What happened to each double-entry name, with the name's label for the screens."""
    return [{**d, "label": protocol.name_label(d["name"])} for d in held]


def _serialize(s: Session) -> None:
    """As an import: on PostgreSQL no stale snapshot between the check and the write."""
    if s.connection().dialect.name == "postgresql":
        s.connection().exec_driver_sql(f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})")


def _unstored(s: Session, app: App, p: Participant, visit: str,
              values: Mapping[str, str]) -> dict[str, str]:
    """Those of `values` with nothing stored yet (checked as an import checks them): a
    stored value is corrected with a reason, not entered twice."""
    if not values:
        return {}
    states = {v["name"]: v["state"] for v in _listed(_merged(_plans(
        s, app, p.label, visit, _checked_pairs(app.protocol, values))))}
    return {n: v for n, v in values.items() if states.get(n) == STATES[NEW]}


def _store(s: Session, app: App, actor: Actor, p: Participant, visit: str,
           values: Mapping[str, str], reason: str | None,
           entered_by: dict[str, list[str]]) -> EntryResult:
    """Check, score and write values as an import of a one-row file; `entered_by` names
    the people behind each double-entered value, for the entry's provenance."""
    protocol = app.protocol
    pairs = _checked_pairs(protocol, values)
    _no_items_stored(s, p, visit, [n for n, _ in pairs["scans"]
                                   if _kinds(protocol)[n][0] == "score"], protocol)
    plans = _plans(s, app, p.label, visit, pairs)
    changes = _merged(plans)
    result = EntryResult(p.label, visit, None, _listed(changes),
                         [w.message for plan in plans for w in plan.warnings])
    states = np.concatenate([f["state"].to_numpy() for f in changes.values()])
    if not ((states == NEW) | (states == CHANGED)).any():
        return result
    changed = int((states == CHANGED).sum())
    if changed:
        reason = need_reason(reason, f"changing {changed} stored value(s) of {p.label} "
                                     f"{visit}")
    record = _record(actor, p.label, visit, values, states, entered_by)
    result.entry_id = write(s.connection(), actor.name, record, changes, reason,
                            lambda _f, _t: None, lambda: False)
    result.sdv_cleared = bool(clear_marks(s, {(p.id, visit)}, f"values of {p.label} "
                                          f"{visit} changed after source-data verification"
                                          + (f": {reason}" if reason else "")))
    return result


def _record(actor: Actor, label: str, visit: str, values: Mapping[str, str],
            states: np.ndarray, entered_by: dict[str, list[str]]) -> dict[str, Any]:
    """The entry's provenance row: who entered which values, when (and, for double-entered
    values, the people who typed them)."""
    entered = {"participant": label, "visit": visit,
               "values": {k: str(v).strip() for k, v in sorted(values.items())},
               **({"double_entry": entered_by} if entered_by else {})}
    text = json.dumps(entered, sort_keys=True)
    updated = int((states == CHANGED).any())  # the one "row" counts as updated or inserted
    return {"kind": ENTRY_KIND, "file_name": ENTRY_FILE,
            "sha256": hashlib.sha256(text.encode()).hexdigest(), "size": len(text.encode()),
            "format": ENTRY_KIND, "options": text, "by": actor.name, "at": utcnow(),
            "rows": 1, "inserted": 1 - updated, "updated": updated, "unchanged": 0}


def show(app: App, actor: Actor, participant: object,
         visit: str | None = None) -> list[dict[str, Any]]:
    """Each stored value of a participant with how it arrived: a file's import (its id and
    file) or a hand entry (who, when; for a double-entered value also who typed it).
    A double entry's first entry is not a stored value and is not shown."""
    rows = provenance(app, actor, participant)
    if visit is not None:
        visit = visit_spec(app.protocol, visit).id
        rows = [r for r in rows if r["visit"] == visit]
    with app.read() as s:
        records = {r.id: r for r in s.scalars(select(ImportRecord))}
    out = []
    for r in rows:
        rec = records.get(r["import_id"])
        entry = rec is not None and rec.kind == ENTRY_KIND
        out.append({"participant": r["participant"], "visit": r["visit"], "name": r["name"],
                    "visit_label": r["visit_label"], "label": r["label"],
                    "value": r["value"], "kind": "answer" if r["table"] == "item_responses"
                    else "value", "source": "entry" if entry else "import",
                    "import_id": None if entry else r["import_id"],
                    "entry_id": r["import_id"] if entry else None,
                    "file": None if entry else r["file"],
                    "user": rec.by if rec else None,
                    "at": rec.at.isoformat() + "Z" if rec else None,
                    "double_entry": _typed_by(rec, r["name"]) if entry else None})
    return out


def _typed_by(record: ImportRecord, name: str) -> list[str] | None:
    """Who typed a double-entered value (first, second), as its entry recorded them."""
    return json.loads(record.options).get("double_entry", {}).get(name)
