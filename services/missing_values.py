"""`values missing`: what done visits still lack, per participant, visit and measure.

Every measure of the protocol is expected at every done visit (the protocol names no
per-visit measures): a scan measure without a value is missing; a scale without a
score is missing, with its unanswered items named, since entering those (or enough of
them: min_answered) is how the score arrives.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import Observation, Participant, ResponseSet, Visit
from services.context import Actor, App, require
from services.participants import number_of
from trialcore.response_sets import decode


def missing(app: App, actor: Actor, participant: object | None = None,
            measure: str | None = None) -> list[dict[str, Any]]:
    """One row per done visit and measure without a value: participant, visit, measure,
    kind, and for a scale the items not answered."""
    require(actor, "study.read")
    measures = [m for m in app.protocol.measures if measure is None or m.name == measure]
    done = select(Participant.id, Participant.label, Visit.visit).join(
        Visit, Visit.participant_id == Participant.id).where(Visit.status == "done") \
        .order_by(Participant.number, Visit.id)
    if participant is not None:
        done = done.where(Participant.number == number_of(app, participant))
    with app.read() as s:
        visits = s.execute(done).all()
        have = {(p, v, m) for p, v, m in s.execute(
            select(Observation.participant_id, Observation.visit, Observation.measure)
            .where(Observation.value.is_not(None)))}
        answered = {(p, v): {i for i, (x, _) in decode(text).items() if x is not None}
                    for p, v, text in s.execute(select(ResponseSet.participant_id,
                                                       ResponseSet.visit,
                                                       ResponseSet.answers))}
    out = []
    for pid, label, visit in visits:
        for m in measures:
            if (pid, visit, m.name) in have:
                continue
            items = [i for i in m.items if i not in answered.get((pid, visit), set())]
            out.append({"participant": label, "visit": visit, "measure": m.name,
                        "kind": m.kind, "unanswered_items": items})
    return out
