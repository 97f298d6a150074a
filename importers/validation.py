"""Checking every value of an import at once, against the file itself and a snapshot of the study.

Vectorized on purpose: a file of a million answers is checked with a few
pandas operations per rule and Python work per distinct participant or visit,
never per row. Each rule adds problems that name the file's row and column.

Decisions a coordinator can rely on (docs in services/imports.py):
- a visit logged as done (or with an actual date) takes data;
- a visit still open whose booked or target date has passed takes data with a
  warning to log it; one in the future or without a date is an error, as is a
  visit recorded as missed or cancelled;
- data for a withdrawn participant after the withdrawal date is a warning only;
- before unblinding, a column whose name could reveal the treatment is refused
  unless the user drops it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from importers.changes import CHANGED, NEW, STATES, UNCHANGED, compare, score
from importers.extract import Extract
from importers.keys import label, participant_numbers
from importers.problems import Findings, Problem
from trialcore.protocol import Protocol
from trialcore.scoring import item_table

STORED_COLUMNS = ["id", "participant_id", "visit", "target", "value", "import_id"]
_LEADING_NUMBER = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(?:[-–=:,.)]\s*|\s+)\S")
DEFAULT_LABELS = {"checked": 1.0, "unchecked": 0.0}
NOT_DONE_ERRORS = ("missed", "cancelled")
RANK = np.zeros(3, dtype=np.int8)  # a row counts as its strongest value: changed > new > same
RANK[[UNCHANGED, NEW, CHANGED]] = [1, 2, 3]
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?\d+,\d+\s*$")
NOT_REGISTERED = "participant not in the register"
NOTHING = "nothing to import"


@dataclass
class Snapshot:
    """The study state an import is checked against, read in one go by the service."""

    stage: str
    today: dt.date
    participants: pd.DataFrame
    visits: pd.DataFrame
    stored: dict[str, pd.DataFrame]


@dataclass
class Plan:
    """What committing would change, and every problem found."""

    rows: int
    errors: list[Problem]
    warnings: list[Problem]
    changes: dict[str, pd.DataFrame]
    counts: dict[str, int]
    values: dict[str, dict[str, int]]
    unknown_participants: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # rows left out, by reason
    skipped_participants: list[str] = field(default_factory=list)


def validate(ex: Extract, snap: Snapshot, protocol: Protocol, *,
             allow_update: bool, only_registered: bool = False) -> Plan:
    """Every check of the import; the plan says what a commit would insert and update.

    With `only_registered`, rows of participants the register does not know are
    skipped and listed instead of refused."""
    found = Findings()
    found.add(ex.errors)
    found.add([Problem(None, None, n) for n in ex.table.notes], warning=True)
    found.add(ex.warnings, warning=True)
    if snap.stage != "unblinded":
        for col in ex.treatment:
            found.error([None], col, f"column {col} could reveal which treatment participants "
                        "received, and the study is still blinded: remove it from the file or "
                        "leave the column out", option="drop_column", value=col)
    values, unknown, unregistered = _checked(ex, snap, protocol, found, only_registered)
    changes: dict[str, pd.DataFrame] = {}
    if ex.kind == "scans":
        changes["observations"] = compare(values, snap.stored["observations"])
    else:
        items = compare(values, snap.stored["item_responses"])
        changes["item_responses"] = items
        scores = score(items, snap.stored["item_responses"], protocol, found)
        changes["observations"] = compare(scores, snap.stored["observations"])
    for table, frame in changes.items():
        _conflicts(frame, table, allow_update, found)
    own = changes["observations" if ex.kind == "scans" else "item_responses"]
    errors = found.listed(found.errors)
    # a row whose only error is a change to a stored value counts as updated (what a
    # commit with updates allowed does), so the GUI can offer to allow them
    rejected = {p.row for p in errors if p.row is not None and p.option != "update"}
    counts, skipped = _row_counts(ex, own, rejected, unregistered)
    return Plan(rows=ex.rows + len(ex.skipped_rows), errors=errors,
                warnings=found.listed(found.warnings), changes=changes, counts=counts,
                values={t: dict(zip(STATES, np.bincount(f["state"], minlength=3).tolist(),
                                        strict=True)) for t, f in changes.items()},
                unknown_participants=[] if only_registered else unknown, skipped=skipped,
                skipped_participants=unknown if only_registered else [])


def _checked(ex: Extract, snap: Snapshot, protocol: Protocol, found: Findings,
             only_registered: bool) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """Values with known keys and valid numbers; problems for the rest. Also the IDs
    not in the register and (with `only_registered`) the rows skipped for them."""
    v = ex.values.astype({"visit": "category", "target": "category"})
    rows = v["row"].to_numpy()
    first_of_row = ~pd.Series(rows).duplicated().to_numpy()
    numbers, reasons = participant_numbers(v["participant"], protocol.id_prefix)
    register = snap.participants.set_index("number")["id"]
    pid = register.reindex(numbers).to_numpy(dtype=float, na_value=np.nan)
    bad_id = numbers == 0
    unknown = ~bad_id & np.isnan(pid)
    pcol = ex.participant_column
    if bad_id.any():
        pick = bad_id & first_of_row
        found.error(rows[pick], pcol, reasons[pick])
    unknown_ids: list[str] = []
    unregistered = np.empty(0, dtype=np.int64)
    if unknown.any():
        unknown_ids = sorted({str(r).strip() for r in v["participant"].to_numpy()[unknown]},
                             key=lambda s: (len(s), s))
    if unknown.any() and only_registered:
        unregistered = np.unique(rows[unknown])
        found.warn([None], pcol, f"{len(unregistered)} row(s) of {len(unknown_ids)} "
                   f"participant(s) not in the register are skipped, as asked: "
                   f"{', '.join(unknown_ids)}")
    elif unknown.any():
        pick = unknown & first_of_row
        raw = v["participant"].to_numpy()[pick]
        found.error(rows[pick], pcol, [f"{r!s}: no participant {label(n, protocol)} in the "
                                       "register" for r, n in zip(raw, numbers[pick],
                                                                  strict=True)])
        found.error([None], pcol, f"{len(unknown_ids)} participant ID(s) in the file are not "
                    f"in the register: {', '.join(unknown_ids)}; register them, or import "
                    "only the rows of registered participants", option="only_registered")
    no_visit = v["visit"].isna().to_numpy()
    if no_visit.any():
        pick = no_visit & first_of_row
        labels = v["visit_label"].to_numpy()[pick]
        ids = ", ".join(x.id for x in protocol.visits)
        found.error(rows[pick], ex.visit_column,
                    ["no visit given" if pd.isna(t) else
                     f"unknown visit {t!s}; the protocol's visits are {ids}" for t in labels])
    code = _missing_codes(ex, v, protocol)
    value = _numbers(ex, v, protocol, found, code)
    ok = ~bad_id & ~unknown & ~no_visit & (~np.isnan(value) | pd.notna(code))
    ok &= ~_duplicates(v, numbers, protocol, found)
    codes, uniques = pd.factorize(numbers)
    frame = pd.DataFrame({
        "row": rows, "column": v["column"].to_numpy(),
        "participant_id": np.nan_to_num(pid, nan=0).astype(np.int64),
        "label": pd.Categorical.from_codes(codes, [label(n, protocol) for n in uniques]),
        "visit": v["visit"].array, "target": v["target"].array, "value": value,
        "code": code,
    })[ok].reset_index(drop=True)
    _visit_status(frame, snap, found, ex.visit_column)
    return frame, unknown_ids, unregistered


def _missing_codes(ex: Extract, v: pd.DataFrame, protocol: Protocol) -> np.ndarray:
    """Each answer's missing-data code when the cell holds one of its measure's codes
    (protocol missing_codes), else None: such an answer is stored as missing with its
    code, never read as a number nor refused as out of range."""
    out = np.full(len(v), None, dtype=object)
    if ex.kind != "questionnaire" or v.empty:
        return out
    scales = item_table(protocol.measures).set_index("item")["measure"]
    target = v["target"].array
    per_item = {t: set(protocol.codes_of(scales[t])) for t in target.categories
                if t in scales.index}
    if not any(per_item.values()):
        return out
    text = v["raw"].astype(str).str.strip().to_numpy(dtype=object)
    filled = pd.notna(v["raw"]).to_numpy()
    for position, item in enumerate(target.categories):
        if per_item.get(item):
            hit = (target.codes == position) & filled & np.isin(text, list(per_item[item]))
            out[hit] = text[hit]
    return out


def _numbers(ex: Extract, v: pd.DataFrame, protocol: Protocol, found: Findings,
             code: np.ndarray) -> np.ndarray:
    """Parsed values (NaN = missing or bad), with range and QC checks per target; an
    answer with a missing-data code is NaN without a problem."""
    value, bad = ex.table.numbers(v["raw"])
    coded = pd.notna(code)
    value[coded], bad[coded] = np.nan, False
    value = value + 0.0  # -0.0 would not survive SQLite's storage, nor the audit digest
    if bad.any() and ex.kind == "questionnaire":
        value, bad = _labelled(v["raw"], value, bad, ex.mapping.value_labels)
    rows, cols = v["row"].to_numpy(), v["column"].to_numpy()
    if bad.any():
        found.error(rows[bad], cols[bad], [f"{r!r} is not a number" for r in v["raw"][bad]])
        commas = v["raw"][bad].astype(str).str.match(_DECIMAL_COMMA)
        if not ex.table.decimal_comma and commas.any():
            found.warn([None], None, f"{int(commas.sum())} value(s) such as "
                       f"{v['raw'][bad][commas].iloc[0]!r} look like numbers written with a "
                       "decimal comma; read the file with a decimal comma", option="decimal",
                       value=",")
    target = v["target"].array
    spec = _ranges(ex.kind, protocol).reindex(target.categories)
    codes = target.codes
    lo, hi, qc = (spec[c].to_numpy(dtype=float)[codes] for c in ("lo", "hi", "qc"))
    outside = ~np.isnan(value) & ((value < lo) | (value > hi))
    if outside.any():
        found.error(rows[outside], cols[outside], [
            f"{x:g} is outside the range of {t} ({a:g} to {b:g})"
            for x, t, a, b in zip(value[outside], np.asarray(target)[outside],
                                  lo[outside], hi[outside], strict=True)])
        value = np.where(outside, np.nan, value)
    above = value > qc
    if above.any():
        found.warn(rows[above], cols[above], [
            f"{x:g} is above the quality limit {q:g} of {t}"
            for x, t, q in zip(value[above], np.asarray(target)[above], qc[above],
                               strict=True)])
    return value


def _ranges(kind: str, protocol: Protocol) -> pd.DataFrame:
    if kind == "scans":
        rows = [(m.name, m.min, m.max, m.qc_max if m.qc_max is not None else np.inf)
                for m in protocol.measures if m.kind == "scan"]
    else:
        items = item_table(protocol.measures)
        rows = [(i, lo, hi, np.inf) for i, lo, hi in zip(items["item"], items["lo"],
                                                          items["hi"], strict=True)]
    return pd.DataFrame(rows, columns=["target", "lo", "hi", "qc"]).set_index("target")


def _labelled(raw: pd.Series, value: np.ndarray, bad: np.ndarray,
              labels: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Answers exported as labels: a profile's value labels, or a leading code ("1 - never")."""
    known = {**DEFAULT_LABELS, **{str(k).strip().lower(): float(x) for k, x in labels.items()}}
    value, bad = value.copy(), bad.copy()
    for i in np.flatnonzero(bad):
        text = str(raw.iloc[i]).strip()
        if text.lower() in known:
            value[i], bad[i] = known[text.lower()], False
        elif m := _LEADING_NUMBER.match(text):
            value[i], bad[i] = float(m.group(1).replace(",", ".")), False
    return value, bad


