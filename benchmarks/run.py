"""TrialDesk's benchmark harness: one table of figures, each against an in-run baseline.

    python -m benchmarks.run [--small] [--pg URL [--skip-sqlite]] [--db-dir DIR]
                             [--only NAME,...] [--participants N] [--measures N]
                             [--import-rows N] [--repeats N]

Run from the repository root. It builds a synthetic study (default 10,000
participants x 6 visits x 50 measures, about 3,000,000 observations; --small:
500 participants) with benchmarks/study_builder.py on SQLite, and on
PostgreSQL too with --pg (a scratch schema, dropped afterwards), then measures:

  startup   process start -> main window shown on the study (a child process,
            benchmarks/startup_child.py); baseline: a bare PySide6 QMainWindow
            shown by the same interpreter the same way
  memory    the same child's peak resident memory; baseline: the bare window's
  register  the participant register reloaded (fetch, model filled, proxy
            sorted and filtered, painted), and one filter keystroke (median);
            baseline: the same rows fetched as a plain list of tuples
  export    the long CSV export; baseline: pandas writing the same frame to CSV;
            on PostgreSQL also the peak memory of a process that only exports
            (benchmarks/export_memory.py); baseline: the same imports only
  disk      SQLite bytes per observation (file and WAL after a checkpoint);
            baseline: the same four columns in a bare table without indexes
  tabs      first show of every tab of the main window (benchmarks/tab_bench.py);
            baseline: an empty QTableView tab shown the same way
  audit     `audit verify` (every entry, every row); baseline: the same rows read
            by the bare driver cursor and each hashed with SHA-256
  plot      benchmarks/plot_bench.py's figures (it unblinds the study, so last)
  import    benchmarks/import_bench.py's figure, on a study of its own

The machine may be shared and loaded, so every figure is printed with its
baseline from the same run and the ratio; the ratio is what compares across
runs and machines. Targets are checked here and printed, never in a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported

from sqlalchemy import func, select, text

from benchmarks import (
    audit_bench,
    export_memory,
    import_bench,
    plot_bench,
    study_builder,
    tab_bench,
)
from db.engine import sqlite_path
from db.models import Observation, Participant
from services.context import Actor, App
from services.participants import ROW_COLUMNS

NAMES = ("startup", "memory", "register", "export", "disk", "tabs", "audit", "plot",
         "import")
ACTOR = Actor("bench", "coordinator")
REPO = Path(__file__).resolve().parent.parent
ANSWERS_PER_PARTICIPANT = 500  # import_bench: 125 items at each of 4 visits
KEYSTROKES = ["B", "0", "0", "1", "2", *["Backspace"] * 5, "h", "i", "g", "h"]


@dataclass(frozen=True)
class Size:
    participants: int
    measures: int
    import_rows: int
    repeats: int  # start-up runs and register reloads, each figure the median

    @property
    def switches(self) -> int:
        return min(plot_bench.SWITCHES, self.participants)


SIZES = {"full": Size(10_000, study_builder.MEASURES, 1_000_000, 3),
         "small": Size(500, study_builder.MEASURES, 50_000, 3)}


@dataclass(frozen=True)
class Figure:
    """One row of the table. `target` bounds the value, or the ratio when `of_ratio`."""

    name: str
    value: float
    baseline: float
    unit: str
    target: float | None = None
    of_ratio: bool = False
    database: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.ratio <= self.target if self.of_ratio else self.value < self.target


@dataclass
class Report:
    figures: list[Figure]
    notes: list[str]
    failed: list[str]

    def add(self, database: str, figures: list[Figure]) -> None:
        self.figures += [replace(f, database=database) for f in figures]


# -- measuring -------------------------------------------------------------------------

def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _child(what: str) -> dict[str, float]:
    """Run benchmarks/startup_child.py; what its JSON line reports."""
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "benchmarks.startup_child", repr(started), what],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"startup child ({what}) failed: {done.stderr.strip()[-800:]}")
    return json.loads(lines[-1])


def startup(url: str, repeats: int) -> list[Figure]:
    """Bare window and main window alternately, so a burst of load hits both alike."""
    bare, main = [], []
    for _ in range(repeats):
        bare.append(_child("bare"))
        main.append(_child(url))

    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in runs)

    mb = 1024 * 1024
    return [Figure("startup: process start to main window shown", median(main, "seconds"),
                   median(bare, "seconds"), "s", 1.5),
            Figure("startup: of which interpreter, QApplication and imports",
                   median(main, "imported"), median(bare, "imported"), "s"),
            Figure("memory: peak RSS (VmHWM), main window shown", median(main, "peak_bytes") / mb,
                   median(bare, "peak_bytes") / mb, "MB", 500)]


def register(app: App, repeats: int) -> list[Figure]:
    """ParticipantsView.reload() and filter keystrokes, each with the events they cause."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gui.participants.participants_view import ParticipantsView

    def tuples() -> list[tuple]:
        with app.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(select(*ROW_COLUMNS)
                                                   .order_by(Participant.number))]

    view = ParticipantsView(app, ACTOR)
    view.resize(1180, 720)
    view.show()
    QApplication.processEvents()

    def reload() -> None:
        view.reload()
        QApplication.processEvents()

    bases, reloads = [], []
    for _ in range(repeats):  # alternately, so a burst of load hits both alike
        bases.append(_seconds(tuples))
        reloads.append(_seconds(reload))
    baseline, ready = statistics.median(bases), statistics.median(reloads)
    keys = {"Backspace": Qt.Key.Key_Backspace}
    view.filter.setFocus()
    typed = []
    for key in KEYSTROKES:
        def press(key: str = key) -> None:
            if key in keys:
                QTest.keyClick(view.filter, keys[key])
            else:
                QTest.keyClicks(view.filter, key)
            QApplication.processEvents()

        typed.append(_seconds(press))
    shown = len(view.model.rows)
    view.close()
    view.deleteLater()
    QApplication.processEvents()
    return [Figure(f"register: {shown:,} participants ready", ready * 1000,
                   baseline * 1000, "ms", 300),
            Figure(f"register: filter keystroke (median of {len(typed)})",
                   statistics.median(typed) * 1000, baseline * 1000, "ms", 50)]


