"""A synthetic study of any size, written fast: the fixture every benchmark measures.

The study row and one account per role go through the services (init_study,
add_user), so the protocol and the accounts are real; every other row
(participants, allocation slots, dose codes, visits, observations, hand entries,
queries with their answers, SDV marks, adverse events) is written with SQLAlchemy
Core executemany in chunks of CHUNK participants. The trail still verifies: like an
import, the bulk writing is recorded as one entry carrying each table's digest delta
and row count (`recorded`), so `audit verify` re-reads and checks every row.

Default shape: 6 visits (3 of them dosing) and `measures` scan measures
(fd_mean with a QC limit, then roi_01, roi_02, …), one value per measure at
every visit that was done; about 1 % of dosing visits are logged as missed. In the
proportions of a running study: the values of about 2 % of done visits were entered
by hand (an `imports` row of kind "entry" each, as services/data_entry.py writes
them), about 3 % of done visits have a query (opened, answered, most closed), a third
of done visits are source-verified, and there is about one adverse event per three
participants.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, Table, create_engine, insert, select, text, update

from db.audit import Entry, append_entries, canonical_row
from db.models import (
    AdverseEvent,
    AllocationSlot,
    DataQuery,
    DoseCode,
    ImportRecord,
    Observation,
    Participant,
    QueryMessage,
    RevealedCondition,
    SdvMark,
    Study,
    StudyLock,
    Unblinding,
    Visit,
)
from db.row_digest import table_digest
from services.accounts import add_user
from services.context import Actor, App
from services.study import init_study
from trialcore.audit_chain import DIGEST_MODULUS
from trialcore.codes import ALPHABET
from trialcore.roles import ROLES

VISITS = (  # id, anchor, day, window, dosing
    ("screening", "registration", 0, (0, 14), False),
    ("baseline", "screening", 7, (-2, 2), False),
    ("dose1", "enrolment", 7, (-2, 3), True),
    ("dose2", "dose1", 7, (0, 7), True),
    ("dose3", "dose2", 7, (0, 7), True),
    ("followup", "dose3", 14, (-3, 3), False),
)
CONDITIONS = (("A", "Condition A", 0), ("B", "Condition B", 40), ("C", "Condition C", 80))
WILLIAMS = ("ABC", "BCA", "CAB", "ACB", "BAC", "CBA")
MEASURES = 50
CHUNK = 500  # participants per bulk insert
ADMIN = Actor("admin", "admin")
PASSWORD = "bench-pass-1234"
HAND_ENTERED = 0.02  # of done visits: their values entered by hand, not imported
QUERIED = 0.03  # of done visits: a query about one value
CLOSED = 0.7  # of queries: closed after the answer (the rest wait, answered)
VERIFIED = 1 / 3  # of done visits: source-verified (an SDV mark)
AES_PER_PARTICIPANT = 1 / 3
BULK = (Study, ImportRecord, Participant, AllocationSlot, DoseCode, Visit, Observation,
        DataQuery, QueryMessage, SdvMark, AdverseEvent)
UNBLINDING = (StudyLock, Study, RevealedCondition, Unblinding)


def measure_names(measures: int = MEASURES) -> list[str]:
    """fd_mean (the QC measure) first, then roi_01 … in protocol order."""
    return ["fd_mean", *(f"roi_{i:02d}" for i in range(1, measures))]


def protocol_toml(participants: int, measures: int = MEASURES) -> str:
    lines = ['[study]', f'title = "Benchmark: {measures} scan measures x {len(VISITS)} visits"',
             'design = "crossover"', 'reference_condition = "A"', 'washout_days = 7',
             '[participants]', 'id_prefix = "B"', 'id_digits = 5']
    for code, label, dose in CONDITIONS:
        lines += ['[[conditions]]', f'code = "{code}"', f'label = "{label}"', f'dose_mg = {dose}']
    lines += ['[strata]', 'names = ["high", "low"]', '[allocation]',
              f'slots_per_stratum = {participants // 2 + 1}']
    for vid, anchor, day, (lo, hi), dosing in VISITS:
        lines += ['[[visits]]', f'id = "{vid}"', f'anchor = "{anchor}"', f'day = {day}',
                  f'window = [{lo}, {hi}]', f'dosing = {str(dosing).lower()}']
    lines += ['[[measures]]', 'name = "fd_mean"', 'label = "Mean framewise displacement"',
              'kind = "scan"', 'unit = "mm"', 'min = 0', 'max = 10', 'qc_max = 0.5']
    for i in range(1, measures):
        lines += ['[[measures]]', f'name = "roi_{i:02d}"', f'label = "Region {i} activation"',
                  'kind = "scan"', 'unit = "beta"', 'min = -10', 'max = 10']
    return "\n".join(lines) + "\n"


def _code(n: int) -> str:
    """A unique, well-formed looking kit code (no check character: plots never check)."""
    symbols = []
    for _ in range(8):
        n, r = divmod(n, len(ALPHABET))
        symbols.append(ALPHABET[r])
    return "".join(symbols[:4]) + "-" + "".join(symbols[4:])


def _visit_rows(pid: int, registered: dt.date, rng: np.random.Generator) -> list[dict]:
    """Six visits: done on or near target (2 % late), 1 % of dosing visits missed."""
    rows, on = [], registered
    for vid, _, day, (lo, hi), dosing in VISITS:
        target = on + dt.timedelta(days=day if vid != "screening" else 0)
        late = rng.random() < 0.02
        actual = target + dt.timedelta(days=int(hi + 2) if late else int(rng.integers(0, hi + 1)))
        missed = dosing and rng.random() < 0.01
        rows.append({"participant_id": pid, "visit": vid, "target_date": target,
                     "window_start": target + dt.timedelta(days=lo),
                     "window_end": target + dt.timedelta(days=hi), "actual_date": actual,
                     "status": "missed" if missed else "done",
                     "reason": "benchmark: missed" if missed else None,
                     "deviation_days": 2 if late and not missed else None,
                     "deviation_reason": "benchmark: late" if late and not missed else None,
                     "kit_code": None, "version": 1})
        on = actual
    return rows


@contextmanager
def recorded(app: App, models: tuple[type, ...], action: str) -> Iterator[None]:
    """Record what the block bulk-writes into `models`' tables as one audit entry, as an
    import records its rows: each table's digest delta (measured by reading the table
    before and after) and row count. The block commits its own transactions."""
    tables: list[Table] = [m.__table__ for m in models]
    with app.engine.connect() as conn:
        before = {t.name: table_digest(conn, t, canonical_row) for t in tables}
    yield
    with app.engine.begin() as conn:
        delta = {t.name: (table_digest(conn, t, canonical_row) - before[t.name])
                 % DIGEST_MODULUS for t in tables}
        append_entries(conn, "bench", [Entry(
            action=action, entity="benchmark", entity_key="synthetic rows",
            reason="benchmark study written in bulk",
            digest_delta={name: d for name, d in delta.items() if d})])


def build(app: App, participants: int, folder: Path, measures: int = MEASURES) -> None:
    """The study row and the accounts through the services, then every other row by bulk
    insert, recorded in the trail."""
    path = folder / "bench_protocol.toml"
    path.write_text(protocol_toml(participants, measures), encoding="utf-8")
    init_study(app, path, ADMIN.name, "bench-admin-pass-1", synthetic=True)
    for role in (r for r in ROLES if r != ADMIN.role):  # the admin came with the study
        add_user(app, ADMIN, role, role, PASSWORD)
    rng = np.random.default_rng(20260101)
    names = measure_names(measures)
    start = time.perf_counter()
    with recorded(app, BULK, "bench.build"):
        with app.engine.begin() as conn:
            conn.execute(update(Study.__table__).values(stage="running"))
            import_id = conn.execute(insert(ImportRecord.__table__).values(
                kind="scans", file_name="bench_scans.tsv", sha256="0" * 64, size=0,
                format="tsv", options="{}", by="bench", at=dt.datetime(2026, 1, 1), rows=0,
                inserted=0, updated=0, unchanged=0)).inserted_primary_key[0]
        for first in range(1, participants + 1, CHUNK):
            numbers = range(first, min(first + CHUNK, participants + 1))
            _insert_chunk(app, numbers, names, import_id, rng)
            print(f"\r  built {numbers[-1]:,} of {participants:,} participants "
                  f"({time.perf_counter() - start:.0f} s)", end="", flush=True)
        print()


def _hand_entry(conn: Connection, pid: int, visit: str, names: list[str]) -> int:
    """The provenance row of one visit's values entered by hand (services/data_entry.py)."""
    entered = json.dumps({"participant": f"B{pid:05d}", "visit": visit,
                          "values": {n: "…" for n in names}}, sort_keys=True)
    return conn.execute(insert(ImportRecord.__table__).values(
        kind="entry", file_name="(hand entry)", sha256="0" * 64, size=len(entered),
        format="entry", options=entered, by="coordinator", at=dt.datetime(2026, 1, 1),
        rows=1, inserted=1, updated=0, unchanged=0)).inserted_primary_key[0]


