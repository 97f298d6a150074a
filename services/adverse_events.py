"""Adverse events: reported by the coordinator or investigator, read by the monitor too.

A serious event's result says whether emergency unblinding may be needed and how:
the investigator opens that participant's emergency envelope (`unblind emergency`),
which reveals one participant's condition and nobody else's. The by-condition table
(`ae table`) exists only after the whole study is unblinded: before that, no role
may see events counted by condition.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from sqlalchemy import select

from db.models import AdverseEvent, Participant, RevealedCondition, utcnow
from services.context import Actor, App, need_reason, require
from services.errors import NotFound, Refused
from services.lifecycle import require_open
from services.participants import load, number_of
from services.study import stage
from services.visits import as_date, visit_spec
from trialcore.protocol import Protocol

SEVERITIES = ("mild", "moderate", "severe")
RELATEDNESS = ("unrelated", "unlikely", "possible", "probable", "definite")
FIELDS = ("term", "onset", "severity", "serious", "related", "visit", "resolved", "outcome",
          "action")
EMERGENCY_HINT = ("serious adverse event: if treating it needs to know what {label} received, "
                  "the investigator may open {label}'s emergency envelope "
                  "(Randomization tab → Emergency envelope… in the window, or `unblind "
                  "emergency {label} --reason R`); it reveals this participant only, and is "
                  "audited")


@dataclass(frozen=True)
class AeRow:
    id: int
    participant: str
    term: str
    onset: str
    severity: str
    serious: bool
    related: str
    visit: str | None
    resolved: str | None
    outcome: str | None
    action: str | None
    reported_by: str
    term_code: str | None = None
    dictionary: str | None = None
    emergency: str | None = None
    visit_label: str | None = None  # what the screens show: the protocol's name of the visit

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


OPENED_HINT = ("serious adverse event: {label}'s emergency envelope has been opened already; "
               "the investigator who opened it knows what {label} received")


def _emergency(serious: bool, label: str, unblinded: bool) -> str | None:
    """What a serious event means for the blind: how to unblind this participant, if
    treating the event needs it, or that it was done already."""
    if not serious:
        return None
    return (OPENED_HINT if unblinded else EMERGENCY_HINT).format(label=label)


# What an AeRow is made of, in AeRow's order, then whether the participant's envelope was
# opened: the list reads these plain columns (ORM objects took 0.5 s for 3,400 events).
LISTED = (AdverseEvent.id, Participant.label, AdverseEvent.term, AdverseEvent.onset,
          AdverseEvent.severity, AdverseEvent.serious, AdverseEvent.related, AdverseEvent.visit,
          AdverseEvent.resolved, AdverseEvent.outcome, AdverseEvent.action,
          AdverseEvent.reported_by, AdverseEvent.term_code, AdverseEvent.dictionary,
          Participant.emergency_unblinded)


def _made(values: Sequence[Any], visit_label: Callable[[str], str]) -> AeRow:
    """An AeRow from LISTED's values."""
    (number, label, term, onset, severity, serious, related, visit, resolved, outcome, action,
     reported_by, term_code, dictionary, unblinded) = values
    return AeRow(number, label, term, onset.isoformat(), severity, serious, related, visit,
                 resolved.isoformat() if resolved else None, outcome, action, reported_by,
                 term_code, dictionary, _emergency(serious, label, unblinded),
                 visit_label(visit) if visit else None)


def _row(ae: AdverseEvent, protocol: Protocol) -> AeRow:
    return _made([getattr(ae.participant if c.class_ is Participant else ae, c.key)
                  for c in LISTED], protocol.visit_label)


def _choice(value: object, choices: tuple[str, ...], field: str) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise Refused(f"{field} {value!r}: choose one of {', '.join(choices)}",
                      fields=(field,))
    return text


def _yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text not in ("yes", "no"):
        raise Refused(f"serious {value!r}: answer yes or no", fields=("serious",))
    return text == "yes"