def export(app: App, folder: Path) -> list[Figure]:
    """The service's long CSV; then pandas writing the same table, built beforehand."""
    import pandas as pd

    from services import dataset, exports
    from services.export_tables import long_table

    took = _seconds(lambda: exports.export(app, ACTOR, folder / "long.csv", "long",
                                           force=True))
    with app.read() as s:
        table = long_table(dataset.load(s, app.protocol))
    frame = pd.DataFrame({name: table.cells[name][:] for name in table.fields})
    rows = table.height
    del table
    gc.collect()
    pandas = _seconds(lambda: frame.to_csv(folder / "pandas.csv", index=False))
    for name in ("long.csv", "long_dictionary.csv", "pandas.csv"):
        (folder / name).unlink(missing_ok=True)
    return [Figure(f"export: long CSV, {rows:,} rows (vs pandas to_csv)", took, pandas, "s",
                   2.0, of_ratio=True)]


def export_peak(url: str, folder: Path, repeats: int) -> list[Figure]:
    """benchmarks/export_memory.py: a child that only exports, against one that only
    imports what the export needs."""
    peak, bare, seconds = export_memory.measure(url, folder, repeats)
    return [Figure(f"export memory (PostgreSQL): peak RSS of a process exporting the long "
                   f"CSV in {seconds:.1f} s", peak, bare, "MB", export_memory.TARGET_MB)]


def tabs(url: str, repeats: int) -> list[Figure]:
    return [Figure(f"tab first show: {title} ({tab_bench.role_for(title)}, median of "
                   f"{repeats})", value, baseline, "ms", tab_bench.TARGET_MS)
            for title, value, baseline in tab_bench.measure(url, repeats)]


def disk(app: App, folder: Path) -> list[Figure]:
    """Bytes per observation: the whole study file, and a bare copy of its four columns."""
    path = sqlite_path(app.url)
    if path is None:  # PostgreSQL: no one file to weigh
        return []
    with app.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        observations = conn.scalar(select(func.count()).select_from(Observation))
    bare = folder / "bare.sqlite"
    bare.unlink(missing_ok=True)
    conn = sqlite3.connect(bare)
    try:
        conn.execute("ATTACH DATABASE ? AS study", (str(path),))
        conn.execute("CREATE TABLE bare AS SELECT participant_id, visit, measure, value "
                     "FROM study.observations")
        conn.commit()
    finally:
        conn.close()
    study = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal"))
                if p.exists())
    bare_bytes = bare.stat().st_size
    bare.unlink()
    return [Figure("disk: SQLite bytes per observation", study / observations,
                   bare_bytes / observations, "B")]


def audit(app: App) -> list[Figure]:
    took, baseline, entries, rows = audit_bench.measure(app)
    return [Figure(f"audit verify: {entries:,} entries, {rows:,} rows (vs read + SHA-256)",
                   took, baseline, "s", 3.0, of_ratio=True)]


