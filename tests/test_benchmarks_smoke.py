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
    "import: 500 item responses",
]


def test_the_harness_prints_every_figure_with_numbers(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--participants", "10", "--measures", "2",
         "--import-rows", "500", "--repeats", "1", "--db-dir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in done.stdout.splitlines() if line.startswith("| SQLite |")]
    names = [row[1] for row in rows]
    for figure in FIGURES:
        assert sum(name.startswith(figure) for name in names) == 1, (figure, names)
    assert len(rows) == len(FIGURES)
    for _, name, value, baseline, ratio, _target, met in rows:
        assert NUMBER.match(value) and NUMBER.match(baseline), (name, value, baseline)
        assert re.fullmatch(r"[\d.]+×", ratio), (name, ratio)
        assert met in ("yes", "**no**", "—"), (name, met)
