"""The benchmark harness still runs end to end and prints every figure (not how fast).

Speed is never asserted in a test: the machine running the suite may be loaded.
This runs `python -m benchmarks.run` on a tiny study, on SQLite, and checks that
the table has every figure row with a number in its value, baseline and ratio.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from benchmarks.tab_bench import role_for
from gui.window.tabs import TABS

REPO = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"^-?[\d,]+(\.\d+)? (s|ms|MB|B)$")
FIGURES = [
    "disk: SQLite bytes per observation",
    "startup: process start to main window shown",
    "startup: of which interpreter, QApplication and imports",
    "memory: peak RSS (VmHWM), main window shown",
    "register: 10 participants ready",
    "register: filter keystroke",
    "export: long CSV",
    "audit verify: ",
    *(f"plot: {name} ({stage}, median" for stage in ("blinded", "unblinded")
      for name in ("switch fetch", "switch redraw", "group view fetch", "group view draw")),
    "plot: switch redraw (unblinded, all 2 measures shown,",
    *(f"tab first show: {title} ({role_for(title)}, median of 1)" for title, _ in TABS),
    "import: 500 item responses",
]


def _table(args: list[str], database: str) -> list[list[str]]:
    """Run the harness on a tiny study; the rows of its table for `database`, each
    checked to hold numbers."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--participants", "10", "--measures", "2",
         "--import-rows", "500", "--repeats", "1", *args],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in done.stdout.splitlines() if line.startswith(f"| {database} |")]
    for _, name, value, baseline, ratio, _target, met in rows:
        assert NUMBER.match(value) and NUMBER.match(baseline), (name, value, baseline)
        assert re.fullmatch(r"[\d.]+×", ratio), (name, ratio)
        assert met in ("yes", "**no**", "—"), (name, met)
    return rows


def test_the_harness_prints_every_figure_with_numbers(tmp_path: Path) -> None:
    rows = _table(["--db-dir", str(tmp_path)], "SQLite")
    names = [row[1] for row in rows]
    for figure in FIGURES:
        assert sum(name.startswith(figure) for name in names) == 1, (figure, names)
    assert len(rows) == len(FIGURES)


def test_on_postgresql_the_export_figures_include_its_peak_memory(
        tmp_path: Path, pg_base_url: str) -> None:
    """The export memory figure is measured on PostgreSQL only (its server-side cursor)."""
    rows = _table(["--db-dir", str(tmp_path), "--skip-sqlite", "--pg", pg_base_url,
                   "--only", "export"], "PostgreSQL")
    names = [row[1] for row in rows]
    assert len(names) == 2 and names[0].startswith("export: long CSV"), names
    assert names[1].startswith("export memory (PostgreSQL): peak RSS of a process exporting "
                               "the long CSV in "), names
