"""Unblinding: one participant's emergency envelope now; the whole study after lock.

An emergency envelope opens with the investigator's passphrase and a re-entered
password, shows that participant's conditions to that user only (they are
returned, never stored), flags the participant and leaves a signed record.
Every other envelope stays sealed. The whole study is unblinded by the trial
statistician with the randomizer's sealing passphrase (typed by the randomizer).
Both are accesses to the key: refused attempts (a wrong passphrase or password,
the wrong role, no reason) are audited too, with the reason typed.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import (
    AllocationSlot,
    DoseCode,
    Participant,
    RevealedCondition,
    SealedKey,
    Study,
    Unblinding,
)
from services.accounts import confirm_password
from services.allocation import (
    OpenedKey,
    audited_access,
    envelope_aad,
    open_box,
    open_key,
    slot_conditions,
)
from services.context import Actor, App, need_reason, require
from services.errors import LOCK_FIRST, Refused
from services.lifecycle import require_open
from services.participants import load
from services.study import stage
from trialcore import sealing
from trialcore.protocol import Protocol


def require_locked(app: App) -> None:
    """The whole study is unblinded only once its data are final."""
    current = stage(app)
    if current not in ("locked", "unblinded"):
        raise Refused(f"the study is {current}: the whole study can be unblinded only after "
                      "it is locked; for one participant in an emergency, use the emergency "
                      "envelope", hint=LOCK_FIRST)


def emergency(app: App, actor: Actor, participant: object, reason: str | None,
              emergency_passphrase: str, password: str) -> dict[str, Any]:
    """Open one participant's envelope: visit -> (code, condition, label, dose) for this user."""
    with audited_access(app, actor, "unblind.emergency", "emergency envelope", reason,
                        participant=_label_or_none(app, participant)):
        return _emergency(app, actor, participant, reason, emergency_passphrase, password)


def _label_or_none(app: App, participant: object) -> str | None:
    """The participant's label for the audit entry of an attempt; None if there is none."""
    try:
        with app.read() as s:
            return load(s, app, participant).label
    except Refused:
        return None


def _emergency(app: App, actor: Actor, participant: object, reason: str | None,
               emergency_passphrase: str, password: str) -> dict[str, Any]:
    require(actor, "emergency.unblind")
    require_open(app)
    reason = need_reason(reason, "opening an emergency envelope")
    confirm_password(app, actor, password)
    protocol = app.protocol
    with app.read() as s:
        p = load(s, app, participant)
        slot = s.scalar(select(AllocationSlot).where(AllocationSlot.participant_id == p.id))
        if slot is None:
            raise Refused(f"{p.label} is not enrolled: there is no envelope to open")
        box = s.scalar(select(SealedKey.box).where(SealedKey.kind == "emergency",
                                                   SealedKey.slot_id == slot.id))
        codes = dict(s.execute(select(DoseCode.visit, DoseCode.code)
                               .where(DoseCode.slot_id == slot.id)).all())
        label, stratum, position = p.label, slot.stratum, slot.position
    if box is None:
        raise Refused(f"{label}: the emergency envelope of slot {stratum}#{position} is "
                      "missing from the database")
    try:
        plain = open_box(box, emergency_passphrase, envelope_aad(stratum, position), "emergency")
    except Refused:
        _refuse_swapped(app, box, emergency_passphrase, label)
        raise
    envelope = json.loads(plain)
    meaning = (f"{actor.name} ({actor.role}) opened the emergency envelope of {label} and "
               "saw the conditions of its dosing visits")
    with app.write(actor, "unblind.emergency", reason) as s:
        p = load(s, app, label)
        p.emergency_unblinded = True
        s.add(Unblinding(kind="emergency", participant_id=p.id, by=actor.name, reason=reason,
                         meaning=meaning))
    visits = []
    for spec in protocol.dosing_visits:
        condition = protocol.condition(envelope["conditions"][spec.id])
        visits.append({"visit": spec.id, "visit_label": spec.label, "code": codes.get(spec.id),
                       "condition": condition.code, "label": condition.label,
                       "dose_mg": condition.dose_mg})
    return {"participant": label, "opened_by": actor.name, "reason": reason, "visits": visits}


