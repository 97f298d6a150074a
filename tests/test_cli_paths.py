"""Command-line paths no other test walks: `demo` at every stage, `user list`,
`participants edit`, and an export of a locked study that is not yet unblinded."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services import demo
from tests.cli_helpers import Outcome, cli
from tests.conftest import PASSWORDS
from trialcore.roles import ROLES

CONDITION_WORDS = ("PBO", "MDMA80", "MDMA120", "Placebo", "MDMA 80 mg", "MDMA 120 mg")


def _as(capsys, monkeypatch, db: str, account: dict[str, str],  # type: ignore[no-untyped-def]
        *args: str) -> Outcome:
    return cli(capsys, monkeypatch, db, *args, user=account["user"],
               password=account["password"])


@pytest.mark.parametrize("stage", demo.STAGES)
def test_demo_at_every_stage_prints_its_accounts_and_the_study_is_at_that_stage(
        db_url: str, stage: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    r = cli(capsys, monkeypatch, db_url, "--json", "demo", "--stage", stage)
    assert r.code == 0, r.err
    made = r.json
    assert set(made) >= {"db", "stage", "accounts", "passphrase", "emergency_passphrase"}
    assert made["stage"] == stage and made["passphrase"] == demo.PASSPHRASE
    assert made["emergency_passphrase"] == demo.EMERGENCY_PASSPHRASE
    assert all(set(a) == {"user", "role", "password"} for a in made["accounts"])
    by_role = {a["role"]: a for a in made["accounts"]}
    assert set(by_role) == set(ROLES)
    shown = _as(capsys, monkeypatch, db_url, by_role["coordinator"], "--json", "study", "show")
    assert shown.code == 0 and shown.json["stage"] == stage
    users = _as(capsys, monkeypatch, db_url, by_role["admin"], "--json", "user", "list")
    assert users.code == 0, users.err
    assert {(u["user"], u["role"], u["active"]) for u in users.json["users"]} == {
        (a["user"], a["role"], True) for a in made["accounts"]}
    if stage == "setup":
        return
    out = tmp_path / "long.csv"
    export = _as(capsys, monkeypatch, db_url, by_role["coordinator"], "--json", "export",
                 str(out))
    assert export.code == 0, export.err
    assert export.json["blinded"] is (stage != "unblinded")
    with out.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert ("condition" in header) is (stage == "unblinded")
    if stage != "unblinded":  # locked is still blinded
        text = out.read_text(encoding="utf-8")
        assert not [w for w in CONDITION_WORDS if w in text]


def test_user_list_is_for_the_admin_only(app, db_url: str, study,  # type: ignore[no-untyped-def]
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    r = cli(capsys, monkeypatch, db_url, "--json", "user", "list", user="admin",
            password=PASSWORDS["admin"])
    assert r.code == 0, r.err
    assert r.json == {"users": [
        {"user": "admin", "role": "admin", "active": True, "locked_until": None},
        {"user": "cora", "role": "coordinator", "active": True, "locked_until": None},
        {"user": "ivan", "role": "investigator", "active": True, "locked_until": None},
        {"user": "rita", "role": "randomizer", "active": True, "locked_until": None},
        {"user": "stella", "role": "statistician", "active": True, "locked_until": None}]}
    r = cli(capsys, monkeypatch, db_url, "user", "list", user="admin",
            password=PASSWORDS["admin"])
    assert r.code == 0 and r.out.split() == [
        "admin", "admin", "enabled", "cora", "coordinator", "enabled", "ivan", "investigator",
        "enabled", "rita", "randomizer", "enabled", "stella", "statistician", "enabled"]
    r = cli(capsys, monkeypatch, db_url, "--json", "user", "list", user="cora",
            password=PASSWORDS["cora"])
    assert r.code == 1 and "users.manage" in r.json["error"]


def test_participants_edit_changes_the_details_with_a_reason_and_refuses_without(
        app, db_url: str, study,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def as_cora(*args: str) -> Outcome:
        return cli(capsys, monkeypatch, db_url, *args, user="cora", password=PASSWORDS["cora"])

    assert as_cora("participants", "add", "5", "--date", "2026-01-05").code == 0
    r = as_cora("--json", "participants", "edit", "P005", "--notes", "prefers mornings",
                "--registered-on", "2026-01-06", "--reason", "typo in the paper form")
    assert r.code == 0, r.err
    assert (r.json["id"], r.json["version"]) == ("P005", 2)
    assert (r.json["notes"], r.json["registered_on"]) == ("prefers mornings", "2026-01-06")
    for args, message in [
        (("participants", "edit", "P005", "--notes", "x"), "needs a reason"),
        (("participants", "edit", "P005", "--reason", "x"), "nothing to change"),
        (("participants", "edit", "P099", "--notes", "x", "--reason", "x"), "P099"),
        (("participants", "edit", "P005", "--registered-on", "soon", "--reason", "x"),
         "--registered-on"),
    ]:
        refused = as_cora("--json", *args)
        assert refused.code == 1 and message in refused.json["error"], (args, refused.out)
    again = as_cora("--json", "participants", "list")
    p005 = next(p for p in again.json["participants"] if p["id"] == "P005")
    assert (p005["notes"], p005["registered_on"]) == ("prefers mornings", "2026-01-06")
