"""A demo-like study for import tests: registered participants whose baseline visit is done."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import func, select

from db.models import AuditEntry, ImportRecord, Observation, Participant, ResponseSet
from services import audit_trail, participants, visits
from services.context import Actor, App
from tests.conftest import make_study
from trialcore.response_sets import decode


def today() -> dt.date:
    return dt.date.today()  # at use: a run may cross midnight


def registered() -> dt.date:
    return today() - dt.timedelta(days=30)

# The real MRIQC group table, read where the project keeps it (beside the repository),
# never copied into it.
MRIQC = next((p / "shared" / "data" / "real" / "mriqc_group_bold.tsv"
              for p in Path(__file__).resolve().parents
              if (p / "shared" / "data" / "real").is_dir()),
             Path("shared", "data", "real", "mriqc_group_bold.tsv"))


def baseline_study(app: App, numbers: Iterable[int] = range(1, 17),
                   done: Iterable[int] | None = None) -> dict[str, Actor]:
    """The reference study; `numbers` registered a month ago, baseline logged as done for
    `done` (default: all of them)."""
    actors = make_study(app, ("cora", "ivan", "stella"))
    numbers = list(numbers)
    for n in numbers:
        participants.add(app, actors["cora"], n, registered_on=registered())
    for n in numbers if done is None else done:
        visits.log(app, actors["cora"], n, "baseline", date=registered() + dt.timedelta(days=1))
    return actors


def counts(app: App) -> dict[str, int]:
    """Rows in every table an import writes, the stored item answers (item_responses) and
    the audit trail's length."""
    with app.read() as s:
        out = {model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
               for model in (Observation, ResponseSet, ImportRecord, AuditEntry)}
    out["item_responses"] = len(answers(app))
    return out


def stored(app: App) -> dict[tuple[str, str, str], float]:
    """(participant label, visit, measure) -> value."""
    with app.read() as s:
        rows = s.execute(select(Participant.label, Observation.visit, Observation.measure,
                                Observation.value)
                         .join(Participant, Participant.id == Observation.participant_id)).all()
    return {(p, v, t): x for p, v, t, x in rows}


def answers(app: App) -> dict[tuple[str, str, str], float | None]:
    """(participant label, visit, item) -> the stored answer."""
    with app.read() as s:
        rows = s.execute(select(Participant.label, ResponseSet.visit, ResponseSet.answers)
                         .join(Participant, Participant.id == ResponseSet.participant_id)).all()
    return {(p, v, item): value for p, v, text in rows
            for item, (value, _source) in decode(text).items()}


def verified(app: App, actor: Actor) -> bool:
    result = audit_trail.verify(app, actor)
    assert result.ok, result.problems
    return True