def plots(app: App, size: Size) -> list[Figure]:
    results, fetch_base, draw_base = plot_bench.measure(app, size.measures, size.switches)
    return [Figure(f"plot: {name} ({stage}, median of "
                   f"{plot_bench.GROUP_REPEATS if 'group' in name else size.switches})",
                   value, fetch_base if "fetch" in name else draw_base, "ms",
                   plot_bench.TARGETS.get(name)) for stage, name, value in results]


def imports(url: str, folder: Path, rows: int, notes: list[str], database: str) -> list[Figure]:
    participants = -(-rows // ANSWERS_PER_PARTICIPANT)
    figures = import_bench.measure(url, folder, rows, participants)
    steps = ", ".join(f"{what.split(' ')[0] if what.startswith('reading') else what} at "
                      f"{t:.2f} s" for t, what in figures.marks)
    notes.append(f"{database} import steps: {steps}")
    return [Figure(f"import: {rows:,} item responses (vs pandas + bulk insert)", figures.took,
                   figures.baseline, "s", 2.0, of_ratio=True)]


# -- one database ----------------------------------------------------------------------

def _attempt(report: Report, database: str, what: str,
             measure: Callable[[], list[Figure]]) -> None:
    """Measure; on an error, say so and go on with the other figures."""
    print(f"  measuring {what} …", flush=True)
    try:
        report.add(database, measure())
    except Exception:  # reported, counted as a failure, and the run goes on
        traceback.print_exc()
        report.failed.append(f"{database} {what}")


def measure_database(database: str, url: str, import_url: str, folder: Path, size: Size,
                     only: set[str], report: Report) -> None:
    """Build the study at `url` and measure it; the import gets its own empty database."""
    if only - {"import"}:
        app = App(url)
        start = time.perf_counter()
        print(f"{database}: building {size.participants:,} participants x {size.measures} "
              f"measures x {len(study_builder.VISITS)} visits …", flush=True)
        study_builder.build(app, size.participants, folder, size.measures)
        with app.read() as s:
            observations = s.scalar(select(func.count()).select_from(Observation))
        report.notes.append(f"{database} study: {size.participants:,} participants, "
                            f"{observations:,} observations, built in "
                            f"{time.perf_counter() - start:.0f} s")
        steps: list[tuple[str, Callable[[], list[Figure]]]] = [
            ("disk", lambda: disk(app, folder)),
            ("startup", lambda: startup(url, size.repeats)),
            ("register", lambda: register(app, size.repeats)),
            ("export", lambda: export(app, folder)),
            *([("export", lambda: export_peak(url, folder, size.repeats))]
              if database == "PostgreSQL" else []),
            ("tabs", lambda: tabs(url, size.repeats)),
            ("audit", lambda: audit(app)),
            ("plot", lambda: plots(app, size)),
        ]
        for name, step in steps:
            if name in only or (name == "startup" and "memory" in only):
                _attempt(report, database, name, step)
        app.close()
    if "import" in only:
        (folder / "import").mkdir()
        _attempt(report, database, "import",
                 lambda: imports(import_url, folder / "import", size.import_rows,
                                 report.notes, database))


# -- the table ---------------------------------------------------------------------------

def _number(value: float, unit: str) -> str:
    digits = {"s": 2, "ms": 1, "MB": 0, "B": 1}[unit]
    return f"{value:,.{digits}f} {unit}"


def table(figures: list[Figure]) -> str:
    """A Markdown table, so a run pastes straight into the README."""
    lines = ["| database | figure | value | baseline (same run) | ratio | target | met? |",
             "|---|---|---:|---:|---:|---|---|"]
    for f in figures:
        target = "—" if f.target is None else (
            f"≤ {f.target:g}× baseline" if f.of_ratio else f"< {_number(f.target, f.unit)}")
        met = {None: "—", True: "yes", False: "**no**"}[f.met]
        lines.append(f"| {f.database} | {f.name} | {_number(f.value, f.unit)} | "
                     f"{_number(f.baseline, f.unit)} | {f.ratio:.2f}× | {target} | {met} |")
    return "\n".join(lines)


LEGEND = """Baselines: startup and memory, a bare PySide6 QMainWindow shown by the same
interpreter the same way; register, the same participant rows fetched as a plain
list of tuples; export, pandas DataFrame.to_csv of the same table; export memory, a
process that only imports what the export needs; tab first show, an empty
QTableView tab shown the same way in the same window; disk, the
observations' four columns in a bare SQLite table without indexes; plot fetch, one
trivial query; plot draw, a 4-point plot redrawn and grabbed; audit verify, the
same rows read by the bare driver cursor and each hashed with SHA-256; import, pandas
read_csv of the same file and one bulk insert into a bare table."""


def machine(pg: str | None) -> list[str]:
    """What the figures were measured on, for the README."""
    import PySide6
    import sqlalchemy
    from PySide6.QtCore import qVersion

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                  .splitlines() if line.startswith("MemTotal"))
    versions = (f"Python {platform.python_version()}, PySide6 {PySide6.__version__} "
                f"(Qt {qVersion()}), SQLAlchemy {sqlalchemy.__version__}, "
                f"SQLite {sqlite3.sqlite_version}")
    if pg:
        app = App(pg)
        with app.engine.connect() as conn:
            versions += f", PostgreSQL {conn.scalar(text('SHOW server_version'))}"
        app.close()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [f"machine: {os.cpu_count()} cores, {cpu}, {memory / 1024 ** 2:.1f} GiB memory, "
            f"{platform.system()} {platform.release()}",
            f"software: {versions}",
            f"load average (1, 5, 15 min) at start: {load}"]


