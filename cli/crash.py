"""An unexpected error writes a report for the developers and tells the user where it is.

A traceback on a coordinator's terminal helps nobody and may frighten them; losing it
helps nobody either. The report holds the traceback, the command's flags (never the
values of secrets: those come from the environment or a prompt, not the command line,
and the environment is not written) and the versions, and no study data: exception
messages can quote data, so only the exception's type and the frames are kept, not
its message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from platformdirs import user_log_dir

REPORT_FOLDER_VARIABLE = "TRIALDESK_LOG_DIR"


def report_folder() -> Path:
    """Where crash reports go: the user log folder, or TRIALDESK_LOG_DIR when set."""
    return Path(os.environ.get(REPORT_FOLDER_VARIABLE) or user_log_dir("TrialDesk", False))


def _arguments(argv: Sequence[str]) -> list[str]:
    """The command line with file paths and free text reduced to flags and the command:
    a participant ID or a reason typed on it is study data."""
    kept: list[str] = []
    for arg in argv:
        kept.append(arg if arg.startswith("-") or (arg.isidentifier() and arg.islower())
                    else "…")
    return kept


def write_report(exc: BaseException, argv: Sequence[str]) -> Path:
    """Writes the report (owner-readable only) and returns its path."""
    from cli.about import versions

    frames = traceback.extract_tb(exc.__traceback__)
    report = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "error": type(exc).__qualname__,
        "arguments": _arguments(argv),
        "versions": versions(),
        "frames": [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames],
    }
    folder = report_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"crash-{stamp}-{os.getpid()}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
    return path


def announce(exc: BaseException, argv: Sequence[str], *, as_json: bool) -> None:
    """Write the report and say where, as one JSON document with --json."""
    try:
        where: str = str(write_report(exc, argv))
    except OSError as err:
        where = f"(the report could not be written: {err.strerror or err})"
    message = ("TrialDesk stopped on an unexpected error; nothing more was written. "
               f"A report for the developers (no study data) is at {where}")
    if as_json:
        print(json.dumps({"error": message, "details": [{"report": where}]}, indent=2))
    else:
        print(f"error: {message}", file=sys.stderr)
