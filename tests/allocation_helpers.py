"""Shared set-up for the allocation, enrolment, code and emergency tests.

Each `generate` costs two scrypt derivations (~1.3 s) on purpose, so tests that
need a list make it once and check several things against it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from db.models import AuditEntry, Observation
from services import allocation, enrolment, participants
from services.context import Actor, App
from tests.conftest import make_study

PASSPHRASE = "test sealing passphrase"
EMERGENCY = "test emergency passphrase"
DISPENSING = "test dispensing passphrase"
REGISTERED = dt.date(2026, 1, 5)


def allocated_study(app: App, users: tuple[str, ...] = ("cora", "ivan", "stella")
                    ) -> dict[str, Actor]:
    """The reference study with its sealed list (the reference targets need confirming),
    made by the randomizer rita, with the pharmacist's dispensing copy."""
    actors = make_study(app, tuple(dict.fromkeys((*users, "rita"))))
    allocation.generate(app, actors["rita"], PASSPHRASE, EMERGENCY,
                        dispensing_passphrase=DISPENSING, confirm_unbalanced=True)
    return actors


def audit_count(app: App) -> int:
    """Audit entries other than sign-ins: a refused signature is a failed sign-in,
    recorded on purpose (services.accounts), while the refused change writes nothing."""
    with app.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry)
                        .where(AuditEntry.action.not_like("sign_in%"))) or 0


def register(app: App, cora: Actor, *numbers: int, stratum: str | None = None) -> None:
    for n in numbers:
        participants.add(app, cora, n, stratum=stratum, registered_on=REGISTERED)


def enrol_by_hand(app: App, cora: Actor, number: int, stratum: str = "NTNA+"
                  ) -> enrolment.EnrolmentResult:
    register(app, cora, number)
    return enrolment.enrol(app, cora, number, stratum=stratum, reason="from the scan report",
                           on=REGISTERED + dt.timedelta(days=10))


def record_baseline(app: App, actor: Actor, number: int, measure: str, value: float) -> None:
    """Stands in for a scan import: one baseline observation, audited like any write."""
    with app.write(actor, "observation.add") as s:
        pid = participants.load(s, app, number).id
        s.add(Observation(participant_id=pid, visit="baseline", measure=measure, value=value))
