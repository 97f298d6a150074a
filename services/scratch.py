"""Scratch files outside the study folder, removed on every exit path we control.

A demo build writes its synthetic import files to a temporary folder; openpyxl's
write-only workbooks spool each sheet to a temporary file until the workbook is
saved. Neither may outlive the work: an exception, a cancelled export or a closed
window removes them at once (openpyxl itself would only clean up when the process
exits), and a folder a killed process left behind is swept by the next run.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl import Workbook

STALE_AFTER_SECONDS = 24 * 3600  # no demo build takes a day: such a folder was orphaned


def sweep_stale(prefix: str, now: float | None = None) -> None:
    """Remove temporary folders named `prefix*` that a killed process left behind."""
    now = time.time() if now is None else now
    for folder in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            if folder.is_dir() and now - folder.stat().st_mtime > STALE_AFTER_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue  # another process removed it, or it is not ours to remove


@contextmanager
def scratch_folder(prefix: str) -> Iterator[Path]:
    """A temporary folder, removed when the block ends however it ends."""
    sweep_stale(prefix)
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


@contextmanager
def write_only_workbook() -> Iterator[Workbook]:
    """A write-only workbook whose sheet spool files are removed when the block ends, saved
    or not: abandoned (an error, a cancelled export) openpyxl would keep them until the
    process exits. Its sheets are closed first, so nothing writes to a removed file."""
    from openpyxl import Workbook  # only where workbooks are written
    from openpyxl.worksheet import _writer as openpyxl_writer

    spooled = openpyxl_writer.ALL_TEMP_FILES
    first = len(spooled)
    book = Workbook(write_only=True)
    try:
        yield book
    except BaseException:
        for sheet in book.worksheets:
            with suppress(Exception):  # already closed by a save that failed half-way
                sheet.close()
        raise
    finally:
        for name in spooled[first:]:
            Path(name).unlink(missing_ok=True)
        del spooled[first:]
