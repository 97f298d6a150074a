"""Writing item answers: one response_sets row per participant and visit.

New answers for a participant-visit with no stored answers become a new row
whose text is built from per-distinct-value pieces, then bulk-inserted; answers
for a participant-visit already stored are merged into its row, which is
updated once. Each changed answer gets its own audit entry with before and
after; the rows' fingerprint change goes into the import's digest delta.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, select

from db.audit import Entry, canonical_row
from db.models import ResponseSet
from importers.changes import CHANGED, UNCHANGED
from trialcore.audit_chain import row_fingerprint
from trialcore.response_sets import columns, decode, encode, join, missing, number, source

TABLE: Table = ResponseSet.__table__  # type: ignore[assignment]
CHUNK = 2_000  # sets per statement
LOOKUP = 500  # participant ids per IN list
Stored = dict[tuple[int, str], dict[str, Any]]


def stored_sets(conn: Connection, participant_ids: list[int]) -> Stored:
    """The stored sets of these participants, by (participant_id, visit)."""
    out: Stored = {}
    for at in range(0, len(participant_ids), LOOKUP):
        q = select(TABLE).where(TABLE.c.participant_id.in_(participant_ids[at:at + LOOKUP]))
        for row in conn.execute(q).mappings():
            out[row["participant_id"], row["visit"]] = dict(row)
    return out


def stored_answers(conn: Connection, participant_ids: list[int],
                   items: list[str]) -> pd.DataFrame:
    """These participants' stored answers to these items, one row each, as validation
    compares them: id (of the set), participant_id, visit, target, value, import_id.
    Built column by column: a re-imported file meets a million stored answers."""
    sets = stored_sets(conn, participant_ids)
    names: list[str] = []
    values: list[float | None] = []
    sources: list[int | None] = []
    codes: list[str | None] = []
    sizes = []
    for s in sets.values():
        n, v, i = columns(s["answers"])
        names += n
        values += v
        sources += i
        sizes.append(len(n))
        coded = missing(s["answers"]) if '"missing"' in s["answers"] else {}
        codes += [coded.get(item) for item in n]
    frame = pd.DataFrame({
        "id": np.repeat(np.array([s["id"] for s in sets.values()], dtype=np.int64), sizes),
        "participant_id": np.repeat(np.array([k[0] for k in sets], dtype=np.int64), sizes),
        "visit": np.repeat(np.array([k[1] for k in sets], dtype=object), sizes),
        "target": np.array(names, dtype=object), "value": np.array(values, dtype=float),
        "import_id": np.array(sources, dtype=float),
        "code": np.array(codes, dtype=object)})
    return frame[frame["target"].isin(items).to_numpy()].reset_index(drop=True)


def _pieces(frame: pd.DataFrame, import_id: int) -> tuple[list[str], list[str], list[str]]:
    """Each row's `"item":import_id`, `"item":value` and `"item":"code"` ('' when the
    answer has no missing-data code), built once per distinct item and value."""
    tcode, tnames = pd.factorize(frame["target"])
    items = np.array([json.dumps(str(t)) + ":" for t in tnames], dtype=object)[tcode]
    vcode, distinct = pd.factorize(frame["value"].to_numpy(dtype=float), use_na_sentinel=False)
    shown = np.array([number(v) for v in distinct], dtype=object)[vcode]
    codes = [""] * len(frame)
    if "code" in frame.columns:
        for i in np.flatnonzero(pd.notna(frame["code"]).to_numpy()):
            codes[i] = items[i] + json.dumps(str(frame["code"].iloc[i]))
    return (items + source(import_id)).tolist(), (items + shown).tolist(), codes


def _fresh(frame: pd.DataFrame, import_id: int) -> list[dict[str, Any]]:
    """New sets from rows sorted by participant, visit and item."""
    if frame.empty:
        return []
    pid = frame["participant_id"].to_numpy(dtype=np.int64)
    visit = frame["visit"].astype(object).to_numpy()
    starts = np.flatnonzero(np.r_[True, (pid[1:] != pid[:-1]) | (visit[1:] != visit[:-1])])
    ends = np.r_[starts[1:], len(frame)]
    sources, values, codes = _pieces(frame, import_id)
    return [{"participant_id": int(pid[a]), "visit": str(visit[a]),
             "answers": join(sources[a:b], values[a:b], [c for c in codes[a:b] if c]),
             "import_id": import_id, "version": 1}
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def _in_item_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows grouped by participant and visit, items in the order the set's text sorts
    them; a file in export order is not moved."""
    codes = [pd.factorize(frame[c], sort=True)[0] for c in ("target", "visit")]
    order = np.lexsort((*codes, frame["participant_id"].to_numpy()))
    return frame if (np.diff(order) > 0).all() else frame.iloc[order]


