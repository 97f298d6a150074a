"""Import speed against an in-run baseline: 1,000,000 answers for 2,000 participants.

Baseline: pandas reads the same long-format file and one bulk insert (the
driver's executemany, as the import uses) puts the same rows into a bare table
of the same database. Then the full import: reading, validation, scoring,
provenance and the audit entry with its digest. Target: import <= 2 x baseline.

    python benchmarks/import_bench.py [--pg URL] [--rows N] [--participants N]

PostgreSQL runs too when --pg or TRIALDESK_TEST_PG names a server (a scratch
schema is made and dropped). The participants and their logged visits are set
up with bulk inserts (not audited: a benchmark fixture, not study data); the
import itself runs exactly as `import questionnaire` does.
`python -m benchmarks.run` calls measure() for its table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too

from benchmarks.study_builder import scratch_postgres
from db.models import Participant, Visit
from services import accounts, imports
from services.context import Actor, App
from services.import_store import CHUNK, bulk_insert
from services.study import init_study

REFERENCE = Path(__file__).resolve().parent.parent / "resources" / "reference_protocol.toml"
SCALES, ITEMS_PER_SCALE = 5, 25  # 125 items at each of the 4 visits: 500 per participant


def bench_protocol(folder: Path) -> Path:
    """The reference study with its questionnaires replaced by five 25-item scales."""
    text_ = REFERENCE.read_text()
    text_ = text_[:text_.index('[[measures]]\nname = "likability_angry"')]
    text_ = text_.replace("id_digits = 3", "id_digits = 4")
    for s in range(SCALES):
        items = [f"s{s}_i{i:02d}" for i in range(ITEMS_PER_SCALE)]
        text_ += (f'\n[[measures]]\nname = "scale_{s}"\nkind = "questionnaire"\n'
                  f'unit = "sum score"\nmin = 1\nmax = 5\nscore = "sum"\n'
                  f'items = [{", ".join(repr(i).replace(chr(39), chr(34)) for i in items)}]\n'
                  f'reverse = ["{items[0]}"]\nmin_answered = 20\n')
    path = folder / "bench_protocol.toml"
    path.write_text(text_)
    return path


def answers_file(folder: Path, participants: int, rows: int, visits: list[str]) -> Path:
    """participant, visit, item, value: every item of every visit, in export order."""
    items = [f"s{s}_i{i:02d}" for s in range(SCALES) for i in range(ITEMS_PER_SCALE)]
    per_person = len(visits) * len(items)
    people = np.arange(1, participants + 1).repeat(per_person)[:rows]
    visit = np.tile(np.repeat(np.array(visits, dtype=object), len(items)), participants)[:rows]
    item = np.tile(np.array(items, dtype=object), participants * len(visits))[:rows]
    value = np.random.default_rng(7).integers(1, 6, size=len(people))
    frame = pd.DataFrame({"participant": [f"P{p:04d}" for p in people], "visit": visit,
                          "item": item, "value": value})
    path = folder / "answers_long.csv"
    frame.to_csv(path, index=False)
    return path


def setup_study(url: str, folder: Path, participants: int) -> tuple[App, Actor]:
    app = App(url)
    init_study(app, bench_protocol(folder), "admin", "bench-admin-1")
    accounts.add_user(app, Actor("admin", "admin"), "cora", "coordinator", "bench-cora-1")
    day = dt.date.today() - dt.timedelta(days=60)
    people = [{"id": n, "number": n, "label": f"P{n:04d}", "status": "enrolled",
               "registered_on": day, "enrolled_on": day, "notes": "", "version": 1,
               "emergency_unblinded": False} for n in range(1, participants + 1)]
    visits = [{"participant_id": n, "visit": v.id, "status": "done", "actual_date": day,
               "version": 1} for n in range(1, participants + 1) for v in app.protocol.visits]
    with app.engine.begin() as conn:
        conn.execute(insert(Participant), people)
        conn.execute(insert(Visit), visits)
    return app, Actor("cora", "coordinator")


def baseline(app: App, path: Path) -> float:
    """pandas reading the file + one bulk insert of its rows into a bare table, with the
    same bulk statement the import uses (store.bulk_insert, in the same chunks)."""
    with app.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE bench_bare (participant VARCHAR(32), "
                             "visit VARCHAR(64), item VARCHAR(64), value FLOAT)")
    columns = [("participant", "text"), ("visit", "text"), ("item", "text"),
               ("value", "float8")]
    start = time.perf_counter()
    frame = pd.read_csv(path)
    data = [frame["participant"].tolist(), frame["visit"].tolist(), frame["item"].tolist(),
            frame["value"].astype(float).tolist()]
    with app.engine.begin() as conn:
        for at in range(0, len(frame), CHUNK):
            bulk_insert(conn, "bench_bare", columns, [d[at:at + CHUNK] for d in data])
    took = time.perf_counter() - start
    with app.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE bench_bare")
    return took


def full_import(app: App, cora: Actor, path: Path) -> tuple[float, list[tuple[float, str]]]:
    marks: list[tuple[float, str]] = []
    start = time.perf_counter()

    def progress(_fraction: float, what: str) -> None:
        if not marks or marks[-1][1] != what:
            marks.append((time.perf_counter() - start, what))

    report = imports.commit(app, cora, imports.ImportOptions("questionnaire", str(path),
                                                             format="long"),
                            progress=progress)
    took = time.perf_counter() - start
    if not report.committed:
        raise SystemExit("the benchmark import failed: "
                         + "; ".join(p.text(report.file_name) for p in report.errors[:5]))
    return took, marks


@dataclass(frozen=True)
class ImportFigures:
    """Seconds for the baseline and the import, and when each import step began."""

    baseline: float
    took: float
    marks: list[tuple[float, str]]


def measure(url: str, folder: Path, rows: int, participants: int) -> ImportFigures:
    """Set up a study in the empty database at `url`, then time baseline and import."""
    app, cora = setup_study(url, folder, participants)
    try:
        path = answers_file(folder, participants, rows, [v.id for v in app.protocol.visits])
        pd.read_csv(path)  # warm the file cache for both timings alike
        base = baseline(app, path)
        took, marks = full_import(app, cora, path)
    finally:
        app.close()
    return ImportFigures(base, took, marks)


def run(name: str, url: str, folder: Path, args: argparse.Namespace) -> None:
    figures = measure(url, folder, args.rows, args.participants)
    base, took = figures.baseline, figures.took
    steps = ", ".join(f"{re.sub(r' [^ ]+$', '', w) if w.startswith('reading') else w} "
                      f"at {t:.2f}s" for t, w in figures.marks)
    print(f"{name:<10} {args.rows:>9,} answers  baseline {base:6.2f} s  import {took:6.2f} s"
          f"  ratio {took / base:4.2f}  (target <= 2.00)\n{'':<11}import steps: {steps}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("TRIALDESK_TEST_PG"),
                        help="PostgreSQL URL (default: TRIALDESK_TEST_PG)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trialdesk-bench-") as tmp:
        folder = Path(tmp)
        (folder / "sqlite").mkdir()
        run("SQLite", f"sqlite:///{folder / 'sqlite' / 'bench.sqlite'}", folder / "sqlite", args)
        if args.pg:
            (folder / "pg").mkdir()
            with scratch_postgres(args.pg) as url:
                run("PostgreSQL", url, folder / "pg", args)


if __name__ == "__main__":
    main()