def _monitoring(conn: Connection, done: list[tuple[int, str]], names: list[str],
                rng: np.random.Generator) -> None:
    """Queries with their conversation and SDV marks on done visits."""
    at = dt.datetime(2026, 1, 5)
    marks = [{"participant_id": p, "visit": v, "by": "monitor", "at": at}
             for p, v in done if rng.random() < VERIFIED]
    if marks:
        conn.execute(insert(SdvMark.__table__), marks)
    for p, v in done:
        if rng.random() >= QUERIED:
            continue
        closed = rng.random() < CLOSED
        qid = conn.execute(insert(DataQuery.__table__).values(
            participant_id=p, visit=v, name=names[int(rng.integers(len(names)))],
            status="closed" if closed else "answered", opened_by="monitor", opened_at=at,
            version=3 if closed else 2)).inserted_primary_key[0]
        steps = [("open", "Please confirm this value against the source.", "monitor"),
                 ("answer", "Checked against the scanner log: the value is correct.",
                  "coordinator")] + ([("close", "Confirmed.", "monitor")] if closed else [])
        conn.execute(insert(QueryMessage.__table__), [
            {"query_id": qid, "kind": k, "text": t, "by": by, "at": at} for k, t, by in steps])


def _adverse_events(conn: Connection, numbers: range, rng: np.random.Generator) -> None:
    rows = []
    for n in numbers:
        if rng.random() >= AES_PER_PARTICIPANT:
            continue
        onset = dt.date(2025, 2, 1) + dt.timedelta(days=n % 300)
        rows.append({"participant_id": n, "term": "Headache", "term_code": None,
                     "dictionary": None, "onset": onset,
                     "severity": ("mild", "moderate", "severe")[int(rng.integers(3))],
                     "serious": bool(rng.random() < 0.05),
                     "related": ("unrelated", "unlikely", "possible")[int(rng.integers(3))],
                     "visit": None, "resolved": onset + dt.timedelta(days=3),
                     "outcome": "recovered", "action": None, "reported_by": "investigator",
                     "reported_at": dt.datetime(2026, 1, 4), "version": 1})
    if rows:
        conn.execute(insert(AdverseEvent.__table__), rows)