def _duplicates(v: pd.DataFrame, numbers: np.ndarray, protocol: Protocol,
                found: Findings) -> np.ndarray:
    """Later values for a participant, visit and measure or item the file already gave."""
    visits, targets = v["visit"].array, v["target"].array
    vcode = visits.codes.astype(np.int64)
    tcode = targets.codes.astype(np.int64)
    key = (numbers * (len(visits.categories) + 1) + vcode + 1) * (len(targets.categories) + 1) \
        + tcode
    usable = (numbers > 0) & (vcode >= 0)
    dup = pd.Series(key).duplicated().to_numpy() & usable
    if dup.any():
        rows = v["row"].to_numpy()
        first = pd.Series(rows[usable]).groupby(key[usable]).min()
        found.error(rows[dup], v["column"].to_numpy()[dup], [
            f"{label(n, protocol)} {visits.categories[c]} {targets.categories[t]} is also "
            f"given in row {first[k]}"
            for n, c, t, k in zip(numbers[dup], vcode[dup], tcode[dup], key[dup], strict=True)])
    return dup


def _visit_status(frame: pd.DataFrame, snap: Snapshot, found: Findings,
                  column: str | None) -> None:
    """Has each visit happened? One problem per participant and visit, at its first row."""
    if frame.empty:
        return
    pairs = frame.groupby(["participant_id", "visit"], sort=False, observed=True)["row"].agg(
        ["min", "count"]).reset_index()
    pairs["visit"] = pairs["visit"].astype(object)
    people = snap.participants.rename(columns={"id": "participant_id"})
    pairs = pairs.merge(snap.visits, how="left", on=["participant_id", "visit"]).merge(
        people[["participant_id", "label", "withdrawn_on"]], how="left", on="participant_id")
    day = {c: pd.to_datetime(pairs[c]) for c in ("actual_date", "booked_date", "target_date",
                                                  "withdrawn_on")}
    planned = day["booked_date"].fillna(day["target_date"])
    when = day["actual_date"].fillna(planned)
    status = pairs["status"]
    withdrawn = day["withdrawn_on"].notna() & (when.isna() | (when > day["withdrawn_on"]))
    done = (status == "done") & ~withdrawn
    closed = status.isin(NOT_DONE_ERRORS) & ~withdrawn
    logged = day["actual_date"].notna() & ~done & ~closed & ~withdrawn
    missing = status.isna() & ~withdrawn
    rest = ~(withdrawn | done | closed | logged | missing)
    past = rest & planned.notna() & (planned <= pd.Timestamp(snap.today))
    future = rest & ~past
    rules = [
        (withdrawn, False, lambda p: f"is after {p.label}'s withdrawal on "
         f"{_day(p.withdrawn_on)}; the values are imported: check they are wanted"),
        (closed, True, lambda p: f"is recorded as {p.status}, so it has no data"),
        (missing, True, lambda p: "has no visit in the schedule"),
        (past, False, lambda p: f"is not logged as done yet (planned for {_planned(p)}); the "
         "values are imported: log the visit"),
        (future, True, lambda p: "has not happened yet (" + (
            f"planned for {_planned(p)}" if _planned(p) else "not scheduled yet")
         + "): log the visit first"),
    ]
    for mask, error, message in rules:
        for p in pairs[mask.to_numpy()].itertuples(index=False):
            more = f" (rows {p.min} and later)" if p.count > 1 else ""
            (found.error if error else found.warn)(
                [p.min], column, f"{p.label} {p.visit} {message(p)}{more}")


