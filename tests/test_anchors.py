"""Receipts of the audit trail kept outside the database catch a rebuilt hash chain that
`audit verify` alone cannot: whoever can write to the database can recompute the chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services import anchors, audit_trail, exports, participants
from services.context import Actor, App
from services.errors import Refused
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS
from tests.tamper import rebuild_chain_after_rewriting


def test_a_rebuilt_chain_passes_verify_but_not_a_receipt(
        app: App, study: dict[str, Actor], db_url: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cora = study["cora"]
    participants.add(app, cora, 1)
    receipt = tmp_path / "receipt.json"
    r = cli(capsys, monkeypatch, db_url, "--json", "audit", "anchor", str(receipt),
            user="cora", password=PASSWORDS["cora"])
    assert r.code == 0, r.out
    kept = json.loads(receipt.read_text())
    assert kept["entries"] == r.json["entries"] > 3 and len(kept["head"]) == 64
    assert kept["study"]["title"] and kept["at"].endswith("Z")
    exported = exports.export(app, cora, tmp_path / "data.csv")
    assert str(tmp_path / "data_provenance.json") in exported.files
    participants.add(app, cora, 2)  # the trail grows: it still extends both
    r = cli(capsys, monkeypatch, db_url, "--json", "audit", "verify", "--receipt", str(receipt),
            "--receipt", str(tmp_path / "data_provenance.json"),
            user="cora", password=PASSWORDS["cora"])
    assert r.code == 0 and [c["ok"] for c in r.json["receipts"]] == [True, True]

    rebuild_chain_after_rewriting(app, 3, "nothing happened")
    assert audit_trail.verify(app, cora).ok  # the weakness receipts close
    r = cli(capsys, monkeypatch, db_url, "--json", "audit", "verify", "--receipt", str(receipt),
            "--receipt", str(tmp_path / "data_provenance.json"),
            user="cora", password=PASSWORDS["cora"])
    assert r.code == 1 and not r.json["ok"]
    assert [c["ok"] for c in r.json["receipts"]] == [False, False]
    assert f"receipt {receipt}: entry {kept['entries']}'s hash differs" in r.json["problems"][0]
    r = cli(capsys, monkeypatch, db_url, "audit", "verify", "--receipt", str(receipt),
            user="cora", password=PASSWORDS["cora"])
    assert r.code == 1 and str(receipt) in r.err


def test_a_receipt_beyond_the_trail_and_bad_receipts(app: App, study: dict[str, Actor],
                                                     tmp_path: Path) -> None:
    cora = study["cora"]
    made = anchors.anchor(app, cora, tmp_path / "r.json")
    ahead = tmp_path / "ahead.json"
    ahead.write_text(json.dumps({**made, "entries": made["entries"] + 5}))
    [check] = anchors.check(app, cora, [ahead])
    assert not check.ok and f"only {made['entries']} entries" in (check.problem or "")
    with pytest.raises(Refused, match="already exists"):
        anchors.anchor(app, cora, tmp_path / "r.json")
    (tmp_path / "bad.json").write_text("{\"entries\": \"many\"}")
    with pytest.raises(Refused, match=r"bad\.json has no audit head"):
        anchors.check(app, cora, [tmp_path / "bad.json"])
    (tmp_path / "text.json").write_text("entries: 5")
    with pytest.raises(Refused, match=r"text\.json is not JSON"):
        anchors.check(app, cora, [tmp_path / "text.json"])
    with pytest.raises(Refused, match="cannot read the receipt"):
        anchors.check(app, cora, [tmp_path / "missing.json"])
    assert anchors.check(app, cora, [tmp_path / "r.json"])[0].ok
