"""Peak memory of a process that only exports the long CSV; run.py starts it as a child.

    python -m benchmarks.export_memory URL FOLDER    # the export
    python -m benchmarks.export_memory URL           # the baseline: the same imports only

The child imports what the export needs (services.exports, services.export_tables,
the database driver, numpy), opens the study and, given a FOLDER, writes the long
CSV there, as `trialdesk export` does. One JSON line reports its peak resident
memory (VmHWM, as benchmarks/startup_child.py reads it) and the export's seconds.
The baseline child stops after the imports and opening the study: what is left is
the export's own memory.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.startup_child import peak_bytes

REPO = Path(__file__).resolve().parent.parent
TARGET_MB = 500.0


def child(url: str, folder: str | None) -> None:
    from services import exports  # the export's imports: in both children
    from services.context import Actor, App

    app = App(url)
    seconds = 0.0
    if folder is not None:
        start = time.perf_counter()
        exports.export(app, Actor("bench", "coordinator"), Path(folder) / "long.csv", "long",
                       force=True)
        seconds = time.perf_counter() - start
        for name in ("long.csv", "long_dictionary.csv", "long_provenance.json"):
            (Path(folder) / name).unlink(missing_ok=True)
    app.close()
    print(json.dumps({"peak_bytes": peak_bytes(), "seconds": seconds}), flush=True)


def _run(url: str, folder: Path | None) -> dict[str, float]:
    args = [sys.executable, "-m", "benchmarks.export_memory", url]
    done = subprocess.run(args + ([str(folder)] if folder else []), cwd=REPO,
                          capture_output=True, text=True, timeout=1800, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"export child failed: {done.stderr.strip()[-800:]}")
    return json.loads(lines[-1])


def measure(url: str, folder: Path, repeats: int) -> tuple[float, float, float]:
    """Median peak MB of the exporting child and of the baseline child (alternately),
    and the median export seconds."""
    exported, bare = [], []
    for _ in range(repeats):
        bare.append(_run(url, None))
        exported.append(_run(url, folder))
    mb = 1024 * 1024
    return (statistics.median(r["peak_bytes"] for r in exported) / mb,
            statistics.median(r["peak_bytes"] for r in bare) / mb,
            statistics.median(r["seconds"] for r in exported))


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
