"""The study lock in the service layer: checklist, signature, unlock; SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db.audit import head_hash
from db.models import Study, Visit
from importers.mapping import Mapping
from services import (
    adverse_events,
    allocation,
    audit_trail,
    enrolment,
    imports,
    lock,
    participants,
    unblinding,
    visits,
)
from services.canonical_export import data_digest
from services.context import Actor, App
from services.errors import PermissionDenied, Refused
from tests.cli_helpers import cli
from tests.lock_helpers import (
    ACTORS,
    PASSPHRASE,
    REG,
    TODAY,
    enrol,
    password,
    ready_app,
    state,
)
from tests.tamper import rewrite_audit_log


@pytest.fixture
def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Overrides conftest's empty database: a study ready to lock."""
    application = ready_app(db_url, tmp_path_factory)
    yield application
    application.close()


@pytest.fixture
def ready(app: App) -> dict[str, Actor]:
    return ACTORS


def _stage(app: App) -> str:
    with app.read() as s:
        return s.scalar(select(Study.stage))


def test_a_complete_study_passes_the_checklist_and_is_locked_with_a_signed_record(
        app: App, ready: dict[str, Actor]) -> None:
    ivan = ready["ivan"]
    items = lock.checklist(app, ivan)
    assert [(i.key, i.ok, i.warning) for i in items] == [
        ("visits", True, False), ("deviations", True, False), ("imports", True, False),
        ("queries", True, False), ("double_entry", True, False), ("audit", True, False),
        ("emergency", True, False), ("values_on_unresolved_visits", True, False)]
    assert items[6].note == "no emergency envelope was opened"
    assert "none can be left waiting" in items[2].note
    with app.read() as s:
        digest, head = data_digest(s), head_hash(s)
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    record = lock.lock(app, ivan, "all visits done, all data in", password(ivan))
    assert (record.signer, record.meaning, record.reason) == (
        "ivan", "I approve the lock of this study", "all visits done, all data in")
    assert (record.data_digest, record.audit_head) == (digest, head)
    assert before <= record.locked_at <= dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert _stage(app) == "locked"
    cert = lock.certificate(app, ready["cora"])
    assert cert is not None and cert["data_unchanged"] and cert["active"]
    assert cert["locked_at"].endswith("Z")
    assert audit_trail.verify(app, ivan).ok


def test_every_open_item_is_listed_and_locking_refused(app: App,
                                                       ready: dict[str, Actor]) -> None:
    cora, ivan = ready["cora"], ready["ivan"]
    enrol(app, cora, 4, "NTNA-")  # four visits still scheduled
    with app.write(cora, "visit.fix", "legacy data") as s:  # as an old import left them
        v = s.scalar(select(Visit).join(Visit.participant).where(Visit.visit == "dose2")
                     .where(Visit.participant.has(label="P001")))
        v.deviation_days, v.deviation_reason = 2, None
        missed = s.scalar(select(Visit).join(Visit.participant).where(Visit.visit == "dose3")
                          .where(Visit.participant.has(label="P002")))
        missed.status, missed.reason = "missed", ""
    rewrite_audit_log(app, "UPDATE audit_log SET reason = 'edited' WHERE seq = 2")
    items = {i.key: i for i in lock.checklist(app, ivan)}
    assert not items["visits"].ok and not items["deviations"].ok and not items["audit"].ok
    assert [p.record for p in items["visits"].problems] == [
        "P002/dose3", "P004/baseline", "P004/dose1", "P004/dose2", "P004/dose3"]
    assert "missed without a reason" in items["visits"].problems[0].message
    assert "still scheduled" in items["visits"].problems[1].message
    assert [(p.record, p.participant, p.visit) for p in items["deviations"].problems] == [
        ("P001/dose2", "P001", "dose2")]
    assert "audit entry 2" in items["audit"].problems[0].message
    before = state(app)
    with pytest.raises(Refused, match="7 open item") as refused:
        lock.lock(app, ivan, "ready?", password(ivan))
    assert [d["key"] for d in refused.value.details] == [
        "P002/dose3", "P004/baseline", "P004/dose1", "P004/dose2", "P004/dose3", "P001/dose2",
        "audit trail"]
    assert state(app) == before


