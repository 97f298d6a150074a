"""Plot speed at 10,000 participants x 50 measures x 6 visits (3,000,000 observations).

    python benchmarks/plot_bench.py [--db PATH_OR_URL] [--participants N]

Builds the study (or reuses the one in --db) and measures, offscreen:
- a participant switch: fetching the plot data, and redrawing the kept plot
  items (setData on every plot, then a forced repaint: grab() of the figure),
  each the median of 100 switches between random participants;
- the group view of one measure over everyone: fetch and draw, separately.
Each figure is printed with a baseline measured in the same run (one trivial
query; a 4-point plot redrawn) and the ratio to it, so machines compare.

The rows are written with plain bulk inserts (it measures reading), so the
audit trail does not cover them: `audit verify` fails on this database.
A fresh build is measured blinded (stage running), then unblinded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo, gui/ included

from sqlalchemy import insert, select, text, update

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
from services import plot_data
from services.context import Actor, App
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
SWITCHES = 100
GROUP_REPEATS = 7
GROUP_MEASURE = "roi_01"
TARGETS = {"switch redraw": 50.0, "group view draw": 200.0}
CHUNK = 500  # participants per bulk insert
READER = Actor("bench", "coordinator")


def protocol_toml(participants: int) -> str:
    lines = ['[study]', 'title = "Plot benchmark: 50 scan measures x 6 visits"',
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
    for i in range(1, MEASURES):
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


def build(app: App, participants: int, folder: Path) -> None:
    """The study row through the service, then every other row by bulk insert."""
    path = folder / "plot_bench_protocol.toml"
    path.write_text(protocol_toml(participants), encoding="utf-8")
    init_study(app, path, "admin", "bench-admin-pass-1", synthetic=True)
    rng = np.random.default_rng(20260101)
    names = ["fd_mean", *(f"roi_{i:02d}" for i in range(1, MEASURES))]
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


# -- measuring ---------------------------------------------------------------------------------

def median_ms(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def baselines(app: App) -> tuple[float, float]:
    """One trivial query; one 4-point plot redrawn and grabbed."""
    import pyqtgraph as pg

    def query() -> None:
        with app.read() as s:
            s.scalar(select(Study.stage))

    widget = pg.PlotWidget(background="w")
    widget.resize(400, 300)
    widget.show()
    curve = widget.plot()
    step = iter(range(10**6))

    def draw() -> None:
        curve.setData(np.arange(4), np.arange(4) * next(step) % 7)
        widget.grab()

    try:
        return median_ms(query, SWITCHES), median_ms(draw, SWITCHES)
    finally:
        _delete(widget)


def _delete(widget: object) -> None:
    """At once: a pyqtgraph scene left for interpreter exit crashes it."""
    import shiboken6

    widget.close()  # type: ignore[attr-defined]
    shiboken6.delete(widget)
    gc.collect()


def switches(app: App, participants: int, measures: list[str] | None = None
             ) -> Iterator[tuple[str, float]]:
    """Median fetch and median redraw of SWITCHES participant switches."""
    from gui.plots.participant_panel import ParticipantPlots

    rng = np.random.default_rng(7)
    numbers = rng.choice(np.arange(1, participants + 1), size=SWITCHES, replace=False)
    fetched = []
    fetch_times = []
    for n in numbers:
        start = time.perf_counter()
        fetched.append(plot_data.participant_plots(app, READER, int(n)))
        fetch_times.append((time.perf_counter() - start) * 1000)
    panel = ParticipantPlots(app, READER)
    if measures is not None:
        panel.chooser.set_chosen(measures)
    panel.resize(1400, 1000)
    panel.show()
    panel.show_participant(str(participants))  # first paint, not timed
    panel.view.grab()
    shown = iter(fetched)

    def redraw() -> None:
        panel.figure.set_data(next(shown))
        panel.view.grab()

    try:
        draw = median_ms(redraw, SWITCHES)
    finally:
        _delete(panel)
    yield "switch fetch", statistics.median(fetch_times)
    yield "switch redraw", draw


def group_view(app: App) -> Iterator[tuple[str, float]]:
    from gui.plots.group_view import GroupView

    view = GroupView(app, READER)
    view.resize(1400, 700)
    view.show()
    data = []
    fetch = median_ms(lambda: data.append(plot_data.group_plot(app, READER, GROUP_MEASURE)),
                      GROUP_REPEATS)
    shown = iter(data * 2)

    def draw() -> None:
        view.figure.set_data(next(shown))
        view.view.grab()

    try:
        drawn = median_ms(draw, GROUP_REPEATS)
    finally:
        _delete(view)
    yield "group view fetch", fetch
    yield "group view draw", drawn


def plans(app: App) -> list[str]:
    """How the database reaches a participant's and a measure's observations."""
    explain = "EXPLAIN QUERY PLAN " if app.dialect == "sqlite" else "EXPLAIN "
    out = []
    for what, sql in (
            ("one participant", "SELECT value FROM observations WHERE participant_id = 5000 "
                                "AND visit = 'dose1'"),
            ("one measure", f"SELECT value FROM observations WHERE measure = '{GROUP_MEASURE}'")):
        with app.engine.connect() as conn:
            rows = conn.execute(text(explain + sql)).all()
        out.append(f"  {what}: " + " | ".join(str(r[-1]).strip() for r in rows[:2]))
    return out


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--db", help="database to reuse or build (default: a new temp file)")
    args.add_argument("--participants", type=int, default=10_000)
    options = args.parse_args()
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication([])  # noqa: F841 (kept for the run)
    import gui  # noqa: F401  (PySide6 workarounds before any widget)

    folder = Path(tempfile.mkdtemp(prefix="plot_bench_"))
    app = App(options.db or str(folder / "plot_bench.sqlite"))
    if not app.has_study():
        print(f"building {options.participants:,} participants x {MEASURES} measures x "
              f"{len(VISITS)} visits in {app.safe_url} …")
        build(app, options.participants, folder)
    with app.read() as s:
        participants = s.scalar(select(Participant.id).order_by(Participant.id.desc()))
        stage = s.scalar(select(Study.stage))
        observations = s.scalar(text("SELECT count(*) FROM observations"))
    print(f"{app.safe_url}: {participants:,} participants, {observations:,} observations, "
          f"stage {stage}")
    print("note: rows were bulk-inserted without audit entries; `audit verify` fails on "
          "this database by design")
    fetch_base, draw_base = baselines(app)
    results: list[tuple[str, str, float]] = []
    if stage == "running":
        results += [("blinded", *r) for r in switches(app, participants)]
        results += [("blinded", *r) for r in group_view(app)]
        unblind(app)
        stage = "unblinded"
    results += [("unblinded", *r) for r in switches(app, participants)]
    every = ["fd_mean", *(f"roi_{i:02d}" for i in range(1, MEASURES))]
    results += [("unblinded, all 50 measures shown", *r)
                for r in switches(app, participants, every) if r[0] == "switch redraw"]
    results += [("unblinded", *r) for r in group_view(app)]
    report(results, fetch_base, draw_base)
    print("query plans:", *plans(app), sep="\n")
    app.close()


def report(results: list[tuple[str, str, float]], fetch_base: float, draw_base: float) -> None:
    print(f"\n{'figure':<52}{'value ms':>10}{'baseline ms':>13}{'ratio':>8}{'target ms':>11}")
    for stage, name, value in results:
        base = fetch_base if "fetch" in name else draw_base
        target = TARGETS.get(name)
        label = f"{name} ({stage})"
        print(f"{label:<52}{value:>10.1f}{base:>13.2f}{value / base:>8.1f}"
              f"{'' if target is None else f'{target:.0f}':>11}"
              f"{'' if target is None else ('  ok' if value < target else '  OVER')}")
    print("baselines: fetch = one trivial query (read the stage); draw = a 4-point plot "
          "redrawn and grabbed")


if __name__ == "__main__":
    main()
