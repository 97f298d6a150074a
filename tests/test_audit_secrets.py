"""Nothing secret leaves through the audit trail, which still proves every table.

The hostile test of issue 12: from an `audit export` an investigator opened all
emergency envelopes offline with the emergency passphrase, and a coordinator
cracked passwords from the exported hashes. Sealed boxes and password hashes are
now digests in the trail (new entries) and in what is shown (old entries too).
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from db.audit import Entry, append_entries
from services import audit_trail, participants
from services.context import Actor, App
from services.errors import Refused
from tests.allocation_helpers import allocated_study
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS
from trialcore import sealing

SECRET_MARKS = ("ciphertext", "nonce", "scrypt$")


def _raw(app: App, sql: str) -> list[Any]:
    with app.engine.connect() as conn, conn.begin():
        result = conn.execute(text(sql))
        return list(result) if result.returns_rows else []


def _export(app: App, actor: Actor, path: Path) -> list[dict[str, str]]:
    audit_trail.export(app, actor, path)
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_trail_stores_and_shows_digests_and_still_proves_the_tables(
        app: App, tmp_path: Path) -> None:
    actors = allocated_study(app, ("cora", "ivan", "mona"))
    for who in ("cora", "mona"):  # any reader of the trail, blinded roles included
        rows = _export(app, actors[who], tmp_path / f"{who}.csv")
        exported = (tmp_path / f"{who}.csv").read_text(encoding="utf-8")
        assert not [m for m in SECRET_MARKS if m in exported]
        boxes = [json.loads(r["after"])["box"] for r in rows if r["entity"] == "sealed_keys"]
        assert len(boxes) == 26  # the key, the pharmacist's copy, 24 envelopes
        assert all(b.startswith("sha256:") and len(b) == 71 for b in boxes)
        hashes = [json.loads(r["after"])["password_hash"] for r in rows
                  if r["entity"] == "users"]
        assert hashes and all(h.startswith("sha256:") for h in hashes)
    stored = " ".join(f"{b} {a}" for b, a in _raw(app, "SELECT before, after FROM audit_log"))
    assert not [m for m in SECRET_MARKS if m in stored]  # not in the database's trail either
    assert audit_trail.verify(app, actors["cora"]).ok

    cost = sealing.MIN_N  # what the boxes were sealed at (cheaper in tests: conftest.py)
    _raw(app, f"UPDATE sealed_keys SET box = REPLACE(box, '\"n\": {cost}', '\"n\": {cost * 2}') "
              "WHERE kind = 'emergency' AND slot_id = (SELECT MIN(slot_id) FROM sealed_keys)")
    result = audit_trail.verify(app, actors["cora"])
    assert not result.ok and "table sealed_keys: row" in result.problems[0]
    assert "sha256:" in result.problems[0]
    assert not [m for m in SECRET_MARKS if m in result.problems[0]]


def test_secrets_in_entries_written_before_are_shown_as_digests(
        app: App, study: dict[str, Actor], tmp_path: Path) -> None:
    """An entry as the old code wrote it: the box and the hash in clear in the trail."""
    box = json.dumps({"kdf": "scrypt", "nonce": "AAAA", "ciphertext": "BBBB"})
    old = {"kind": "emergency", "slot_id": 1, "box": box}
    user = {"name": "eve", "role": "coordinator", "password_hash": "scrypt$32768$8$1$c2FsdA==$a2V5"}
    with app.engine.begin() as conn:
        append_entries(conn, "stella", [
            Entry("allocation.generate", "sealed_keys", "emergency:1", after=old),
            Entry("user.add", "users", "eve", after=user)])
    rows = _export(app, study["cora"], tmp_path / "trail.csv")
    exported = (tmp_path / "trail.csv").read_text(encoding="utf-8")
    assert not [m for m in SECRET_MARKS if m in exported]
    shown = {r["entity"]: json.loads(r["after"]) for r in rows[-2:]}
    assert shown["sealed_keys"]["box"] == "sha256:" + hashlib.sha256(box.encode()).hexdigest()
    assert shown["users"]["password_hash"].startswith("sha256:")
    assert shown["users"]["name"] == "eve"
    viewed = audit_trail.entries(app, study["cora"], audit_trail.AuditFilter(limit=2))
    assert not [m for m in SECRET_MARKS for e in viewed if m in (e["after"] or "")]
    assert audit_trail.verify(app, study["cora"]).ok  # the stored entry itself is untouched


def test_audit_export_neutralises_formulas_and_never_replaces_a_file_unasked(
        app: App, study: dict[str, Actor], tmp_path: Path) -> None:
    cora = study["cora"]
    participants.add(app, cora, 1)
    participants.withdraw(app, cora, 1, '=HYPERLINK("http://evil.example","moved")')
    path = tmp_path / "trail.csv"
    reasons = [r["reason"] for r in _export(app, cora, path)]
    assert "'=HYPERLINK(\"http://evil.example\",\"moved\")" in reasons
    assert not [r for r in reasons if r.startswith("=")]
    first = path.read_bytes()
    participants.add(app, cora, 2)
    with pytest.raises(Refused, match="already exists; nothing was written"):
        audit_trail.export(app, cora, path)
    assert path.read_bytes() == first
    assert audit_trail.export(app, cora, path, force=True) > len(reasons)


def test_audit_export_appears_whole_or_not_at_all(app: App, study: dict[str, Actor],
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    class FullDisk(csv.DictWriter):  # type: ignore[type-arg]
        def writerows(self, rows: Any) -> None:
            super().writerows(list(rows)[:3])
            raise OSError(errno.ENOSPC, "No space left on device")

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(csv, "DictWriter", FullDisk)
    with pytest.raises(Refused, match="No space left on device; nothing was written"):
        audit_trail.export(app, study["cora"], out / "trail.csv")
    assert list(out.iterdir()) == []


def test_audit_export_on_the_command_line(app: App, db_url: str, study: dict[str, Actor],
                                          tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "trail.csv")
    run = lambda *args: cli(capsys, monkeypatch, db_url, "--json", "audit", "export",  # noqa: E731
                            *args, user="cora", password=PASSWORDS["cora"])
    assert run(path).code == 0
    r = run(path)
    assert r.code == 1 and "already exists" in r.json["error"]
    r = run(path, "--force")
    assert r.code == 0 and r.json["entries"] > 0
    assert "scrypt$" not in Path(path).read_text(encoding="utf-8")