def test_bad_signatures_are_refused_and_write_nothing(app: App,
                                                     ready: dict[str, Actor]) -> None:
    before = state(app)
    for who, secret, reason, error, match in [
        ("ivan", "not-my-password", "final", Refused, "wrong user name or password"),
        ("ivan", None, "  ", Refused, "needs a reason"),
        ("cora", None, "final", PermissionDenied, "study.lock is for investigator"),
        ("stella", None, "final", PermissionDenied, "investigator"),
    ]:
        actor = ready[who]
        with pytest.raises(error, match=match):
            lock.lock(app, actor, reason, secret or password(actor))
        assert state(app) == before


def test_after_lock_every_write_service_refuses(app: App, ready: dict[str, Actor]) -> None:
    cora, ivan = ready["cora"], ready["ivan"]
    lock.lock(app, ivan, "final", password(ivan))
    before = state(app)
    writes = [
        lambda: participants.add(app, cora, 9, stratum="NTNA+", registered_on=REG),
        lambda: participants.edit(app, cora, 1, {"notes": "x"}, "typo"),
        lambda: participants.withdraw(app, cora, 1, "moved"),
        lambda: enrolment.enrol(app, cora, 1, on=REG),
        lambda: visits.book(app, cora, 1, "dose1", REG, today=TODAY),
        lambda: visits.log(app, cora, 1, "dose1", date=REG, status="missed", reason="ill",
                           today=TODAY),
        lambda: imports.commit(app, cora, imports.ImportOptions("scans", "late.csv")),
        lambda: imports.save_profile(app, cora, "scanner", "scans", Mapping()),
        lambda: allocation.preflight(app, ACTORS["rita"], replace=True, reason="new"),
    ]
    for write in writes:
        with pytest.raises(Refused, match="the study is locked"):
            write()
    assert state(app) == before
    # an emergency attempt after lock is refused too, and as an attempt to open the key
    # it leaves its audit entry (in a transaction of its own) and nothing else
    with pytest.raises(Refused, match="the study is locked"):
        unblinding.emergency(app, ivan, 1, "allergy", "test emergency passphrase",
                             password(ivan))
    stage, _, counts = state(app)
    assert (stage, counts) == (before[0], before[2])
    with pytest.raises(Refused, match="only a running study can be locked"):
        lock.lock(app, ivan, "again", password(ivan))


def test_unlocking_voids_the_signature_and_reopens_the_study(
        app: App, ready: dict[str, Actor]) -> None:
    cora, ivan = ready["cora"], ready["ivan"]
    first = lock.lock(app, ivan, "final", password(ivan))
    with pytest.raises(Refused, match="wrong user name or password"):
        lock.unlock(app, ivan, "query from monitor", "wrong")
    with pytest.raises(PermissionDenied):
        lock.unlock(app, cora, "query from monitor", password(cora))
    voided = lock.unlock(app, ivan, "query from monitor on P002", password(ivan))
    assert (voided.signer, voided.locked_at, voided.data_digest) == (
        first.signer, first.locked_at, first.data_digest)
    assert (voided.voided_by, voided.void_reason, voided.active) == (
        "ivan", "query from monitor on P002", False)
    assert _stage(app) == "running" and lock.certificate(app, ivan) is None
    participants.edit(app, cora, 2, {"notes": "query answered"}, "monitor query")
    with pytest.raises(Refused, match="there is no lock to undo"):
        lock.unlock(app, ivan, "again", password(ivan))
    again = lock.lock(app, ivan, "final, after the query", password(ivan))
    assert again.data_digest != first.data_digest
    assert [r.active for r in lock.history(app, ivan)] == [True, False]
    unlocked = audit_trail.entries(app, ivan, audit_trail.AuditFilter(action="study.unlock"))
    assert {(e["entity"], e["actor"], e["reason"]) for e in unlocked} == {
        ("study_locks", "ivan", "query from monitor on P002"),
        ("study", "ivan", "query from monitor on P002")}
    assert audit_trail.verify(app, ivan).ok


def test_an_unblinded_study_cannot_be_unlocked(app: App, ready: dict[str, Actor]) -> None:
    ivan, stella = ready["ivan"], ready["stella"]
    lock.lock(app, ivan, "final", password(ivan))
    unblinding.unblind_study(app, stella, "final analysis", PASSPHRASE, password(stella))
    before = state(app)
    with pytest.raises(Refused, match="unblinded: it can never be unlocked"):
        lock.unlock(app, ivan, "one more change", password(ivan))
    assert state(app) == before
    cert = lock.certificate(app, stella)
    assert cert is not None and cert["data_unchanged"]  # unblinding adds no study data