def _clean(app: App, fields: dict[str, Any]) -> dict[str, Any]:
    """Checked values for the given fields (a refusal names the field)."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in FIELDS:
            raise Refused(f"unknown adverse event field {key!r}")
        if value is None:
            continue
        if key == "term":
            if not str(value).strip():
                raise Refused("the term is empty: describe the event", fields=("term",))
            out[key] = str(value).strip()[:300]
        elif key in ("onset", "resolved"):
            try:
                out[key] = as_date(value, key)
            except Refused as exc:  # about this field: the front end names it its way
                raise Refused(exc.message, fields=(key,)) from exc
        elif key == "severity":
            out[key] = _choice(value, SEVERITIES, "severity")
        elif key == "related":
            out[key] = _choice(value, RELATEDNESS, "related")
        elif key == "serious":
            out[key] = _yes_no(value)
        elif key == "visit":
            out[key] = visit_spec(app.protocol, str(value)).id
        else:
            out[key] = str(value).strip() or None
    return out


def _dates(values: dict[str, Any]) -> None:
    onset, resolved = values.get("onset"), values.get("resolved")
    if onset and onset > dt.date.today():
        raise Refused(f"onset {onset}: an adverse event cannot start in the future",
                      fields=("onset",))
    if onset and resolved and resolved < onset:
        raise Refused(f"resolved {resolved} is before the onset {onset}",
                      fields=("resolved", "onset"))


def add(app: App, actor: Actor, participant: object, **fields: Any) -> AeRow:
    """Report an adverse event; term, onset, severity, serious and related are required."""
    require(actor, "ae.write")
    require_open(app)
    values = _clean(app, fields)
    missing = tuple(k for k in ("term", "onset", "severity", "serious", "related")
                    if k not in values)
    if missing:
        raise Refused(f"an adverse event needs its {', '.join(missing)}", fields=missing)
    _dates(values)
    with app.write(actor, "ae.add") as s:
        p = load(s, app, participant)
        ae = AdverseEvent(participant_id=p.id, reported_by=actor.name, reported_at=utcnow(),
                          **values)
        ae.participant = p
        s.add(ae)
        s.flush()
        return _row(ae, app.protocol)


def update(app: App, actor: Actor, number: int, reason: str | None, **fields: Any) -> AeRow:
    """Change a reported event (resolution, outcome, a corrected grade), with a reason."""
    require(actor, "ae.write")
    require_open(app)
    reason = need_reason(reason, f"changing adverse event {number}")
    values = _clean(app, fields)
    if not values:
        raise Refused(f"nothing to change in adverse event {number}: give the fields to "
                      "change (resolved, outcome, ...)")
    with app.write(actor, "ae.update", reason) as s:
        ae = s.get(AdverseEvent, number)
        if ae is None:
            raise NotFound(f"no adverse event {number}")
        _dates({"onset": values.get("onset", ae.onset),
                "resolved": values.get("resolved", ae.resolved)})
        for key, value in values.items():
            setattr(ae, key, value)
        s.flush()
        return _row(ae, app.protocol)


def list_events(app: App, actor: Actor, participant: object | None = None) -> list[AeRow]:
    """Adverse events in the order they were reported; by participant if asked."""
    require(actor, "ae.read")
    q = (select(*LISTED).join(Participant, AdverseEvent.participant_id == Participant.id)
         .order_by(AdverseEvent.id))
    if participant is not None:
        q = q.where(Participant.number == number_of(app, participant))
    visit_label = cache(app.protocol.visit_label)
    with app.read() as s:
        return [_made(r, visit_label) for r in s.execute(q)]


def table(app: App, actor: Actor) -> dict[str, Any]:
    """After unblinding: participants with at least one AE, by condition and by severity
    and relatedness. An AE counts under the condition of the dosing visit it is linked to
    (--visit); events linked to no dosing visit are counted apart, not guessed."""
    require(actor, "analysis.run")
    current = stage(app)
    if current != "unblinded":
        raise Refused(f"the study is {current}: adverse events by condition are shown only "
                      "after unblinding (before that, nothing is counted by condition)")
    with app.read() as s:
        conditions = {(r.participant_id, r.visit): r.condition
                      for r in s.scalars(select(RevealedCondition))}
        events = s.scalars(select(AdverseEvent)).all()
    unlinked = "not linked to a dosing visit"
    sets: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    for ae in events:
        cond = conditions.get((ae.participant_id, ae.visit or ""), unlinked)
        for by, value in (("severity", ae.severity), ("related", ae.related),
                          ("any", "any")):
            sets[cond, by, value].add(ae.participant_id)
    rows = [{"condition": c, "by": by, "value": v, "participants": len(ids)}
            for (c, by, v), ids in sorted(sets.items())]
    return {"rows": rows, "events": len(events)}
