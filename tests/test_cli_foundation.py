"""The command-line contract for the foundation commands: shapes, exit codes, no writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import cli
from tests.conftest import PASSWORDS, REFERENCE

ADMIN = {"user": "admin", "password": PASSWORDS["admin"]}


@pytest.fixture
def initialised(db_url: str, capsys, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    r = cli(capsys, monkeypatch, db_url, "--json", "init", REFERENCE, **ADMIN)
    assert r.code == 0, r.out + r.err
    assert r.json["stage"] == "setup"
    r = cli(capsys, monkeypatch, db_url, "user", "add", "cora", "--role", "coordinator",
            TRIALDESK_NEW_PASSWORD=PASSWORDS["cora"], **ADMIN)
    assert r.code == 0, r.err
    return db_url


def as_cora(capsys, monkeypatch, db: str, *args: str):  # type: ignore[no-untyped-def]
    return cli(capsys, monkeypatch, db, *args, user="cora", password=PASSWORDS["cora"])


def test_study_show_json_shape(initialised: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    r = as_cora(capsys, monkeypatch, initialised, "--json", "study", "show")
    assert r.code == 0
    d = r.json
    assert d["stage"] == "setup" and d["strata"] == ["NTNA+", "NTNA-"]
    assert {"code": "PBO", "label": "Placebo", "dose_mg": 0.0} in d["conditions"]
    assert {"id": "dose1", "label": "Dosing 1", "dosing": True}.items() <= d["visits"][1].items()
    anx = next(m for m in d["measures"] if m["name"] == "subjective_anxiety")
    assert anx["kind"] == "questionnaire" and anx["items"][0] == "anx_1" and anx["max"] == 5
    assert d["participants"] == 0


def test_participants_add_list_withdraw(initialised: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert as_cora(capsys, monkeypatch, initialised, "participants", "add", "sub-007").code == 0
    r = as_cora(capsys, monkeypatch, initialised, "--json", "participants", "add", "7")
    assert r.code == 1 and "P007 already exists" in r.json["error"]
    r = as_cora(capsys, monkeypatch, initialised, "participants", "withdraw", "P7")
    assert r.code == 1 and "needs a reason" in r.err
    r = as_cora(capsys, monkeypatch, initialised, "--json", "participants", "withdraw", "7",
                "--reason", "moved")
    assert r.code == 0 and r.json["status"] == "withdrawn"
    r = as_cora(capsys, monkeypatch, initialised, "--json", "participants", "list")
    assert [p["id"] for p in r.json["participants"]] == ["P007"]


def test_wrong_password_is_refused(initialised: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    r = cli(capsys, monkeypatch, initialised, "--json", "participants", "list", user="cora",
            password="not-it-at-all")
    assert r.code == 1 and "wrong user name or password" in r.json["error"]


def test_usage_error_is_exit_2_with_one_json_document(initialised: str, capsys,
                                                     monkeypatch) -> None:  # type: ignore[no-untyped-def]
    r = cli(capsys, monkeypatch, initialised, "--json", "participants", "frobnicate")
    assert r.code == 2 and "invalid choice" in r.json["error"]


def test_audit_verify_and_export(initialised: str, capsys, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = as_cora(capsys, monkeypatch, initialised, "--json", "audit", "verify")
    assert r.code == 0 and r.json["ok"] is True and r.json["entries"] >= 3
    out = tmp_path / "trail.csv"
    r = as_cora(capsys, monkeypatch, initialised, "audit", "export", str(out))
    assert r.code == 0 and out.read_text().startswith("seq,at,actor")


def test_bad_protocol_names_the_key_and_creates_nothing(db_url: str, capsys, monkeypatch,
                                                        tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.toml"
    bad.write_text(Path(REFERENCE).read_text().replace("dose_mg = 80", "dose_mgs = 80"))
    r = cli(capsys, monkeypatch, db_url, "--json", "init", str(bad), **ADMIN)
    assert r.code == 1
    assert {"key": "conditions[1].dose_mgs",
            "message": "unknown key (allowed: code, dose_mg, label)"} in r.json["details"]
    r = cli(capsys, monkeypatch, db_url, "--json", "study", "show", **ADMIN)
    assert r.code == 1  # the command line words the remedy as its commands
    assert r.json["error"].endswith(" holds no study yet (init PROTOCOL.toml, or demo)")


def test_unknown_database_urls(capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    r = cli(capsys, monkeypatch, "mysql://u:p@localhost/x", "--json", "study", "show", **ADMIN)
    assert r.code == 1 and "not supported" in r.json["error"]
    r = cli(capsys, monkeypatch, "postgresql+psycopg://u:secret@127.0.0.1:1/none", "--json",
            "study", "show", **ADMIN)
    assert r.code == 1 and "cannot open the database" in r.json["error"]
    assert "secret" not in r.out