def _insert_chunk(app: App, numbers: range, names: list[str], import_id: int,
                  rng: np.random.Generator) -> None:
    with app.engine.begin() as conn:
        conn.execute(insert(Participant.__table__), [
            {"id": n, "number": n, "label": f"B{n:05d}", "status": "enrolled",
             "stratum": "high" if n % 2 else "low", "stratum_source": "manual",
             "stratum_reason": "benchmark", "registered_on": dt.date(2025, 1, 1)
             + dt.timedelta(days=n % 300), "enrolled_on": None, "notes": "",
             "emergency_unblinded": False, "version": 1} for n in numbers])
        conn.execute(insert(AllocationSlot.__table__), [
            {"id": n, "stratum": "high" if n % 2 else "low", "position": n,
             "participant_id": n} for n in numbers])
        conn.execute(insert(DoseCode.__table__), [
            {"slot_id": n, "visit": f"dose{k}", "code": _code(3 * n + k)}
            for n in numbers for k in (1, 2, 3)])
        visits = [r for n in numbers
                  for r in _visit_rows(n, dt.date(2025, 1, 1) + dt.timedelta(days=n % 300), rng)]
        conn.execute(insert(Visit.__table__), visits)
        done = [(r["participant_id"], r["visit"]) for r in visits if r["status"] == "done"]
        values = rng.normal(0.5, 0.3, size=(len(done), len(names)))
        values[:, 0] = np.abs(values[:, 0]) * 0.6  # fd_mean: some scans above 0.5 mm
        source = [_hand_entry(conn, pid, visit, names) if rng.random() < HAND_ENTERED
                  else import_id for pid, visit in done]
        conn.execute(insert(Observation.__table__), [
            {"participant_id": pid, "visit": visit, "measure": name,
             "value": float(values[i, j]), "import_id": source[i], "version": 1}
            for i, (pid, visit) in enumerate(done) for j, name in enumerate(names)])
        _monitoring(conn, done, names, rng)
        _adverse_events(conn, numbers, rng)


def unblind(app: App) -> None:
    """Lock record, stage, revealed conditions, unblinding record: in the order the
    database triggers demand (migration 0002); recorded in the trail like the build."""
    with recorded(app, UNBLINDING, "bench.unblind"):
        _unblind(app)


def _unblind(app: App) -> None:
    with app.engine.begin() as conn:
        conn.execute(insert(StudyLock.__table__).values(
            locked_at=dt.datetime(2026, 1, 2), signer="bench", meaning="benchmark",
            reason="benchmark", data_digest="0" * 64, audit_head="0" * 64))
        conn.execute(update(Study.__table__).values(stage="locked"))
    with app.engine.begin() as conn:
        ids = conn.execute(select(Participant.id)).scalars().all()
        conn.execute(insert(RevealedCondition.__table__), [
            {"participant_id": pid, "visit": f"dose{k + 1}", "period": k + 1,
             "condition": WILLIAMS[pid % len(WILLIAMS)][k]} for pid in ids for k in range(3)])
        conn.execute(insert(Unblinding.__table__).values(
            kind="study", by="bench", at=dt.datetime(2026, 1, 3), reason="benchmark",
            meaning="benchmark"))
        conn.execute(update(Study.__table__).values(stage="unblinded"))


@contextmanager
def scratch_postgres(base: str) -> Iterator[str]:
    """A URL on a new schema of the server at `base`; the schema is dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
