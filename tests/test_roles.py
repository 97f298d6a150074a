"""The roles of a double-blind trial: the demo has an account of each, the monitor reads
what blinded roles read and nothing else, and no blinded role can reach the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from services import allocation, audit_trail, exports, participants
from services.context import App
from services.errors import PermissionDenied
from tests.allocation_helpers import DISPENSING, PASSPHRASE, allocated_study, enrol_by_hand
from tests.cli_helpers import cli
from trialcore.roles import ROLES, allowed


def test_the_demo_has_an_account_per_role_and_the_pharmacists_own_passphrase(
        app: App, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    app.close()
    r = cli(capsys, monkeypatch, db_url, "--json", "demo")
    assert r.code == 0, r.err
    built = r.json
    # one account of each role, and a second coordinator for double data entry
    assert sorted(a["role"] for a in built["accounts"]) == sorted([*ROLES, "coordinator"])
    assert len({built["passphrase"], built["dispensing_passphrase"],
                built["emergency_passphrase"]}) == 3
    phil = next(a for a in built["accounts"] if a["role"] == "pharmacist")
    kits = str(tmp_path / "kits.csv")
    r = cli(capsys, monkeypatch, db_url, "--json", "allocation", "dispensing", kits,
            "--reason", "demo kits", user=phil["user"], password=phil["password"],
            TRIALDESK_PASSPHRASE=built["dispensing_passphrase"])
    assert r.code == 0, r.out
    r = cli(capsys, monkeypatch, db_url, "--json", "allocation", "dispensing", kits + "2.csv",
            "--reason", "demo kits", user=phil["user"], password=phil["password"],
            TRIALDESK_PASSPHRASE=built["passphrase"])
    assert r.code == 1 and "wrong dispensing passphrase" in r.json["error"]


def test_the_monitor_reads_what_blinded_roles_read_and_changes_nothing(
        app: App, tmp_path: Path) -> None:
    actors = allocated_study(app, ("cora", "mona"))
    mona = actors["mona"]
    enrol_by_hand(app, actors["cora"], 1)
    assert [p.label for p in participants.list_participants(app, mona)] == ["P001"]
    assert audit_trail.verify(app, mona).ok
    exports.export(app, mona, tmp_path / "data.csv")
    exported = (tmp_path / "data.csv").read_text(encoding="utf-8")
    assert "MDMA" not in exported and "Placebo" not in exported  # blinded: codes only
    for call in (lambda: participants.add(app, mona, 2),
                 lambda: allocation.report(app, mona, PASSPHRASE, "look"),
                 lambda: allocation.dispensing(app, mona, DISPENSING, tmp_path / "k.csv", "x")):
        with pytest.raises(PermissionDenied, match="monitor"):
            call()


@pytest.mark.parametrize("role", ["coordinator", "investigator", "monitor", "statistician",
                                  "admin"])
def test_no_blinded_role_may_open_the_key_before_unblinding(role: str) -> None:
    """Only the randomizer (sealing passphrase) and the pharmacist (own copy) open the key;
    the statistician unblinds the whole study only after lock, with the randomizer."""
    for permission in ("allocation.generate", "allocation.report", "allocation.handover",
                       "allocation.dispensing"):
        assert not allowed(role, permission)
    assert allowed("randomizer", "allocation.report")
    assert not allowed("randomizer", "analysis.run") and not allowed("randomizer", "data.export")
    assert not allowed("pharmacist", "data.export") and not allowed("pharmacist", "analysis.run")
