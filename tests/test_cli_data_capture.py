"""`values`, `query`, `sdv` and `ae` on the command line: JSON shapes and exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services import accounts
from services.context import Actor, App
from tests.cli_helpers import Outcome, cli
from tests.conftest import PASSWORDS
from tests.importers.helpers import baseline_study


@pytest.fixture
def study_db(db_url: str) -> Iterator[str]:
    """P001 with a done baseline, P002 registered only; cora, ivan, stella and mona."""
    app = App(db_url)
    actors = baseline_study(app, [1, 2], done=[1])
    accounts.add_user(app, actors["admin"], "mona", "monitor", PASSWORDS["mona"])
    app.close()
    yield db_url


def run(capsys, monkeypatch, db: str, user: str, *args: str) -> Outcome:  # type: ignore[no-untyped-def]
    return cli(capsys, monkeypatch, db, "--json", *args, user=user, password=PASSWORDS[user])


def test_values_queries_and_sdv_on_the_command_line(study_db: str, capsys,  # type: ignore[no-untyped-def]
                                                    monkeypatch) -> None:
    def go(user: str, *args: str) -> Outcome:
        return run(capsys, monkeypatch, study_db, user, *args)

    r = go("cora", "values", "set", "P001", "baseline", "tsnr=50", "anx_1=2", "anx_2=3",
           "anx_3=1", "anx_4=4")
    assert r.code == 0, r.out
    assert {v["name"] for v in r.json["values"]} >= {"tsnr", "subjective_anxiety", "anx_1"}
    r = go("cora", "values", "set", "P001", "baseline", "tsnr=60")
    assert r.code == 1 and "needs a reason" in r.json["error"]
    r = go("cora", "values", "set", "P002", "baseline", "tsnr=60")
    assert r.code == 1 and "done visit only" in r.json["error"]
    r = go("cora", "values", "set", "P001", "baseline", "tsnr")
    assert r.code == 1 and "NAME=VALUE" in r.json["error"]
    r = go("mona", "values", "missing", "--participant", "P001", "--measure",
           "subjective_introspection")
    assert r.code == 0 and r.json["missing"][0]["unanswered_items"] == [
        "intro_1", "intro_2", "intro_3", "intro_4"]
    r = go("cora", "values", "show", "1", "--visit", "baseline")
    assert r.code == 0
    row = next(v for v in r.json["values"] if v["name"] == "tsnr")
    assert {"participant", "visit", "name", "value", "source", "import_id", "user",
            "at"} <= set(row) and row["source"] == "entry" and row["user"] == "cora"

    assert go("mona", "sdv", "mark", "P001", "baseline").code == 0
    r = go("mona", "sdv", "list", "--pending")
    assert r.code == 0 and r.json["visits"] == []
    r = go("cora", "query", "open", "P001", "baseline", "tsnr", "--text", "low?")
    assert r.code == 1 and "may not do this" in r.json["error"]
    r = go("mona", "query", "open", "P001", "baseline", "tsnr", "--text", "50 is low")
    assert r.code == 0 and r.json["status"] == "open"
    number = str(r.json["id"])
    r = go("cora", "query", "answer", number, "--text", "typo", "--value", "150",
           "--reason", "source says 150")
    assert r.code == 0 and r.json["status"] == "answered"
    assert r.json["correction"]["sdv_cleared"] is True
    r = go("mona", "query", "list", "--open")
    q = r.json["queries"][0]
    assert {"id", "participant", "visit", "name", "status", "text", "answers"} <= set(q)
    assert q["status"] == "answered" and q["answers"][0]["by"] == "cora"
    r = go("cora", "lock", "--check")
    assert r.code == 1 and r.json["ready"] is False
    queries_item = next(i for i in r.json["items"] if i["key"] == "queries")
    assert not queries_item["ok"] and queries_item["problems"]
    assert go("mona", "query", "close", number, "--text", "ok").code == 0
    assert go("mona", "query", "list", "--open").json["queries"] == []
    r = go("mona", "sdv", "mark", "P001", "baseline", "--undo", "--reason", "wrong visit")
    assert r.code == 1 and "not marked" in r.json["error"]
    assert cli(capsys, monkeypatch, study_db, "query", "answer", user="cora",
               password=PASSWORDS["cora"]).code == 2


def test_adverse_events_on_the_command_line(study_db: str, capsys,  # type: ignore[no-untyped-def]
                                            monkeypatch) -> None:
    def go(user: str, *args: str) -> Outcome:
        return run(capsys, monkeypatch, study_db, user, *args)

    base = ["--term", "headache", "--onset", "2020-01-02", "--severity", "mild",
            "--related", "possible"]
    r = go("ivan", "ae", "add", "P001", *base, "--serious", "yes")
    assert r.code == 0 and r.json["serious"] is True
    assert "emergency envelope" in r.json["warnings"][0]
    number = str(r.json["id"])
    r = go("mona", "ae", "add", "P001", *base, "--serious", "no")
    assert r.code == 1 and "may not do this" in r.json["error"]
    r = go("cora", "ae", "update", number, "--resolved", "2020-01-05")
    assert r.code == 1 and "needs a reason (--reason)" in r.json["error"]  # the CLI's flag
    r = go("cora", "ae", "add", "P001", *base[:2], "--onset", "2199-01-01", *base[4:],
           "--serious", "no")
    assert r.code == 1 and r.json["error"] == (
        "onset 2199-01-01: an adverse event cannot start in the future (--onset)")
    r = go("cora", "ae", "update", number, "--resolved", "2020-01-05", "--outcome",
           "recovered", "--reason", "follow-up call")
    assert r.code == 0 and r.json["resolved"] == "2020-01-05"
    r = go("mona", "ae", "list", "--participant", "P001")
    ae = r.json["adverse_events"][0]
    assert {"id", "participant", "term", "onset", "severity", "serious", "related",
            "resolved", "outcome"} <= set(ae) and ae["outcome"] == "recovered"
    r = go("stella", "ae", "table")
    assert r.code == 1 and "only after unblinding" in r.json["error"]
    r = go("cora", "ae", "add", "P001", *base[:-2], "--serious", "no")
    assert r.code == 2


def test_casebook_on_the_command_line(study_db: str, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                      tmp_path: Path) -> None:
    target = tmp_path / "p1.html"
    r = run(capsys, monkeypatch, study_db, "mona", "casebook", "P001", str(target))
    assert r.code == 0 and r.json["file"] == str(target)
    assert "Casebook P001" in target.read_text(encoding="utf-8")
    r = run(capsys, monkeypatch, study_db, "mona", "casebook", "P001", str(target))
    assert r.code == 1 and "already exists" in r.json["error"]
    app = App(study_db)
    accounts.add_user(app, Actor("admin", "admin"), "phil", "pharmacist", PASSWORDS["phil"])
    app.close()
    other = tmp_path / "p2.html"
    r = run(capsys, monkeypatch, study_db, "phil", "casebook", "P001", str(other))
    assert r.code == 1 and "data.read is for" in r.json["error"] and not other.exists()


def test_double_data_entry_on_the_command_line(db_url: str, capsys,  # type: ignore[no-untyped-def]
                                               monkeypatch) -> None:
    app = App(db_url)
    actors = baseline_study(app, [1], done=[1])
    accounts.add_user(app, actors["admin"], "dora", "coordinator", "dora-pass-1")
    app.close()
    passwords = {**PASSWORDS, "dora": "dora-pass-1"}

    def go(user: str, *args: str) -> Outcome:
        return cli(capsys, monkeypatch, db_url, "--json", *args, user=user,
                   password=passwords[user])

    r = go("cora", "values", "set", "1", "baseline", "lik_angry_1=3", "lik_angry_2=5")
    assert r.code == 0 and r.json["entry_id"] is None and r.json["values"] == []
    assert r.json["double_entry"] == [
        {"name": "lik_angry_1", "label": "Likability of angry faces, item 1", "status": "waiting"},
        {"name": "lik_angry_2", "label": "Likability of angry faces, item 2", "status": "waiting"}]
    r = go("cora", "values", "set", "1", "baseline", "lik_angry_1=3")
    assert r.code == 1 and "you entered it already" in r.json["error"]
    r = go("dora", "values", "pending")
    assert r.code == 0 and [(p["name"], p["status"], p["first_value"])
                            for p in r.json["pending"]] == [("lik_angry_1", "waiting", None),
                                                            ("lik_angry_2", "waiting", None)]
    r = go("dora", "values", "set", "1", "baseline", "lik_angry_1=3", "lik_angry_2=6")
    assert r.code == 0 and [d["status"] for d in r.json["double_entry"]] == ["agreed",
                                                                             "mismatch"]
    assert [v["name"] for v in r.json["values"] if v["kind"] == "answer"] == ["lik_angry_1"]
    r = go("ivan", "values", "pending", "--participant", "P001")
    assert r.json["pending"][0] | {"first_at": None} == {
        "participant": "P001", "visit": "baseline", "name": "lik_angry_2",
        "status": "mismatch", "first_by": "cora", "first_at": None, "second_by": "dora",
        "first_value": "5", "second_value": "6", "visit_label": "Baseline fMRI",
        "name_label": "Likability of angry faces, item 2"}  # the ids, and the labels beside
    r = go("ivan", "values", "resolve", "1", "baseline", "lik_angry_2=5")
    assert r.code == 1 and "needs a reason" in r.json["error"]
    r = go("stella", "values", "resolve", "1", "baseline", "lik_angry_2=5", "--reason", "x")
    assert r.code == 1 and "values.resolve is for" in r.json["error"]
    r = go("ivan", "values", "resolve", "1", "baseline", "lik_angry_2=5", "--reason",
           "the paper form says 5")
    assert r.code == 0 and r.json["double_entry"] == [
        {"name": "lik_angry_2", "label": "Likability of angry faces, item 2", "status": "resolved"}]
    assert go("ivan", "values", "pending").json == {"pending": []}
    shown = {v["name"]: v for v in go("cora", "values", "show", "1").json["values"]}
    assert shown["lik_angry_1"]["double_entry"] == ["cora", "dora"]
    assert shown["lik_angry_2"]["user"] == "ivan"
    r = go("ivan", "values", "resolve", "1", "baseline")
    assert r.code == 2