def _day(value: object) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    return value.date() if isinstance(value, dt.datetime) else value  # type: ignore[return-value]


def _planned(p: object) -> dt.date | None:
    return _day(getattr(p, "booked_date", None)) or _day(getattr(p, "target_date", None))


def _conflicts(frame: pd.DataFrame, table: str, allow_update: bool, found: Findings) -> None:
    changed = frame[frame["state"] == CHANGED]
    if changed.empty or allow_update:
        return
    found.error(changed["row"].to_numpy(), changed["column"].to_numpy(), option="update",
                message=[
        f"{who} {visit} {target}: {_shown(old, old_code)} is stored ("
        + (f"from import {int(src)}" if src == src else "entered earlier")
        + f"), the file has {_shown(new, code)}; to change it, allow updates and give a reason"
        for who, visit, target, old, new, src, code, old_code in zip(
            changed["label"], changed["visit"], changed["target"], changed["stored_value"],
            changed["value"], changed["stored_import"], _codes(changed, "code"),
            _codes(changed, "stored_code"), strict=True)])


def _codes(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=object) if column in frame.columns \
        else np.full(len(frame), None, dtype=object)


def _shown(value: float, code: object = None) -> str:
    if pd.notna(code):
        return f"the missing code {code}"
    return "no value" if np.isnan(value) else f"{value:g}"


