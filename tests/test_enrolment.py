"""Enrolment through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from db.models import Participant, Visit
from services import enrolment, participants
from services.context import App
from services.errors import PermissionDenied, Refused
from tests.allocation_helpers import (
    REGISTERED,
    allocated_study,
    audit_count,
    enrol_by_hand,
    record_baseline,
    register,
)
from tests.conftest import make_study
from trialcore import codes

ENROLLED = REGISTERED + dt.timedelta(days=10)


def test_stratum_from_baseline_by_hand_or_from_registration(app: App) -> None:
    actors = allocated_study(app)
    cora = actors["cora"]
    register(app, cora, 1, 2)
    register(app, cora, 3, stratum="NTNA-")
    record_baseline(app, cora, 1, "amygdala_threat", 0.62)

    by_rule = enrolment.enrol(app, cora, "P001", on=ENROLLED)
    assert (by_rule.stratum, by_rule.stratum_source, by_rule.position) == ("NTNA+", "rule", 1)
    assert "amygdala_threat at baseline = 0.62 (threshold 0.5)" in by_rule.stratum_reason
    by_hand = enrolment.enrol(app, cora, 2, stratum="NTNA+", reason="scan report, import "
                              "pending", on=ENROLLED)
    assert (by_hand.stratum, by_hand.stratum_source, by_hand.position) == ("NTNA+", "manual", 2)
    registered = enrolment.enrol(app, cora, "sub-003", on=ENROLLED)
    assert (registered.stratum, registered.position) == ("NTNA-", 1)

    assert list(by_rule.codes) == ["dose1", "dose2", "dose3"]
    assert all(codes.is_well_formed(c) for c in by_rule.codes.values())
    assert not set(by_rule.codes.values()) & set(by_hand.codes.values())
    row = participants.get(app, cora, 1)
    assert (row.status, row.enrolled_on, row.stratum) == ("enrolled", ENROLLED, "NTNA+")
    with app.read() as s:
        dose1 = s.scalar(select(Visit).join(Participant).where(Visit.visit == "dose1",
                                                               Participant.number == 1))
    assert dose1.target_date == ENROLLED + dt.timedelta(days=7)


def test_bad_enrolments_are_refused_and_change_nothing(app: App) -> None:
    actors = allocated_study(app)
    cora = actors["cora"]
    enrol_by_hand(app, cora, 1)
    register(app, cora, 2, 3, 4)
    participants.withdraw(app, cora, 3, "moved away")
    record_baseline(app, cora, 4, "amygdala_threat", 0.1)
    before = audit_count(app)
    cases = [
        (dict(participant=1, stratum="NTNA+", reason="again"), "P001 is already enrolled"),
        (dict(participant=2, stratum="NTNA?", reason="typo"), "unknown stratum 'NTNA?'"),
        (dict(participant=2, stratum="NTNA+"), "a stratum entered by hand needs a reason"),
        (dict(participant=2), "P002 has no stratum: no baseline amygdala_threat"),
        (dict(participant=3, stratum="NTNA+", reason="x"), "P003 was withdrawn"),
        (dict(participant=4, stratum="NTNA+", reason="x"), "the protocol's rule gives NTNA-"),
        (dict(participant=2, stratum="NTNA+", reason="x", on=REGISTERED - dt.timedelta(1)),
         "before P002's registration"),
    ]
    for kwargs, message in cases:
        with pytest.raises(Refused, match=re.escape(message)):
            enrolment.enrol(app, cora, kwargs.pop("participant"), **kwargs)
    with pytest.raises(PermissionDenied, match="coordinator"):
        enrolment.enrol(app, actors["stella"], 2, stratum="NTNA+", reason="x")
    assert audit_count(app) == before
    assert participants.get(app, cora, 2).status == "registered"


def test_no_enrolment_before_the_list_exists(app: App) -> None:
    cora = make_study(app)["cora"]
    register(app, cora, 1, stratum="NTNA+")
    with pytest.raises(Refused, match="no allocation list yet"):
        enrolment.enrol(app, cora, 1)


def test_an_exhausted_stratum_is_refused_never_extended(app: App) -> None:
    actors = allocated_study(app)
    cora = actors["cora"]
    positions = [enrol_by_hand(app, cora, n).position for n in range(1, 13)]
    assert positions == list(range(1, 13))
    register(app, cora, 13)
    before = audit_count(app)
    with pytest.raises(Refused, match="stratum NTNA\\+ has no free slot: all 12 are used; "
                                      "the list is never extended"):
        enrolment.enrol(app, cora, 13, stratum="NTNA+", reason="scan report")
    assert audit_count(app) == before
    assert enrolment.enrol(app, cora, 13, stratum="NTNA-", reason="scan report").position == 1