def _fingerprint(row: dict[str, Any]) -> int:
    return row_fingerprint(canonical_row(TABLE, row))


def write(conn: Connection, frame: pd.DataFrame, import_id: int, reason: str | None,
          step: Callable[[float, str], None]) -> tuple[int, list[Entry]]:
    """Store the new and changed answers; returns the digest delta and the audit entries
    of changed answers. `step` reports progress and raises if the user cancelled."""
    touched = _in_item_order(frame[frame["state"].to_numpy() != UNCHANGED])
    if touched.empty:
        return 0, []
    sets = stored_sets(conn, sorted(pd.unique(touched["participant_id"]).tolist()))
    merge = np.zeros(len(touched), dtype=bool)
    if sets:
        merge = pd.MultiIndex.from_arrays([touched["participant_id"].to_numpy(dtype=np.int64),
                                           touched["visit"].astype(str)]).isin(list(sets))
    delta = 0
    fresh = _fresh(touched[~merge], import_id)
    for at in range(0, len(fresh), CHUNK):
        conn.execute(TABLE.insert(), fresh[at:at + CHUNK])
        delta += sum(_fingerprint(r) for r in fresh[at:at + CHUNK])
        step(min(at + CHUNK, len(fresh)) / len(fresh), "writing item_responses")
    merged, entries = _merge(touched[merge], sets, import_id, reason)
    for before, after in merged:
        conn.execute(TABLE.update().where(TABLE.c.id == before["id"]).values(
            answers=after["answers"], import_id=import_id, version=before["version"] + 1))
        delta += _fingerprint(after) - _fingerprint(before)
    return delta, entries


def _merge(frame: pd.DataFrame, sets: Stored, import_id: int, reason: str | None
           ) -> tuple[list[tuple[dict[str, Any], dict[str, Any]]], list[Entry]]:
    """Stored sets with this import's answers merged in, and an entry per changed answer."""
    answers: dict[tuple[int, str], dict[str, Any]] = {}
    codes: dict[tuple[int, str], dict[str, str]] = {}
    entries = []
    for r in frame.itertuples(index=False):
        key = (int(r.participant_id), str(r.visit))
        if key not in answers:
            answers[key] = decode(sets[key]["answers"])
            codes[key] = missing(sets[key]["answers"])
        old = answers[key].get(r.target)
        old_code = codes[key].pop(r.target, None)
        code = getattr(r, "code", None)
        value = None if np.isnan(r.value) else float(r.value)
        answers[key][r.target] = (value, import_id)
        if pd.notna(code):
            codes[key][r.target] = str(code)
        if r.state == CHANGED and old is not None:
            common = {"participant_id": key[0], "visit": key[1], "item": r.target}
            entries.append(Entry(
                action="import.update", entity="item_responses",
                entity_key=f"{r.label}/{r.visit}/{r.target}", participant=r.label,
                before={**common, "value": old[0], "import_id": old[1],
                        **({"missing_code": old_code} if old_code else {})},
                after={**common, "value": value, "import_id": import_id,
                       **({"missing_code": str(code)} if pd.notna(code) else {})},
                reason=reason))
    return [(sets[k], {**sets[k], "answers": encode(a, codes[k]), "import_id": import_id})
            for k, a in answers.items()], entries