def _row_counts(ex: Extract, frame: pd.DataFrame, error_rows: set[int],
                unregistered: np.ndarray) -> tuple[dict[str, int], dict[str, int]]:
    """Each row read counted once: rejected if it has an error, else skipped (by reason:
    left out by the reader, participant not registered, nothing to import), else by its
    strongest value: updated if any value changes, inserted if any is new, else unchanged.
    """
    table_rows = ex.table.rows
    rejected = np.isin(table_rows, np.fromiter(error_rows, dtype=np.int64))
    unknown = np.isin(table_rows, unregistered) & ~rejected
    out = ~rejected & ~unknown
    rank = RANK[frame["state"].to_numpy(dtype=np.int64)]
    best = pd.Series(rank).groupby(frame["row"].to_numpy()).max() if len(frame) \
        else pd.Series(dtype=np.int8)
    per_row = best.reindex(table_rows).fillna(0).to_numpy(dtype=np.int64) * out
    counts = {"inserted": int((per_row == 2).sum()), "updated": int((per_row == 3).sum()),
              "unchanged": int((per_row == 1).sum()), "rejected": int(rejected.sum())}
    skipped = {why: len(rows) for why, rows in ex.skipped.items() if len(rows)}
    for why, n in ((NOT_REGISTERED, int(unknown.sum())),
                   (NOTHING, int((out & (per_row == 0)).sum()))):
        if n:
            skipped[why] = n
    return counts, skipped
