"""Checking a typed kit code against the participant and visit it is given at.

The answer is one of three words a coordinator can act on: ``ok``, ``mistyped``
(the check character fails: re-read the label) or ``wrong kit`` (a well-formed
code that is not this participant's code for this visit: fetch another kit).
A code that is not even well-formed (wrong length, a character outside the
alphabet) is refused with the problem named, so it is fixed before any answer.
No answer or message ever says which condition a code stands for.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AllocationSlot, DoseCode, Participant
from services.context import Actor, App, require
from services.errors import Refused
from services.participants import load
from trialcore import codes

CodeResult = Literal["ok", "mistyped", "wrong kit"]

MESSAGES: dict[str, str] = {
    "ok": "ok: this is the kit for {label} at {visit}",
    "mistyped": "mistyped: the check character does not match; re-read the kit label "
                "and type it again",
    "wrong kit": "wrong kit: {code} is not the kit for {label} at {visit}; do not give it",
}


def code_result(session: Session, participant_id: int, visit: str, typed: str) -> CodeResult:
    """Compare a typed code with the participant's code for this visit.

    Raises Refused for a malformed code or a participant without dose codes.
    """
    problem = codes.validate(typed)
    if problem is not None and problem.kind != "check":
        raise Refused(f"dose code {typed!r}: {problem.message}")
    if problem is not None:
        return "mistyped"
    expected = session.scalar(
        select(DoseCode.code).join(AllocationSlot, DoseCode.slot_id == AllocationSlot.id)
        .where(AllocationSlot.participant_id == participant_id, DoseCode.visit == visit)
    )
    if expected is None:
        owner = session.get(Participant, participant_id)
        who = owner.label if owner is not None else f"participant {participant_id}"
        raise Refused(f"{who} has no dose code for {visit}: not enrolled yet")
    return "ok" if codes.normalize(expected) == codes.normalize(typed) else "wrong kit"


def check(app: App, actor: Actor, participant: object, visit: str,
          typed: str) -> dict[str, str]:
    """The coordinator's kit check at the bedside: a result and a plain message."""
    require(actor, "codes.check")
    spec = app.protocol.visit(visit)
    if spec is None:
        known = ", ".join(v.id for v in app.protocol.visits)
        raise Refused(f"unknown visit {visit!r}; visits are {known}")
    if not spec.dosing:
        raise Refused(f"{visit} is not a dosing visit: no kit is given there")
    with app.read() as s:
        p = load(s, app, participant)
        result = code_result(s, p.id, visit, typed)
        message = MESSAGES[result].format(label=p.label, visit=spec.label,  # as screens say
                                          code=codes.format_code(typed))
    return {"result": result, "message": message}
