"""The command-line contract of issue 3: allocation, enrol, codes check, unblind --emergency."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.context import App
from tests.allocation_helpers import (
    DISPENSING,
    EMERGENCY,
    PASSPHRASE,
    allocated_study,
    audit_count,
)
from tests.cli_helpers import Outcome, cli
from tests.conftest import PASSWORDS, make_study

SECRETS = {"TRIALDESK_PASSPHRASE": PASSPHRASE, "TRIALDESK_EMERGENCY_PASSPHRASE": EMERGENCY}


@pytest.fixture
def users(app: App, db_url: str) -> str:
    make_study(app, ("cora", "ivan", "phil", "stella", "rita"))
    return db_url


def as_user(capsys, monkeypatch, db: str, user: str, *args: str, **env: str) -> Outcome:  # type: ignore[no-untyped-def]
    return cli(capsys, monkeypatch, db, *args, user=user, password=PASSWORDS[user], **env)


def test_the_issue_3_workflow_on_the_command_line(users: str, app: App, tmp_path: Path,
                                                  capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def run(user: str, *args: str, **env: str) -> Outcome:
        return as_user(capsys, monkeypatch, users, user, *args, **env)

    r = run("rita", "--json", "allocation", "generate", **SECRETS)
    assert r.code == 1 and "--confirm-unbalanced" in r.json["error"]
    assert "nearest balanced sizes: 6 or 12" in r.json["details"][0]
    r = run("rita", "--json", "allocation", "generate", "--confirm-unbalanced", **SECRETS)
    assert r.code == 0, r.out
    assert r.json["dose_codes"] == 72 and r.json["stage"] == "running"
    assert r.json["dispensing_copy"] is False
    assert r.json["warnings"] and "seed" not in r.out and "PBO" not in r.out
    r = run("rita", "--json", "allocation", "handover", "--reason", "pharmacist appointed",
            TRIALDESK_PASSPHRASE=PASSPHRASE, TRIALDESK_DISPENSING_PASSPHRASE="1111111111")
    assert r.code == 1 and "dispensing passphrase is refused" in r.json["error"]
    r = run("rita", "--json", "allocation", "handover", "--reason", "pharmacist appointed",
            TRIALDESK_PASSPHRASE=PASSPHRASE, TRIALDESK_DISPENSING_PASSPHRASE=DISPENSING)
    assert r.code == 0 and r.json["replaced"] is False

    assert run("cora", "participants", "add", "1", "--date", "2026-01-20").code == 0
    r = run("cora", "--json", "enrol", "P1", "--stratum", "NTNA+", "--reason", "scan report",
            "--date", "2026-02-01")
    assert r.code == 0, r.out
    assert r.json["slot"] == 1 and set(r.json["codes"]) == {"dose1", "dose2", "dose3"}
    code = r.json["codes"]["dose2"]
    r = run("cora", "--json", "enrol", "1", "--stratum", "NTNA+", "--reason", "again")
    assert r.code == 1 and "already enrolled" in r.json["error"]

    r = run("cora", "--json", "codes", "check", "P001", "dose2", code)
    assert (r.code, r.json["result"]) == (0, "ok")
    r = run("cora", "--json", "codes", "check", "P001", "dose1", code)
    assert (r.code, r.json["result"]) == (1, "wrong kit")
    r = run("cora", "codes", "check", "P001", "dose1", code[:-1])
    assert r.code == 1 and "8 characters" in r.err

    r = run("rita", "--json", "allocation", "report", "--reason", "balance check", **SECRETS)
    assert r.code == 0 and r.json["regenerates_from_seed"] is True
    assert [(s["stratum"], s["used"]) for s in r.json["strata"]] == [("NTNA+", 1), ("NTNA-", 0)]
    kits = str(tmp_path / "kits.csv")
    r = run("phil", "--json", "allocation", "dispensing", kits,
            TRIALDESK_PASSPHRASE=DISPENSING)
    assert r.code == 1 and "needs a reason" in r.json["error"]
    r = run("phil", "allocation", "dispensing", kits, "--reason", "first kits",
            TRIALDESK_PASSPHRASE=DISPENSING)
    assert r.code == 0, r.err
    r = run("phil", "--json", "allocation", "dispensing", kits, "--reason", "again",
            TRIALDESK_PASSPHRASE=DISPENSING)
    assert r.code == 1 and "already exists" in r.json["error"]
    r = run("phil", "allocation", "dispensing", kits, "--reason", "again", "--force",
            TRIALDESK_PASSPHRASE=DISPENSING)
    assert r.code == 0, r.err
    with (tmp_path / "kits.csv").open(newline="") as fh:
        kit = next(row for row in csv.DictReader(fh) if row["code"] == code)

    sign = {"TRIALDESK_SIGNATURE_PASSWORD": PASSWORDS["ivan"], **SECRETS}
    r = run("ivan", "--json", "unblind", "--emergency", "P001", **sign)
    assert r.code == 1 and "needs a reason" in r.json["error"]
    r = run("ivan", "--json", "unblind", "--emergency", "P001", "--reason", "allergy", **SECRETS)
    assert r.code == 1 and "TRIALDESK_SIGNATURE_PASSWORD" in r.json["error"]
    r = run("ivan", "--json", "unblind", "--emergency", "P001", "--reason", "allergy", **sign)
    assert r.code == 0, r.out
    assert next(v for v in r.json["visits"] if v["code"] == code)["condition"] == kit["condition"]
    r = run("ivan", "--json", "unblind", "--reason", "end of study")
    assert r.code == 1 and "only after it is locked" in r.json["error"]


def test_refusals_exit_1_and_write_nothing(users: str, app: App, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    before = audit_count(app)
    r = as_user(capsys, monkeypatch, users, "cora", "--json", "allocation", "generate",
                "--confirm-unbalanced", **SECRETS)
    assert r.code == 1 and "randomizer" in r.json["error"]
    r = as_user(capsys, monkeypatch, users, "rita", "allocation", "generate",
                "--confirm-unbalanced", TRIALDESK_PASSPHRASE=PASSPHRASE,
                TRIALDESK_EMERGENCY_PASSPHRASE=PASSPHRASE)
    assert r.code == 1 and "must differ" in r.err
    r = as_user(capsys, monkeypatch, users, "rita", "allocation", "generate",
                "--confirm-unbalanced", TRIALDESK_PASSPHRASE="1111111111",
                TRIALDESK_EMERGENCY_PASSPHRASE=EMERGENCY)
    assert r.code == 1 and "sealing passphrase is refused: this passphrase is too easy" in r.err
    r = as_user(capsys, monkeypatch, users, "cora", "enrol", "1", "--date", "someday")
    assert r.code == 1 and "not a date" in r.err
    r = as_user(capsys, monkeypatch, users, "cora", "codes", "check", "1")
    assert r.code == 2
    assert audit_count(app) == before


def test_wrong_passphrase_exits_1_and_is_audited(app: App, db_url: str, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                                 tmp_path: Path) -> None:
    allocated_study(app, ("phil",))
    before = audit_count(app)
    r = as_user(capsys, monkeypatch, db_url, "phil", "--json", "allocation", "dispensing",
                str(tmp_path / "kits.html"), "--reason", "curious",
                TRIALDESK_PASSPHRASE=PASSPHRASE)
    assert r.code == 1 and r.json["error"].startswith("wrong dispensing passphrase")
    assert audit_count(app) == before + 1 and not (tmp_path / "kits.html").exists()


def test_refusals_advise_commands_on_the_command_line(users: str, app: App, capsys,
                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The service names what helps (services.errors hints); the CLI words it as a command,
    the window as a tab and button (tests/gui/test_allocation_gui.py)."""
    assert as_user(capsys, monkeypatch, users, "cora", "participants", "add", "1").code == 0
    r = as_user(capsys, monkeypatch, users, "cora", "--json", "enrol", "1")
    assert r.code == 1 and r.json["error"] == ("no allocation list yet: the randomizer "
                                               "generates it first (allocation generate)")
    r = as_user(capsys, monkeypatch, users, "stella", "--json", "unblind", **SECRETS)
    assert r.code == 1 and r.json["error"].endswith("(lock --reason R)")
