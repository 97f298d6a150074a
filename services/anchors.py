"""Receipts of the audit trail's head, to keep outside the database.

The hash chain proves that nothing was changed only to someone who holds a hash from
before: whoever can write to the database can also rewrite an entry and recompute
every hash after it, and `audit verify` alone would then pass. A receipt (the number
of entries and the head hash at a moment, with the study it belongs to), kept in
another place (mail, a ticket, a USB stick, the sponsor's files), catches that: the
rewritten trail no longer extends it. Lock certificates and data exports carry the
same head, so each of them is a receipt too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Study, utcnow
from services.context import Actor, App, require
from services.errors import Refused
from services.files import written_whole

KIND = "TrialDesk audit receipt"


def head(session: Session) -> dict[str, Any]:
    """The trail's head now, and the study it is of: what every receipt records."""
    count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    last = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == count))
    study = session.scalar(select(Study))
    return {"kind": KIND, "entries": count, "head": last or "", "at": utcnow().isoformat() + "Z",
            "study": {"title": study.title if study else None,
                      "created_at": study.created_at.isoformat() + "Z" if study else None,
                      "protocol_sha256": study.protocol_sha256 if study else None}}


def anchor(app: App, actor: Actor, path: str | Path, *, force: bool = False) -> dict[str, Any]:
    """Write a receipt of the head to `path` (whole or not at all); return it."""
    require(actor, "audit.read")
    with app.read() as s:
        receipt = head(s)
    with written_whole(path, force=force) as tmp:
        tmp.write_text(json.dumps(receipt, indent=2) + "\n", encoding="utf-8")
    return receipt


@dataclass(frozen=True)
class ReceiptCheck:
    file: str
    entries: int
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "entries": self.entries, "ok": self.ok,
                "problem": self.problem}


def _read(path: Path) -> tuple[int, str]:
    """(entries, head) of a receipt, a lock certificate or an export's provenance file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Refused(f"cannot read the receipt {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise Refused(f"the receipt {path} is not JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("audit"), dict):
        data = data["audit"]
    entries = data.get("entries", data.get("audit_entries")) if isinstance(data, dict) else None
    digest = data.get("head", data.get("audit_head")) if isinstance(data, dict) else None
    if not isinstance(entries, int) or not isinstance(digest, str):
        raise Refused(f"the receipt {path} has no audit head: it needs the keys "
                      "\"entries\" (a number) and \"head\" (a hash)")
    return entries, digest


def check(app: App, actor: Actor, paths: list[str | Path]) -> list[ReceiptCheck]:
    """Whether the trail still extends each receipt: entry N is there with that hash."""
    require(actor, "audit.read")
    wanted = [(str(p), *_read(Path(p))) for p in paths]
    out = []
    with app.read() as s:
        count = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
        for file, entries, digest in wanted:
            found = s.scalar(select(AuditEntry.hash).where(AuditEntry.seq == entries))
            if entries > count:
                problem = (f"receipt {file}: it was made at entry {entries}, but the trail "
                           f"now has only {count} entries (entries were deleted)")
            elif entries and found != digest:
                problem = (f"receipt {file}: entry {entries}'s hash differs from the "
                           "receipt's, so the trail was rewritten since")
            else:
                problem = None
            out.append(ReceiptCheck(file, entries, problem))
    return out
