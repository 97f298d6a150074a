"""A demo-like study for import tests: registered participants whose baseline visit is done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select

from db.models import AuditEntry, ImportRecord, ItemResponse, Observation
from services import audit_trail, participants, visits
from services.context import Actor, App
from tests.conftest import make_study

TODAY = dt.date.today()
# The real MRIQC group table, read where the project keeps it (beside the repository),
# never copied into it.
MRIQC = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / "mriqc_group_bold.tsv"
REGISTERED = TODAY - dt.timedelta(days=30)


def baseline_study(app: App, numbers: Iterable[int] = range(1, 17),
                   done: Iterable[int] | None = None) -> dict[str, Actor]:
    """The reference study; `numbers` registered a month ago, baseline logged as done for
    `done` (default: all of them)."""
    actors = make_study(app, ("cora", "ivan", "stella"))
    numbers = list(numbers)
    for n in numbers:
        participants.add(app, actors["cora"], n, registered_on=REGISTERED)
    for n in numbers if done is None else done:
        visits.log(app, actors["cora"], n, "baseline", date=REGISTERED + dt.timedelta(days=1))
    return actors


def counts(app: App) -> dict[str, int]:
    """Rows in every table an import writes, and the audit trail's length."""
    with app.read() as s:
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
                for model in (Observation, ItemResponse, ImportRecord, AuditEntry)}


def stored(app: App, model: type = Observation) -> dict[tuple[str, str, str], float]:
    """(participant label, visit, measure or item) -> value."""
    from db.models import Participant

    target = model.measure if model is Observation else model.item  # type: ignore[attr-defined]
    with app.read() as s:
        rows = s.execute(select(Participant.label, model.visit, target, model.value)  # type: ignore[attr-defined]
                         .join(Participant, Participant.id == model.participant_id)).all()  # type: ignore[attr-defined]
    return {(p, v, t): x for p, v, t, x in rows}


def verified(app: App, actor: Actor) -> bool:
    result = audit_trail.verify(app, actor)
    assert result.ok, result.problems
    return True