def test_lock_and_unlock_on_the_command_line(app: App, db_url: str,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ivan = password(ACTORS["ivan"])
    r = cli(capsys, monkeypatch, db_url, "--json", "lock", "--check", user="cora",
            password=password(ACTORS["cora"]))
    assert r.code == 0 and r.json["ready"] is True and len(r.json["items"]) == 8
    before = state(app)
    r = cli(capsys, monkeypatch, db_url, "lock", "--reason", "final", user="ivan",
            password=ivan)
    assert r.code == 1 and "TRIALDESK_SIGNATURE_PASSWORD" in r.err
    r = cli(capsys, monkeypatch, db_url, "lock", "--reason", "final", user="ivan",
            password=ivan, TRIALDESK_SIGNATURE_PASSWORD=ivan)
    assert r.code == 0 and "I approve the lock of this study" in r.out
    r = cli(capsys, monkeypatch, db_url, "--json", "lock", "--show", user="stella",
            password=password(ACTORS["stella"]))
    assert r.json["locked"] is True and r.json["data_unchanged"] is True
    assert r.json["audit_head_in_trail"] is True and r.json["audit_entries"] > 10
    assert r.json["signer"] == "ivan" and r.json["reason"] == "final"
    r = cli(capsys, monkeypatch, db_url, "--json", "unlock", "--reason", "query", user="cora",
            password=password(ACTORS["cora"]),
            TRIALDESK_SIGNATURE_PASSWORD=password(ACTORS["cora"]))
    assert r.code == 1 and "investigator" in r.json["error"]
    r = cli(capsys, monkeypatch, db_url, "--json", "unlock", "--reason", "query", user="ivan",
            password=ivan, TRIALDESK_SIGNATURE_PASSWORD=ivan)
    assert r.code == 0 and r.json["active"] is False and r.json["void_reason"] == "query"
    assert state(app)[0] == before[0] == "running"
    r = cli(capsys, monkeypatch, db_url, "--json", "lock", "--show", user="ivan",
            password=ivan)
    assert r.json["locked"] is False
    assert [(v["signer"], v["voided_by"], v["void_reason"]) for v in r.json["voided"]] == [
        ("ivan", "ivan", "query")]
    r = cli(capsys, monkeypatch, db_url, "lock", user="ivan", password=ivan)
    assert r.code == 2


def test_a_lock_signed_before_adverse_events_were_exported_still_checks(
        app: App, db_url: str, ready: dict[str, Actor], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A release before adverse events were in the canonical export signed the export
    without them: the certificate still finds the data unchanged, and says the signature
    does not cover the adverse events; a change to the other data still shows."""
    cora, ivan = ready["cora"], ready["ivan"]
    adverse_events.add(app, cora, 1, term="headache", onset=dt.date(2026, 3, 1),
                       severity="mild", serious="no", related="possible")
    with app.read() as s:
        old_form, new_form = data_digest(s, adverse_events=False), data_digest(s)
    assert old_form != new_form
    with monkeypatch.context() as m:  # the lock as that release computed its digest
        m.setattr(lock, "data_digest", lambda s: data_digest(s, adverse_events=False))
        lock.lock(app, ivan, "all data in", password(ivan))
    cert = lock.certificate(app, cora)
    assert cert is not None and cert["data_unchanged"] and not cert["covers_adverse_events"]
    r = cli(capsys, monkeypatch, db_url, "lock", "--show", user="cora",
            password=password(cora))
    assert r.code == 0 and "does not cover them" in r.out


def test_a_lock_signed_with_adverse_events_covers_them(app: App,
                                                       ready: dict[str, Actor]) -> None:
    cora, ivan = ready["cora"], ready["ivan"]
    adverse_events.add(app, cora, 1, term="headache", onset=dt.date(2026, 3, 1),
                       severity="mild", serious="no", related="possible")
    lock.lock(app, ivan, "all data in", password(ivan))
    cert = lock.certificate(app, cora)
    assert cert is not None and cert["data_unchanged"] and cert["covers_adverse_events"]
