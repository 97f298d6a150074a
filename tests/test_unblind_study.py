"""Whole-study unblinding: statistician, after lock, passphrase and signature, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db.models import (
    AllocationSlot,
    AuditEntry,
    DoseCode,
    Participant,
    RevealedCondition,
    Unblinding,
)
from services import allocation, audit_trail, lock, unblinding
from services.context import Actor, App
from services.errors import PermissionDenied, Refused
from tests.cli_helpers import cli
from tests.lock_helpers import ACTORS, PASSPHRASE, password, ready_app, state

MEANING = "I approve the unblinding of this locked study"


@pytest.fixture
def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Overrides conftest's empty database: a study ready to lock."""
    application = ready_app(db_url, tmp_path_factory)
    yield application
    application.close()


def _lock(app: App) -> None:
    lock.lock(app, ACTORS["ivan"], "final", password(ACTORS["ivan"]))


def test_unblinding_reveals_every_dosing_visit_and_is_recorded(app: App) -> None:
    stella = ACTORS["stella"]
    _lock(app)
    done = unblinding.unblind_study(app, stella, "statistical analysis plan signed",
                                    PASSPHRASE, password(stella))
    assert (done["stage"], done["unblinded_by"], done["meaning"]) == (
        "unblinded", "stella", MEANING)
    assert (done["participants"], done["visits"]) == (3, 9)
    key = allocation.open_key(app, PASSPHRASE).conditions
    with app.read() as s:
        revealed = s.execute(
            select(Participant.label, RevealedCondition.visit, RevealedCondition.period,
                   RevealedCondition.condition, DoseCode.code)
            .join(Participant, Participant.id == RevealedCondition.participant_id)
            .join(AllocationSlot, AllocationSlot.participant_id == Participant.id)
            .join(DoseCode, (DoseCode.slot_id == AllocationSlot.id)
                  & (DoseCode.visit == RevealedCondition.visit))).all()
        record = s.scalar(select(Unblinding).where(Unblinding.kind == "study"))
    assert len(revealed) == 9
    assert all(condition == key[code] for *_, condition, code in revealed)
    periods = {(label, visit): period for label, visit, period, *_ in revealed}
    assert [periods["P001", v] for v in ("dose1", "dose2", "dose3")] == [1, 2, 3]
    for label in ("P001", "P002", "P003"):  # a crossover: each condition once per person
        assert sorted(c for lab, _, _, c, _ in revealed if lab == label) == [
            "MDMA120", "MDMA80", "PBO"]
    assert (record.by, record.reason, record.meaning) == (
        "stella", "statistical analysis plan signed", MEANING)
    assert audit_trail.verify(app, stella).ok
    entries = audit_trail.entries(app, stella, audit_trail.AuditFilter(action="unblind.study"))
    assert {e["entity"] for e in entries} == {"unblindings", "revealed_conditions", "study"}


def _unchanged(app: App) -> tuple[object, ...]:
    """Stage and lock/unblinding rows; the audit head moves with each refusal's entry."""
    stage, _, counts = state(app)
    return stage, counts


def _last_entry(app: App) -> AuditEntry:
    with app.read() as s:
        return s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


def test_bad_unblinding_attempts_are_refused_change_nothing_and_are_audited(app: App) -> None:
    stella, ivan = ACTORS["stella"], ACTORS["ivan"]
    before = _unchanged(app)
    with pytest.raises(Refused, match=r"the study is running: .* only after it is locked"):
        unblinding.unblind_study(app, stella, "too early", PASSPHRASE, password(stella))
    assert _unchanged(app) == before
    _lock(app)
    before = _unchanged(app)
    attempts: list[tuple[Actor, str, str, str, type[Refused], str]] = [
        (stella, "analysis", "wrong passphrase!", password(stella), Refused,
         "wrong sealing passphrase"),
        (stella, "analysis", PASSPHRASE, "not-her-password", Refused,
         "wrong user name or password"),
        (stella, " ", PASSPHRASE, password(stella), Refused, "needs a reason"),
        (ivan, "analysis", PASSPHRASE, password(ivan), PermissionDenied,
         "study.unblind is for statistician"),
        (ACTORS["cora"], "analysis", PASSPHRASE, password(ACTORS["cora"]), PermissionDenied,
         "statistician"),
        (ACTORS["phil"], "analysis", PASSPHRASE, password(ACTORS["phil"]), PermissionDenied,
         "statistician"),
        # the randomizer holds the passphrase but does not unblind alone
        (ACTORS["rita"], "analysis", PASSPHRASE, password(ACTORS["rita"]), PermissionDenied,
         "statistician"),
    ]
    for actor, reason, passphrase, secret, error, match in attempts:
        with pytest.raises(error, match=match):
            unblinding.unblind_study(app, actor, reason, passphrase, secret)
        assert _unchanged(app) == before
        entry = _last_entry(app)
        assert (entry.actor, entry.action, entry.entity) == (
            actor.name, "unblind.study.refused", "key_access")
        assert entry.reason == (reason.strip() or None)


def test_a_second_unblinding_is_refused(app: App) -> None:
    stella = ACTORS["stella"]
    _lock(app)
    unblinding.unblind_study(app, stella, "analysis", PASSPHRASE, password(stella))
    before = _unchanged(app)
    with pytest.raises(Refused, match=r"already unblinded by stella on .* UTC"):
        unblinding.unblind_study(app, stella, "again", PASSPHRASE, password(stella))
    assert _unchanged(app) == before
    assert (_last_entry(app).action, _last_entry(app).reason) == ("unblind.study.refused",
                                                                  "again")


def test_unblind_on_the_command_line(app: App, db_url: str, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {"TRIALDESK_PASSPHRASE": PASSPHRASE,
               "TRIALDESK_SIGNATURE_PASSWORD": password(ACTORS["stella"])}
    r = cli(capsys, monkeypatch, db_url, "--json", "unblind", "--reason", "analysis",
            user="stella", password=password(ACTORS["stella"]), **secrets)
    assert r.code == 1 and "only after it is locked" in r.json["error"]
    r = cli(capsys, monkeypatch, db_url, "lock", "--reason", "final", user="ivan",
            password=password(ACTORS["ivan"]),
            TRIALDESK_SIGNATURE_PASSWORD=password(ACTORS["ivan"]))
    assert r.code == 0 and "Study locked" in r.out
    r = cli(capsys, monkeypatch, db_url, "--json", "unblind", "--reason", "analysis",
            user="stella", password=password(ACTORS["stella"]),
            **{**secrets, "TRIALDESK_PASSPHRASE": "wrong passphrase!"})
    assert r.code == 1 and "wrong sealing passphrase" in r.json["error"]
    r = cli(capsys, monkeypatch, db_url, "--json", "unblind", "--reason", "analysis",
            user="stella", password=password(ACTORS["stella"]), **secrets)
    assert r.code == 0 and r.json["stage"] == "unblinded" and r.json["visits"] == 9
    r = cli(capsys, monkeypatch, db_url, "unblind", "--reason", "again", user="stella",
            password=password(ACTORS["stella"]), **secrets)
    assert r.code == 1 and "already unblinded" in r.err
