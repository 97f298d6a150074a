"""One participant's emergency envelope, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.models import AuditEntry, Unblinding
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


def test_refusals_write_nothing(app: App) -> None:
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
    assert audit_count(app) == before
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
    assert audit_count(app) == before and stage(app) == "running"
