"""One participant's emergency envelope, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import AllocationSlot, AuditEntry, Participant, Unblinding
from services import allocation, participants, unblinding
from services.context import App
from services.errors import PermissionDenied, Refused
from services.study import stage
from tests.allocation_helpers import (
    EMERGENCY,
    PASSPHRASE,
    allocated_study,
    audit_count,
    enrol_by_hand,
    register,
)
from tests.conftest import PASSWORDS
from tests.tamper import behind_the_guards


def test_the_envelope_shows_one_participant_and_is_recorded(app: App) -> None:
    actors = allocated_study(app)
    ivan = actors["ivan"]
    given = enrol_by_hand(app, actors["cora"], 1).codes
    enrol_by_hand(app, actors["cora"], 2)
    opened = unblinding.emergency(app, ivan, "P001", "suspected serotonin syndrome",
                                  EMERGENCY, PASSWORDS["ivan"])
    key = allocation.open_key(app, PASSPHRASE).conditions
    assert [(v["visit"], v["code"]) for v in opened["visits"]] == list(given.items())
    assert all(v["condition"] == key[v["code"]] for v in opened["visits"])
    labels = {"PBO": ("Placebo", 0), "MDMA80": ("MDMA 80 mg", 80),
              "MDMA120": ("MDMA 120 mg", 120)}
    assert all((v["label"], v["dose_mg"]) == labels[v["condition"]] for v in opened["visits"])

    flags = {r.label: r.emergency_unblinded
             for r in participants.list_participants(app, actors["cora"])}
    assert flags == {"P001": True, "P002": False}
    with app.read() as s:
        record = s.scalar(select(Unblinding))
        entries = {e.entity: e for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "unblind.emergency"))}
    assert (record.kind, record.by, record.reason) == ("emergency", "ivan",
                                                       "suspected serotonin syndrome")
    assert "opened the emergency envelope of P001" in record.meaning
    assert set(entries) == {"participants", "unblindings"}
    flagged = entries["participants"]
    assert (flagged.actor, flagged.participant, flagged.reason) == (
        "ivan", "P001", "suspected serotonin syndrome")
    assert json.loads(flagged.after)["emergency_unblinded"] is True


def _last_entry(app: App) -> AuditEntry:
    with app.read() as s:
        return s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


def test_refusals_change_nothing_but_each_leaves_an_audit_entry(app: App) -> None:
    """The hostile test: an attempt with a wrong passphrase or password is a trace, not
    silence (it used to roll back with its transaction and leave none)."""
    actors = allocated_study(app)
    ivan, cora = actors["ivan"], actors["cora"]
    enrol_by_hand(app, cora, 1)
    register(app, cora, 2)
    before = audit_count(app)
    cases = [
        (ivan, 1, None, EMERGENCY, PASSWORDS["ivan"], "needs a reason"),
        (ivan, 1, "  ", EMERGENCY, PASSWORDS["ivan"], "needs a reason"),
        (cora, 1, "allergy", EMERGENCY, PASSWORDS["cora"], "is for investigator"),
        (ivan, 1, "allergy", EMERGENCY, "not-my-password", "wrong user name or password"),
        (ivan, 2, "allergy", EMERGENCY, PASSWORDS["ivan"], "P002 is not enrolled"),
        (ivan, 1, "allergy", PASSPHRASE, PASSWORDS["ivan"], "wrong emergency passphrase"),
    ]
    for actor, who, reason, phrase, password, message in cases:
        with pytest.raises(Refused, match=message):
            unblinding.emergency(app, actor, who, reason, phrase, password)
        entry = _last_entry(app)
        assert (entry.actor, entry.action, entry.entity, entry.participant) == (
            actor.name, "unblind.emergency.refused", "key_access", f"P00{who}")
        assert entry.reason == (reason.strip() or None if reason else None)
        assert message in json.loads(entry.after)["refused"]
    assert audit_count(app) == before + len(cases)
    with app.read() as s:
        assert s.scalar(select(Unblinding)) is None
    assert not participants.get(app, cora, 1).emergency_unblinded


def test_whole_study_unblinding_waits_for_the_lock(app: App) -> None:
    allocated = allocated_study(app)
    before = audit_count(app)
    with pytest.raises(Refused, match="the study is running: the whole study can be "
                                      "unblinded only after it is locked"):
        unblinding.unblind_study(app, allocated["stella"], "analysis", PASSPHRASE,
                                 PASSWORDS["stella"])
    with pytest.raises(PermissionDenied):
        unblinding.emergency(app, allocated["stella"], 1, "x", EMERGENCY, "x")
    assert stage(app) == "running"
    with app.read() as s:  # each refusal is recorded as one, and nothing else is written
        written = [a for (a,) in s.execute(select(AuditEntry.action)
                                           .order_by(AuditEntry.seq).offset(before))]
    assert written and all(a.endswith(".refused") for a in written)


def test_a_swapped_envelope_names_whose_it_is(app: App) -> None:
    """P002's envelope copied over P001's with raw SQL: it opens, but as P002's slot, so
    the message names the swap instead of blaming the passphrase; nothing is shown."""
    actors = allocated_study(app)
    ivan, cora = actors["ivan"], actors["cora"]
    enrol_by_hand(app, cora, 1)
    enrol_by_hand(app, cora, 2)
    with app.read() as s:
        slot = dict(s.execute(select(Participant.label, AllocationSlot.id)
                              .join(AllocationSlot,
                                    AllocationSlot.participant_id == Participant.id)).all())
    behind_the_guards(app, "sealed_keys",
                      f"UPDATE sealed_keys SET box = (SELECT box FROM sealed_keys WHERE "
                      f"slot_id = {slot['P002']}) WHERE slot_id = {slot['P001']}")
    before = audit_count(app)
    with pytest.raises(Refused) as refused:
        unblinding.emergency(app, ivan, "P001", "rash", EMERGENCY, PASSWORDS["ivan"])
    assert refused.value.message == (
        "the envelope stored for P001 belongs to P002: envelopes were swapped outside "
        "TrialDesk; nothing was shown (the attempt is in the audit trail)")
    with pytest.raises(Refused, match="wrong emergency passphrase"):
        unblinding.emergency(app, ivan, "P001", "rash", "not the passphrase",
                             PASSWORDS["ivan"])
    # each refused opening leaves its own entry, naming the cause; nothing else is written
    with app.read() as s:
        refusals = s.execute(select(AuditEntry.action, AuditEntry.after)
                             .order_by(AuditEntry.seq).offset(before)).all()
    assert [a for a, _ in refusals] == ["unblind.emergency.refused"] * 2
    assert "belongs to P002" in json.dumps(refusals[0][1])
    assert "wrong emergency passphrase" in json.dumps(refusals[1][1])
