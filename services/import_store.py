"""Writing a validated import: bulk statements inside the caller's transaction, and its audit.

Item answers go to services/answer_store.py (a row per participant and visit).
Observations go in with the driver's executemany in chunks (no ORM objects), sorted by
their unique key so the indexes grow at their ends. The audit trail gets one
entry for the import whose digest delta covers every row it added, plus one
entry per changed value with its old and new value and the reason.
The digest delta is the sum of the rows' fingerprints (trialcore/audit_chain):
each row's canonical JSON is built from per-distinct-value pieces rather than
json.dumps per row, and only the SHA-256 itself runs once per row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

from db.audit import Entry, append_entries, canonical_row
from db.models import ImportRecord
from importers.changes import CHANGED, NEW
from services import answer_store
from trialcore.audit_chain import DIGEST_MODULUS, row_fingerprint

CHUNK = 50_000
Progress = Callable[[float, str], None]


class Cancelled(Exception):
    """The user stopped the import; the transaction rolls back."""


def fingerprint_sum(frame: pd.DataFrame, import_id: int) -> int:
    """Sum of row_fingerprint(canonical_row(...)) over new observations, without a dict
    per row.

    The canonical JSON of an observation has sorted keys:
    import_id, measure, participant_id, value, visit. JSON pieces are
    encoded once per distinct value and then concatenated per row.
    """
    if frame.empty:
        return 0
    head = f'{{"import_id":{import_id},"measure":'
    tcode, tnames = pd.factorize(frame["target"])
    first = np.array([head + json.dumps(str(t)) + ',"participant_id":' for t in tnames],
                     dtype=object)[tcode]
    pcode, pids = pd.factorize(frame["participant_id"])
    middle = np.array([f'{int(p)},"value":' for p in pids], dtype=object)[pcode]
    values = frame["value"].to_numpy(dtype=float)
    vcode, vals = pd.factorize(values)
    shown = np.array([repr(float(v)) for v in vals], dtype=object)[vcode]
    scode, visits = pd.factorize(frame["visit"])
    last = np.array([f',"visit":{json.dumps(str(s))}}}' for s in visits], dtype=object)[scode]
    text = first + middle + shown + last
    sha = hashlib.sha256
    digests = b"".join([sha(t.encode("ascii")).digest() for t in text])
    words = np.frombuffer(digests, dtype=">u4").reshape(-1, 8)[:, :4].astype(np.uint64)
    total = sum(int(w) << (32 * (3 - i)) for i, w in enumerate(words.sum(axis=0)))
    return total % DIGEST_MODULUS


def _in_key_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted as the unique index sorts them, so every b-tree grows at its end;
    exports usually come sorted already, and then nothing is moved."""
    codes = [frame["participant_id"].to_numpy()]
    for column in ("visit", "target"):
        values = frame[column]
        codes.append(values.cat.codes.to_numpy() if isinstance(values.dtype,
                                                                pd.CategoricalDtype)
                      else pd.factorize(values, sort=True)[0])
    order = np.lexsort(codes[::-1])
    if (np.diff(order) > 0).all():
        return frame
    return frame.iloc[order]


def _placeholders(conn: Connection, n: int) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return ", ".join([mark] * n)


def bulk_insert(conn: Connection, table: str, columns: list[tuple[str, str]],
                data: list[list[Any]], fixed: dict[str, int] | None = None) -> None:
    """Rows given column-wise, in one statement per call: SQLite takes an executemany of
    tuples; PostgreSQL one INSERT ... SELECT FROM unnest(arrays), far fewer round trips
    than a row per statement. `columns` pairs each name with its PostgreSQL type."""
    fixed = fixed or {}
    names = ", ".join([*(c for c, _ in columns), *fixed])
    constants = [str(int(v)) for v in fixed.values()]
    if conn.dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for _, kind in columns)
        extra = "".join(f", {c}" for c in constants)
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) SELECT *{extra} FROM "
                             f"unnest({arrays})", tuple(data))
    else:
        marks = ", ".join(["?"] * len(columns) + constants)
        conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                             list(zip(*data, strict=True)))  # type: ignore[arg-type]