@contextmanager
def _folder(db_dir: str | None) -> Iterator[Path]:
    """--db-dir (kept afterwards) or a temporary folder (removed)."""
    if db_dir:
        path = Path(db_dir).expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="trialdesk-bench-") as tmp:
        yield Path(tmp)


def _fresh(folder: Path) -> Path:
    """An empty subfolder: a kept --db-dir may hold the last run's databases."""
    if folder.exists():
        for path in sorted(folder.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, Size, set[str]]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true",
                        help="500 participants and 50,000 item responses: a quick run")
    parser.add_argument("--pg", metavar="URL",
                        help="also measure on this PostgreSQL server (a scratch schema)")
    parser.add_argument("--skip-sqlite", action="store_true",
                        help="measure PostgreSQL only (with --pg), e.g. at another size")
    parser.add_argument("--db-dir", metavar="DIR",
                        help="keep the SQLite databases here (default: a temporary folder)")
    parser.add_argument("--only", metavar="NAME,...",
                        help=f"measure only these: {', '.join(NAMES)}")
    parser.add_argument("--participants", type=int, help="override the size's participants")
    parser.add_argument("--measures", type=int, help="override the size's measures (>= 2)")
    parser.add_argument("--import-rows", type=int, help="override the item responses imported")
    parser.add_argument("--repeats", type=int, help="start-up runs and register reloads")
    args = parser.parse_args(argv)
    size = SIZES["small" if args.small else "full"]
    size = Size(args.participants or size.participants, args.measures or size.measures,
                args.import_rows or size.import_rows, args.repeats or size.repeats)
    only = set(args.only.split(",")) if args.only else set(NAMES)
    if only - set(NAMES):
        parser.error(f"unknown figure {', '.join(sorted(only - set(NAMES)))}; "
                     f"names are {', '.join(NAMES)}")
    if args.skip_sqlite and not args.pg:
        parser.error("--skip-sqlite needs --pg")
    if size.measures < 2:
        parser.error("--measures must be at least 2 (the group view plots roi_01)")
    return args, size, only


def main(argv: list[str] | None = None) -> int:
    args, size, only = parse(argv)
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 (for the run)

    started = time.perf_counter()
    header = machine(args.pg)
    print(*header, sep="\n", flush=True)
    report = Report([], [], [])
    with _folder(args.db_dir) as folder:
        if not args.skip_sqlite:
            sqlite_folder = _fresh(folder / "sqlite")
            measure_database("SQLite", f"sqlite:///{sqlite_folder / 'study.sqlite'}",
                             f"sqlite:///{sqlite_folder / 'import' / 'import.sqlite'}",
                             sqlite_folder, size, only, report)
        if args.pg:
            with study_builder.scratch_postgres(args.pg) as url, \
                    study_builder.scratch_postgres(args.pg) as import_url:
                measure_database("PostgreSQL", url, import_url, _fresh(folder / "pg"), size,
                                 only, report)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print("", *header, f"load average at the end: {load}; whole run "
          f"{time.perf_counter() - started:.0f} s", "", table(report.figures), "", LEGEND,
          *report.notes, sep="\n")
    if report.failed:
        print(f"FAILED: {', '.join(report.failed)} (tracebacks above)")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
