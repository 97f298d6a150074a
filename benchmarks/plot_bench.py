"""Plot speed at 10,000 participants x 50 measures x 6 visits (3,000,000 observations).

    python benchmarks/plot_bench.py [--db PATH_OR_URL] [--participants N]

Builds the study (or reuses the one in --db) and measures, offscreen:
- a participant switch: fetching the plot data, and redrawing the kept plot
  items (setData on every plot, then a forced repaint: grab() of the figure),
  each the median of 100 switches between random participants;
- the group view of one measure over everyone: fetch and draw, separately.
Each figure is printed with a baseline measured in the same run (one trivial
query; a 4-point plot redrawn), sampled between the measured runs so that both
see the same machine load, and the ratio to it, so machines compare.

The study comes from benchmarks/study_builder.py: plain bulk inserts (it
measures reading), so the audit trail does not cover them and `audit verify`
fails on this database. A fresh build is measured blinded (stage running),
then unblinded. `python -m benchmarks.run` calls measure() for its table.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo, gui/ included

from sqlalchemy import select, text

from benchmarks.study_builder import MEASURES, VISITS, build, measure_names, unblind
from db.models import Participant, Study
from services import plot_data
from services.context import Actor, App

SWITCHES = 100
GROUP_REPEATS = 7
GROUP_MEASURE = "roi_01"
TARGETS = {"switch redraw": 50.0, "group view fetch": 50.0, "group view draw": 200.0}
READER = Actor("bench", "coordinator")


# -- measuring ---------------------------------------------------------------------------------

class Baselines:
    """One trivial query and one 4-point plot redrawn and grabbed, each run between the
    measured runs, so the baselines see the same machine load as the figures."""

    def __init__(self, app: App):
        import pyqtgraph as pg

        self.app = app
        self.widget = pg.PlotWidget(background="w")
        self.widget.resize(400, 300)
        self.widget.show()
        self.curve = self.widget.plot()
        self.step = 0
        self.fetches: list[float] = []
        self.draws: list[float] = []

    def fetch(self) -> None:
        with timed(self.fetches), self.app.read() as s:
            s.scalar(select(Study.stage))

    def draw(self) -> None:
        self.step += 1
        with timed(self.draws):
            self.curve.setData(np.arange(4), np.arange(4) * self.step % 7)
            self.widget.grab()

    def medians(self) -> tuple[float, float]:
        return statistics.median(self.fetches), statistics.median(self.draws)

    def close(self) -> None:
        _delete(self.widget)


@contextmanager
def timed(into: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into.append((time.perf_counter() - start) * 1000)


def median_ms(run: Callable[[], object], repeats: int, between: Callable[[], None]) -> float:
    """Median of `repeats` timed runs, with the matching baseline run after each."""
    times: list[float] = []
    for _ in range(repeats):
        with timed(times):
            run()
        between()
    return statistics.median(times)


def _delete(widget: object) -> None:
    """At once: a pyqtgraph scene left for interpreter exit crashes it."""
    import shiboken6

    widget.close()  # type: ignore[attr-defined]
    shiboken6.delete(widget)
    gc.collect()


def switches(app: App, base: Baselines, participants: int, measures: list[str] | None = None,
             count: int = SWITCHES) -> Iterator[tuple[str, float]]:
    """Median fetch and median redraw of `count` participant switches."""
    from gui.plots.participant_panel import ParticipantPlots

    rng = np.random.default_rng(7)
    numbers = iter(rng.choice(np.arange(1, participants + 1), size=count, replace=False))
    fetched: list[plot_data.ParticipantPlotData] = []
    fetch = median_ms(lambda: fetched.append(
        plot_data.participant_plots(app, READER, int(next(numbers)))), count, base.fetch)
    panel = ParticipantPlots(app, READER)
    if measures is not None:
        panel.chooser.set_chosen(measures)
    panel.resize(1400, 1000)
    panel.show()
    panel.show_participant(str(participants))  # first paint, not timed
    panel.grab()
    shown = iter(fetched)

    def redraw() -> None:
        """What a switch costs once the data are here: setData, then the panel repainted
        (grab() paints what is on screen: the scroll area's visible part)."""
        panel.figure.set_data(next(shown))
        panel.grab()

    try:
        draw = median_ms(redraw, count, base.draw)
    finally:
        _delete(panel)
    yield "switch fetch", fetch
    yield "switch redraw", draw


def group_view(app: App, base: Baselines) -> Iterator[tuple[str, float]]:
    from gui.plots.group_view import GroupView

    view = GroupView(app, READER)
    view.resize(1400, 700)
    view.show()
    view.refresh()  # what showing the tab does: the first load, not timed
    data: list[plot_data.GroupPlotData] = []
    fetch = median_ms(lambda: data.append(plot_data.group_plot(app, READER, GROUP_MEASURE)),
                      GROUP_REPEATS, base.fetch)
    shown = iter(data)

    def draw() -> None:
        view.figure.set_data(next(shown))
        view.grab()

    try:
        drawn = median_ms(draw, GROUP_REPEATS, base.draw)
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


def measure(app: App, measures: int = MEASURES, count: int = SWITCHES
            ) -> tuple[list[tuple[str, str, float]], float, float]:
    """Every figure as (stage, name, ms), and the fetch and draw baselines.

    A study still running is measured blinded first, then unblinded (for good).
    """
    with app.read() as s:
        participants = s.scalar(select(Participant.id).order_by(Participant.id.desc()))
        stage = s.scalar(select(Study.stage))
    base = Baselines(app)
    results: list[tuple[str, str, float]] = []
    try:
        if stage == "running":
            results += [("blinded", *r) for r in switches(app, base, participants, count=count)]
            results += [("blinded", *r) for r in group_view(app, base)]
            unblind(app)
        results += [("unblinded", *r) for r in switches(app, base, participants, count=count)]
        results += [(f"unblinded, all {measures} measures shown", *r)
                    for r in switches(app, base, participants, measure_names(measures), count)
                    if r[0] == "switch redraw"]
        results += [("unblinded", *r) for r in group_view(app, base)]
    finally:
        base.close()
    return (results, *base.medians())


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
    results, fetch_base, draw_base = measure(app)
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