def _refuse_swapped(app: App, box: str, emergency_passphrase: str, label: str) -> None:
    """An envelope that does not open may be another slot's, moved onto this one (each is
    sealed with its slot as associated data): name whose it is rather than blame the
    passphrase. Returns when it opens under no slot (the passphrase is wrong)."""
    if not emergency_passphrase:
        return
    with app.read() as s:
        slots = s.execute(select(AllocationSlot.stratum, AllocationSlot.position,
                                 Participant.label)
                          .outerjoin(Participant,
                                     Participant.id == AllocationSlot.participant_id)
                          .order_by(AllocationSlot.id)).all()
    found = sealing.which_aad(sealing.SealedBox.from_dict(json.loads(box)),
                              emergency_passphrase, [envelope_aad(st, pos) for st, pos, _ in slots])
    if found is None:
        return
    stratum, position, owner = slots[found]
    if owner == label:
        return
    raise Refused(f"the envelope stored for {label} belongs to "
                  f"{owner or f'slot {stratum}#{position} (no participant yet)'}: envelopes "
                  "were swapped outside TrialDesk; nothing was shown (the attempt is in the audit "
                  "trail)")


# -- the whole study, after lock ----------------------------------------------------------

STUDY_MEANING = "I approve the unblinding of this locked study"


def _revealed(session: Session, protocol: Protocol, opened: OpenedKey) -> list[RevealedCondition]:
    """Condition and period of every enrolled participant's dosing visits, from the key.

    Each condition is read from the slot's sequence and checked against the code map,
    so a key that disagrees with the dose codes in the database is refused.
    """
    period = {v.id: i for i, v in enumerate(protocol.dosing_visits, start=1)}
    codes = {(slot_id, visit): code for slot_id, visit, code in
             session.execute(select(DoseCode.slot_id, DoseCode.visit, DoseCode.code))}
    rows = []
    for slot in session.scalars(select(AllocationSlot)
                                .where(AllocationSlot.participant_id.is_not(None))
                                .order_by(AllocationSlot.stratum, AllocationSlot.position)):
        listed = opened.allocation.slots_for(slot.stratum)[slot.position - 1]
        for visit, condition in slot_conditions(protocol, listed).items():
            code = codes.get((slot.id, visit))
            if code is None or opened.conditions.get(code) != condition:
                raise Refused(f"slot {slot.stratum}#{slot.position} at {visit}: the sealed key "
                              "does not match the dose codes in the database; nothing was "
                              "revealed")
            rows.append(RevealedCondition(participant_id=slot.participant_id, visit=visit,
                                          period=period[visit], condition=condition))
    return rows


def _refuse_second(session: Session) -> None:
    done = session.scalar(select(Unblinding).where(Unblinding.kind == "study"))
    if done is not None:
        raise Refused(f"the study was already unblinded by {done.by} on "
                      f"{done.at:%Y-%m-%d %H:%M} UTC; it is unblinded once")


def unblind_study(app: App, actor: Actor, reason: str | None, passphrase: str,
                  password: str) -> dict[str, Any]:
    """Reveal the condition of every dosing visit: statistician, after lock, signed, once."""
    with audited_access(app, actor, "unblind.study", "allocation key", reason):
        return _unblind_study(app, actor, reason, passphrase, password)


def _unblind_study(app: App, actor: Actor, reason: str | None, passphrase: str,
                   password: str) -> dict[str, Any]:
    require(actor, "study.unblind")
    reason = need_reason(reason, "unblinding the study")
    with app.read() as s:
        _refuse_second(s)
    require_locked(app)
    confirm_password(app, actor, password)
    opened = open_key(app, passphrase)
    with app.write(actor, "unblind.study", reason) as s:
        study = s.scalar(select(Study).with_for_update())
        _refuse_second(s)
        if study.stage != "locked":
            raise Refused(f"the study is {study.stage}: it is unblinded only after lock")
        revealed = _revealed(s, app.protocol, opened)
        record = Unblinding(kind="study", by=actor.name, reason=reason, meaning=STUDY_MEANING)
        s.add(record)
        s.flush()
        s.add_all(revealed)
        s.flush()
        study.stage = "unblinded"
        s.flush()
        return {"stage": "unblinded", "unblinded_by": actor.name,
                "at": record.at.isoformat() + "Z", "meaning": STUDY_MEANING, "reason": reason,
                "participants": len({r.participant_id for r in revealed}),
                "visits": len(revealed)}
