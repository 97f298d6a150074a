"""A synthetic study of any size, written fast: the fixture every benchmark measures.

The study row goes through the service (init_study), so the protocol is real;
every other row (participants, allocation slots, dose codes, visits,
observations) is written with SQLAlchemy Core executemany in chunks of CHUNK
participants. Those rows carry no audit entries: the study is for measuring
only, and `audit verify` fails on it by design (MEASURING_ONLY says so).

Default shape: 6 visits (3 of them dosing) and `measures` scan measures
(fd_mean with a QC limit, then roi_01, roi_02, …), one value per measure at
every visit that was done; about 1 % of dosing visits are logged as missed.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert, select, text, update

from db.models import (
    AllocationSlot,
    DoseCode,
    ImportRecord,
    Observation,
    Participant,
    RevealedCondition,
    Study,
    StudyLock,
    Unblinding,
    Visit,
)
from services.context import App
from services.study import init_study
from trialcore.codes import ALPHABET

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
MEASURING_ONLY = ("note: the study's rows were bulk-inserted without audit entries: it is for "
                  "measuring only, and `audit verify` fails on it by design")


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


def build(app: App, participants: int, folder: Path, measures: int = MEASURES) -> None:
    """The study row through the service, then every other row by bulk insert."""
    path = folder / "bench_protocol.toml"
    path.write_text(protocol_toml(participants, measures), encoding="utf-8")
    init_study(app, path, "admin", "bench-admin-pass-1", synthetic=True)
    rng = np.random.default_rng(20260101)
    names = measure_names(measures)
    start = time.perf_counter()
    with app.engine.begin() as conn:
        conn.execute(update(Study.__table__).values(stage="running"))
        import_id = conn.execute(insert(ImportRecord.__table__).values(
            kind="scans", file_name="bench_scans.tsv", sha256="0" * 64, size=0, format="tsv",
            options="{}", by="bench", at=dt.datetime(2026, 1, 1), rows=0, inserted=0,
            updated=0, unchanged=0)).inserted_primary_key[0]
    for first in range(1, participants + 1, CHUNK):
        numbers = range(first, min(first + CHUNK, participants + 1))
        _insert_chunk(app, numbers, names, import_id, rng)
        print(f"\r  built {numbers[-1]:,} of {participants:,} participants "
              f"({time.perf_counter() - start:.0f} s)", end="", flush=True)
    print()


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
        conn.execute(insert(Observation.__table__), [
            {"participant_id": pid, "visit": visit, "measure": name,
             "value": float(values[i, j]), "import_id": import_id, "version": 1}
            for i, (pid, visit) in enumerate(done) for j, name in enumerate(names)])


def unblind(app: App) -> None:
    """Lock record, stage, revealed conditions, unblinding record: in the order the
    database triggers demand (migration 0002)."""
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
