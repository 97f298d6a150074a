"""Files TrialDesk writes appear whole or not at all, and never replace a file unasked.

Every file the app writes (exports, the dispensing list, the audit export, receipts,
certificates) goes through `written_whole`: the content is written to a hidden
temporary name beside the target, flushed to disk, and renamed over the target only
when complete. A full disk, an exception or a kill leaves no partial file at the
target's name, and the temporary file is removed on every exit path the process
still controls (a SIGKILL can leave a hidden `.NAME.*.part` behind, never a partial
NAME). Unblinded content in particular (the dispensing list) must never exist as a
truncated file someone could mistake for the whole list.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.errors import REPLACE_FILE, Refused


def refuse_existing(path: Path, *, force: bool) -> None:
    """Refuse before any work when `path` exists and the user did not say to replace it."""
    if path.exists() and not force:
        raise Refused(f"{path} already exists; nothing was written",
                      details=[{"file": str(path), "reason": "exists"}], hint=REPLACE_FILE)


def temporary_beside(path: Path) -> Path:
    """A hidden name in the target's folder, so that the final rename is atomic."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")


@contextmanager
def written_whole(path: str | Path, *, force: bool = False) -> Iterator[Path]:
    """Yields a temporary path to write to; moves it to `path` when the block succeeds.

    Refuses (nothing written) when `path` exists and `force` is false, or when the
    folder does not exist or cannot be written; an OSError while writing (a full
    disk) becomes a refusal naming the file, and the temporary file is removed."""
    path = Path(path).expanduser().absolute()
    refuse_existing(path, force=force)
    if not path.parent.is_dir():
        raise Refused(f"cannot write {path}: no such folder; nothing was written")
    tmp = temporary_beside(path)
    try:
        yield tmp
        if tmp.exists():
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise Refused(f"cannot write {path}: {exc.strerror or exc}; nothing was written") \
            from exc
    finally:
        tmp.unlink(missing_ok=True)
