"""What the command line answers about the database itself: a file that is no study, a
mistyped path, read-only media, a failed init, a busy database and a save that lost a
race. Always a refusal (exit 1, one JSON document with --json), never a traceback, and
nothing written or left behind."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

import db.engine
import services.context
from services import participants
from services.context import Actor, App
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS, REFERENCE
from tests.db_digest import digest
from tests.test_visits import running_study

CORA = {"user": "cora", "password": PASSWORDS["cora"]}


def one_error(out: str) -> dict[str, object]:
    doc = json.loads(out)
    assert set(doc) == {"error", "details"}
    return doc


def tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def with_participant(url: str, tmp: pytest.TempPathFactory) -> str:
    """The running reference study with participant P007 registered today."""
    app, actors = running_study(url, tmp)
    participants.add(app, actors["cora"], 7, stratum="NTNA+")
    app.close()
    return url


@pytest.fixture
def study_db(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return with_participant(db_url, tmp_path_factory)


@pytest.mark.parametrize("content", [b"id,value\n1,2\n", bytes(range(256)) * 20])
def test_a_file_that_is_no_database_is_refused(tmp_path: Path, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                               content: bytes) -> None:
    bad = tmp_path / "data.csv"
    bad.write_bytes(content)
    r = cli(capsys, monkeypatch, str(bad), "--json", "participants", "list", **CORA)
    assert r.code == 1 and "Traceback" not in r.err
    assert "is not a TrialDesk database" in one_error(r.out)["error"]
    assert bad.read_bytes() == content


def test_a_mistyped_sqlite_path_creates_nothing(tmp_path: Path, capsys, monkeypatch  # type: ignore[no-untyped-def]
                                                ) -> None:
    path = tmp_path / "typo" / "deeper" / "study.sqlite"
    r = cli(capsys, monkeypatch, str(path), "participants", "list", **CORA)
    assert r.code == 1
    assert f"{path} holds no study yet (init PROTOCOL.toml, or demo)" in r.err
    assert not (tmp_path / "typo").exists()


def test_an_empty_database_is_not_made_a_study_by_a_command(db_url: str, capsys,  # type: ignore[no-untyped-def]
                                                            monkeypatch) -> None:
    if db_url.startswith("sqlite"):
        Path(db_url.removeprefix("sqlite:///")).touch()
    r = cli(capsys, monkeypatch, db_url, "--json", "participants", "list", **CORA)
    assert r.code == 1 and "holds no study yet" in one_error(r.out)["error"]
    assert tables(db_url) == []


@pytest.mark.parametrize("mistake", ["protocol", "user name"])
def test_a_failed_init_leaves_no_database(db_url: str, tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                          monkeypatch, mistake: str) -> None:
    """A bad protocol is refused before a database is made; a refusal once it is made (a
    bad administrator name) removes the database again: file, folders or tables."""
    protocol, admin = REFERENCE, "admin"
    if mistake == "protocol":
        protocol = str(tmp_path / "bad.toml")
        Path(protocol).write_text(Path(REFERENCE).read_text().replace(
            'design = "crossover"', 'design = "zigzag"'))
    else:
        admin = "no such name!"
    url = db_url
    if db_url.startswith("sqlite"):
        url = str(tmp_path / "new" / "folder" / "study.sqlite")
    r = cli(capsys, monkeypatch, url, "--json", "init", protocol, user=admin,
            password=PASSWORDS["admin"])
    assert r.code == 1
    assert ("study.design" if mistake == "protocol" else "not a valid user name") in \
        one_error(r.out)["error"]
    if db_url.startswith("sqlite"):
        assert not (tmp_path / "new").exists()
    else:
        assert tables(db_url) == []
    r = cli(capsys, monkeypatch, url, "init", REFERENCE, user="admin",
            password=PASSWORDS["admin"])
    assert r.code == 0, r.err


def test_read_only_media_can_be_read_but_not_written(tmp_path: Path, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                                     tmp_path_factory) -> None:
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    with_participant(url, tmp_path_factory)
    before = digest(url)
    # As root every file is writable; what read-only media or chattr +i make os.access say:
    monkeypatch.setattr(services.context, "writable", lambda path: False)
    opened = App(url)
    assert opened.read_only
    opened.close()
    r = cli(capsys, monkeypatch, url, "--json", "participants", "list", **CORA)
    assert r.code == 0 and [p["id"] for p in r.json["participants"]] == ["P007"]
    r = cli(capsys, monkeypatch, url, "--json", "participants", "add", "8", **CORA)
    assert r.code == 1
    assert "read-only" in one_error(r.out)["error"] and "writing is impossible" in r.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.sqlite"]  # no -wal, -shm
    assert digest(url) == before


def test_read_only_detection_asks_the_operating_system(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "study.sqlite"
    path.touch()
    assert db.engine.writable(path)
    monkeypatch.setattr(db.engine.os, "access", lambda p, mode: Path(p) != path)
    assert not db.engine.writable(path)


def _failing_flush(exc: Exception, times: int):  # type: ignore[no-untyped-def]
    """A listener that makes the next `times` flushes fail as a concurrent writer would."""
    left = [times]

    def before_flush(session: Session, _ctx, _instances) -> None:  # type: ignore[no-untyped-def]
        if left[0] > 0:
            left[0] -= 1
            raise exc
    return before_flush


LOCKED = OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
DUPLICATE = IntegrityError("INSERT INTO participants", {},
                           Exception('duplicate key value violates unique constraint'))


@pytest.mark.parametrize(("exc", "said"), [(LOCKED, "stayed busy too long"),
                                            (DUPLICATE, "saved the same record")])
def test_a_lost_race_is_a_refusal_and_writes_nothing(study_db: str, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                                     exc: Exception, said: str) -> None:
    before = digest(study_db)
    listener = _failing_flush(exc, times=2)
    event.listen(Session, "before_flush", listener)
    try:
        r = cli(capsys, monkeypatch, study_db, "--json", "visit", "book", "7", "baseline",
                dt.date.today().isoformat(), **CORA)
    finally:
        event.remove(Session, "before_flush", listener)
    assert r.code == 1 and "Traceback" not in r.err
    assert said in one_error(r.out)["error"]
    assert digest(study_db) == before


def test_a_race_lost_once_is_tried_again(study_db: str, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    listener = _failing_flush(LOCKED, times=1)
    event.listen(Session, "before_flush", listener)
    try:
        r = cli(capsys, monkeypatch, study_db, "--json", "participants", "add", "8", **CORA)
    finally:
        event.remove(Session, "before_flush", listener)
    assert r.code == 0, r.out
    assert r.json["id"] == "P008"


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_adds_of_one_id_at_once_give_the_loser_an_answer(study_db: str, capsys,  # type: ignore[no-untyped-def]
                                                             monkeypatch) -> None:
    """PostgreSQL lets two writers check "no P050 yet" at the same moment (SQLite queues
    writers, so there the second simply finds P050): the loser's insert breaks the unique
    key, its retry finds P050, and it is told so instead of seeing an IntegrityError."""
    import threading

    both_checked = threading.Barrier(2, timeout=30)
    rival_saved = threading.Event()
    arrived: list[Session] = []

    def meet(session: Session, _ctx, _instances) -> None:  # type: ignore[no-untyped-def]
        # The first flush of each side inserts P050: they meet there, once (not at a
        # second flush, nor at the loser's retry); then the command waits for the rival.
        if session.info.get("action") == "participant.add" and len(arrived) < 2:
            arrived.append(session)
            both_checked.wait()
            if session.info.get("actor") == "cora":
                rival_saved.wait(30)

    def rival() -> None:
        app = App(study_db)
        try:
            participants.add(app, Actor("ivan", "investigator"), 50)
        finally:
            rival_saved.set()
            app.close()

    event.listen(Session, "before_flush", meet)
    thread = threading.Thread(target=rival)
    thread.start()
    try:
        r = cli(capsys, monkeypatch, study_db, "--json", "participants", "add", "50", **CORA)
    finally:
        thread.join()
        event.remove(Session, "before_flush", meet)
    assert r.code == 1 and "Traceback" not in r.err
    assert "participant P050 already exists" in one_error(r.out)["error"]
    assert len(arrived) == 2


def test_a_writer_kept_waiting_past_the_busy_timeout_is_refused(tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                                                monkeypatch,
                                                                tmp_path_factory) -> None:
    """SQLite for real: another program holds the write lock longer than we wait."""
    import sqlite3

    url = with_participant(f"sqlite:///{tmp_path / 'study.sqlite'}", tmp_path_factory)
    before = digest(url)
    monkeypatch.setattr(db.engine, "BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(tmp_path / "study.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        r = cli(capsys, monkeypatch, url, "--json", "visit", "book", "7", "baseline",
                dt.date.today().isoformat(), **CORA)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert r.code == 1 and "Traceback" not in r.err
    assert "stayed busy too long" in one_error(r.out)["error"]
    assert digest(url) == before
    r = cli(capsys, monkeypatch, url, "--json", "visit", "book", "7", "baseline",
            dt.date.today().isoformat(), **CORA)
    assert r.code == 0, r.out