def insert_record(conn: Connection, record: dict[str, Any]) -> tuple[int, int]:
    """The import's own row; returns its id and its fingerprint."""
    table = ImportRecord.__table__
    new_id = conn.execute(table.insert().values(**record).returning(table.c.id)).scalar_one()
    return new_id, row_fingerprint(canonical_row(table, record))  # type: ignore[arg-type]


def insert_new(conn: Connection, frame: pd.DataFrame, import_id: int,
               step: Progress) -> int:
    """Bulk-insert new observations in chunks; returns their digest delta."""
    if frame.empty:
        return 0
    frame = _in_key_order(frame)
    columns = [("participant_id", "bigint"), ("visit", "text"), ("measure", "text"),
               ("value", "float8")]
    data = [frame["participant_id"].tolist(), frame["visit"].tolist(),
            frame["target"].tolist(), frame["value"].tolist()]
    for start in range(0, len(frame), CHUNK):
        bulk_insert(conn, "observations", columns, [d[start:start + CHUNK] for d in data],
                    {"import_id": import_id, "version": 1})
        step(min(start + CHUNK, len(frame)) / len(frame), "writing observations")
    return fingerprint_sum(frame, import_id)


def update_changed(conn: Connection, frame: pd.DataFrame, import_id: int,
                   reason: str | None) -> list[Entry]:
    """Change stored observations in place; one audit entry per value, with before and
    after."""
    if frame.empty:
        return []
    sql = (f"UPDATE observations SET value = {_placeholders(conn, 1)}, "
           f"import_id = {int(import_id)}, version = version + 1 "
           f"WHERE id = {_placeholders(conn, 1)}")
    conn.exec_driver_sql(sql, list(zip(frame["value"].tolist(),  # type: ignore[arg-type]
                                       frame["stored_id"].tolist(), strict=True)))
    entries = []
    for r in frame.itertuples(index=False):
        common = {"participant_id": int(r.participant_id), "visit": r.visit,
                  "measure": r.target}
        old_value = None if np.isnan(r.stored_value) else float(r.stored_value)
        before = {**common, "value": old_value,
                  "import_id": None if np.isnan(r.stored_import) else int(r.stored_import)}
        after = {**common, "value": float(r.value), "import_id": import_id}
        entries.append(Entry(
            action="import.update", entity="observations",
            entity_key=f"{r.label}/{r.visit}/{r.target}", participant=r.label,
            before=before, after=after, reason=reason,
            digest_delta={"observations": row_fingerprint(after) - row_fingerprint(before)}))
    return entries


def write(conn: Connection, actor: str, record: dict[str, Any],
          changes: dict[str, pd.DataFrame], reason: str | None, progress: Progress,
          cancelled: Callable[[], bool]) -> int:
    """Everything an import writes, inside the caller's transaction; returns the import id.
    `changes` holds "item_responses" (answers) and/or "observations" (values, scores)."""

    def step(fraction: float, what: str) -> None:
        if cancelled():
            raise Cancelled
        progress(fraction, what)

    import_id, record_fp = insert_record(conn, record)
    deltas = {"imports": record_fp}
    updates: list[Entry] = []
    if "item_responses" in changes:
        deltas["response_sets"], updates = answer_store.write(
            conn, changes["item_responses"], import_id, reason, step)
    frame = changes.get("observations")
    if frame is not None:
        state = frame["state"].to_numpy()
        deltas["observations"] = insert_new(conn, frame[state == NEW], import_id, step)
        updates += update_changed(conn, frame[state == CHANGED], import_id, reason)
    step(1.0, "recording the import")
    stored = canonical_row(ImportRecord.__table__, record)  # type: ignore[arg-type]
    entry = Entry(action=f"import.{record['kind']}", entity="imports",
                  entity_key=f"import {import_id}", after=stored, reason=reason,
                  digest_delta={t: d for t, d in deltas.items() if d})
    append_entries(conn, actor, [entry, *updates])
    return import_id
