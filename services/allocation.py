"""The sealed allocation list: generated once, reported on and printed with a passphrase.

What the database holds in plain is only what enrolment needs: the slots of each
stratum (stratum, position, who took it) and the dose codes of each slot. Which
sequence a slot has, and so which condition a code stands for, is sealed three
times: whole, under the randomizer's sealing passphrase (the allocation key, with
the seed so the list can be regenerated and checked); whole again, under the
pharmacist's own dispensing passphrase (the dispensing copy, made at generation
or later by `handover`); and per slot, under the investigator's emergency
passphrase. No passphrase is stored, and nobody needs another's.

Every opening of the key (balance report, dispensing list, handover, unblinding,
emergency envelope) leaves an audit entry with who, when and the reason typed,
refused attempts too (`key_access`).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.audit import Entry, append_entries
from db.models import Allocation, AllocationSlot, DoseCode, SealedKey, Study
from services.context import Actor, App, need_reason, require
from services.errors import GENERATE_ALLOCATION, Refused
from services.files import refuse_existing, written_whole
from services.lifecycle import require_open
from trialcore import codes, rng, sealing
from trialcore.allocation import (
    AllocationList,
    Slot,
    balance_by_stratum,
    balance_warning,
    generate_allocation,
    unit_size,
)
from trialcore.passwords import weakness
from trialcore.protocol import Protocol

ALLOCATION_AAD = b"trialdesk:allocation"
DISPENSING_AAD = b"trialdesk:dispensing"
KEY_KINDS = {"allocation": (ALLOCATION_AAD, "sealing"),
             "dispensing": (DISPENSING_AAD, "dispensing")}
KEY_ACCESS = "key_access"  # the audit entity of every opening of the key, refused or not


class Unbalanced(Refused):
    """The protocol's numbers cannot balance the design; generate again to confirm."""


def envelope_aad(stratum: str, position: int) -> bytes:
    """Binds an emergency envelope to its slot: a box copied to another slot will not open."""
    return f"trialdesk:envelope:{stratum}#{position}".encode()


@dataclass(frozen=True)
class OpenedKey:
    """The allocation key in plain: the list (with its seed) and code -> condition."""

    allocation: AllocationList
    conditions: Mapping[str, str]


def slot_conditions(protocol: Protocol, slot: Slot) -> dict[str, str]:
    """Dosing visit -> condition code: periods in visit order (parallel: one condition)."""
    dosing = [v.id for v in protocol.dosing_visits]
    if len(slot.sequence) == 1:
        return dict.fromkeys(dosing, slot.sequence[0])
    return dict(zip(dosing, slot.sequence, strict=True))


def balance_warnings(protocol: Protocol) -> list[str]:
    """Why the protocol's stratum targets or slot count cannot give a balanced list."""
    n, design, ratio = len(protocol.conditions), protocol.design, protocol.ratio
    slots = protocol.slots_per_stratum
    by_message: dict[str, list[str]] = defaultdict(list)
    for stratum in protocol.strata:
        target = protocol.stratum_targets.get(stratum)
        if target is not None:
            warning = balance_warning(design, n, target, ratio)
            if warning:
                by_message[f"(target): {warning}"].append(stratum)
            if target > slots:
                by_message[f"(target): {target} participants exceed the {slots} slots of "
                           f"the list; enrolment stops at {slots}"].append(stratum)
    warning = balance_warning(design, n, slots, ratio)
    if warning:
        by_message[f"(slots): {warning}"] = list(protocol.strata)
    return [f"{'stratum' if len(s) == 1 else 'strata'} {', '.join(s)} {message}"
            for message, s in by_message.items()]


def _used_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AllocationSlot)
                          .where(AllocationSlot.participant_id.is_not(None))) or 0


def preview(app: App, actor: Actor) -> dict[str, Any]:
    """What `generate` would make, and its warnings, before any passphrase is asked for."""
    require(actor, "allocation.generate")
    protocol = app.protocol
    with app.read() as s:
        exists = s.scalar(select(Allocation.id)) is not None
        used = _used_count(s)
    return {
        "design": protocol.design,
        "conditions": len(protocol.conditions),
        "unit": unit_size(protocol.design, len(protocol.conditions), protocol.ratio),
        "strata": [{"stratum": st, "slots": protocol.slots_per_stratum,
                    "target": protocol.stratum_targets.get(st)} for st in protocol.strata],
        "block_multiples": list(protocol.block_multiples),
        "dosing_visits": [v.id for v in protocol.dosing_visits],
        "dosing_visit_labels": [v.label for v in protocol.dosing_visits],  # what screens show
        "exists": exists,
        "enrolled": used,
        "warnings": balance_warnings(protocol),
    }


def overview(app: App, actor: Actor) -> dict[str, Any]:
    """The allocation list as any role may see it: whether it exists and, per stratum, its
    slots used and free and their kits; never a condition or a sequence."""
    require(actor, "study.read")
    dosing = len(app.protocol.dosing_visits)
    with app.read() as s:
        exists = s.scalar(select(Allocation.id)) is not None
        counts = {(stratum, used): n for stratum, used, n in s.execute(
            select(AllocationSlot.stratum, AllocationSlot.participant_id.is_not(None),
                   func.count()).group_by(AllocationSlot.stratum,
                                          AllocationSlot.participant_id.is_not(None)))}
    strata = [{"stratum": st, "used": counts.get((st, True), 0),
               "free": counts.get((st, False), 0)} for st in app.protocol.strata]
    return {"exists": exists, "kits_per_participant": dosing,
            "strata": [{**r, "kits_free": r["free"] * dosing} for r in strata]}


def _check_replacement(session: Session, replace: bool) -> None:
    if session.scalar(select(Allocation.id)) is None:
        return
    used = _used_count(session)
    if used:
        raise Refused(f"the allocation list is in use ({used} participants enrolled): it can "
                      "never be replaced or extended")
    if not replace:
        raise Refused("an allocation list already exists; nobody is enrolled yet, so it may "
                      "be replaced, but only on purpose (replace, with a reason)")


def preflight(app: App, actor: Actor, *, confirm_unbalanced: bool = False,
              replace: bool = False, reason: str | None = None) -> list[str]:
    """Every refusal that needs no passphrase, so nobody types one in vain; returns warnings."""
    require(actor, "allocation.generate")
    require_open(app)
    if replace:
        need_reason(reason, "replacing the allocation list")
    with app.read() as s:
        _check_replacement(s, replace)
    warnings = balance_warnings(app.protocol)
    if warnings and not confirm_unbalanced:
        raise Unbalanced("the protocol's numbers cannot give a balanced allocation list",
                         warnings)
    return warnings


def check_new_passphrase(actor: Actor, value: str, what: str) -> None:
    """A passphrase being chosen must resist an offline attack on a copied database."""
    problem = weakness(value, user_inputs=(actor.name, "trialdesk"), what="passphrase")
    if problem:
        raise Refused(f"the {what} passphrase is refused: {problem}")


def _check_passphrases(actor: Actor, passphrase: str, emergency_passphrase: str,
                       dispensing_passphrase: str | None) -> None:
    for value, what in ((passphrase, "sealing"), (emergency_passphrase, "emergency"),
                        (dispensing_passphrase, "dispensing")):
        if value is not None:
            check_new_passphrase(actor, value, what)
    if passphrase == emergency_passphrase:
        raise Refused("the emergency passphrase must differ from the sealing passphrase: "
                      "it opens one participant's envelope, never the whole list")
    if dispensing_passphrase is not None and dispensing_passphrase in (passphrase,
                                                                       emergency_passphrase):
        raise Refused("the dispensing passphrase must differ from the sealing and emergency "
                      "passphrases: it is the pharmacist's own")


def _padded(payloads: Mapping[Any, bytes]) -> dict[Any, bytes]:
    """Equal lengths, so no envelope's size gives away its conditions' names."""
    width = max(len(p) for p in payloads.values())
    return {k: p.ljust(width) for k, p in payloads.items()}


def _envelopes(protocol: Protocol, alloc: AllocationList,
               emergency_passphrase: str) -> dict[tuple[str, int], str]:
    """One box per slot, under one key derivation (scrypt is slow on purpose)."""
    plain = {(sl.stratum, sl.position): json.dumps(
        {"stratum": sl.stratum, "position": sl.position,
         "conditions": slot_conditions(protocol, sl)}, sort_keys=True).encode()
        for sl in alloc.slots}
    sealer = sealing.Sealer.create(emergency_passphrase)
    return {k: json.dumps(sealer.seal(p, envelope_aad(*k)).to_dict())
            for k, p in _padded(plain).items()}


def _new_list(protocol: Protocol, seed: bytes) -> AllocationList:
    return generate_allocation(
        seed=seed, design=protocol.design,
        conditions=[c.code for c in protocol.conditions], strata=protocol.strata,
        slots_per_stratum=protocol.slots_per_stratum,
        block_multiples=protocol.block_multiples, ratio=protocol.ratio)


def _drop_unused_list(session: Session) -> None:
    """Replace before enrolment: delete in dependency order, every row audited."""
    for model in (DoseCode, SealedKey, AllocationSlot, Allocation):
        for row in session.scalars(select(model)):
            session.delete(row)
        session.flush()


def generate(app: App, actor: Actor, passphrase: str, emergency_passphrase: str, *,
             dispensing_passphrase: str | None = None, confirm_unbalanced: bool = False,
             replace: bool = False, reason: str | None = None,
             demo_seed: bytes | None = None) -> dict[str, Any]:
    """Make the list, its dose codes, the sealed key and the envelopes; start the study.

    With `dispensing_passphrase` (the pharmacist's own, typed by them) the dispensing
    copy is sealed now; without it the randomizer makes it later with `handover`.
    `demo_seed` makes the synthetic demo reproducible (its analysis must show the same
    tables every time); a real study's list always comes from a fresh random seed.
    """
    warnings = preflight(app, actor, confirm_unbalanced=confirm_unbalanced, replace=replace,
                         reason=reason)
    _check_passphrases(actor, passphrase, emergency_passphrase, dispensing_passphrase)
    if demo_seed is not None:
        with app.read() as s:
            if not s.scalar(select(Study.synthetic)):
                raise Refused("a fixed allocation seed is for the synthetic demo only")
    protocol = app.protocol
    alloc = _new_list(protocol, demo_seed or rng.new_seed())
    taken: set[str] = set()
    slot_codes: dict[tuple[str, int], dict[str, str]] = {}
    conditions: dict[str, str] = {}
    for sl in alloc.slots:
        given = slot_codes[sl.stratum, sl.position] = {}
        for visit, condition in slot_conditions(protocol, sl).items():
            code = given[visit] = codes.new_code(taken)
            taken.add(code)
            conditions[code] = condition
    plain_key = json.dumps({"allocation": alloc.to_json(), "codes": conditions},
                           sort_keys=True).encode()
    key = sealing.seal(plain_key, passphrase, aad=ALLOCATION_AAD)
    copy = (None if dispensing_passphrase is None else
            sealing.seal(plain_key, dispensing_passphrase, aad=DISPENSING_AAD))
    envelopes = _envelopes(protocol, alloc, emergency_passphrase)
    with app.write(actor, "allocation.generate", reason) as s:
        _check_replacement(s, replace)
        if replace:
            _drop_unused_list(s)
        s.add(Allocation(algorithm_version=alloc.algorithm_version, design=alloc.design,
                         generated_by=actor.name))
        s.add(SealedKey(kind="allocation", box=json.dumps(key.to_dict())))
        if copy is not None:
            s.add(SealedKey(kind="dispensing", box=json.dumps(copy.to_dict())))
        for (stratum, position), given in slot_codes.items():
            slot = AllocationSlot(stratum=stratum, position=position)
            s.add(slot)
            s.flush()
            s.add(SealedKey(kind="emergency", slot_id=slot.id,
                            box=envelopes[stratum, position]))
            s.add_all(DoseCode(slot_id=slot.id, visit=v, code=c) for v, c in given.items())
        study = s.scalar(select(Study))
        if study.stage == "setup":
            study.stage = "running"
    return {
        "design": alloc.design, "algorithm_version": alloc.algorithm_version,
        "generated_by": actor.name,
        "strata": [{"stratum": st, "slots": len(alloc.slots_for(st))} for st in alloc.strata],
        "dose_codes": len(conditions), "envelopes": len(envelopes), "stage": "running",
        "dispensing_copy": copy is not None, "warnings": warnings,
    }


# -- opening the key ------------------------------------------------------------------

def _box_text(session: Session, kind: str = "allocation") -> str:
    box = session.scalar(select(SealedKey.box).where(SealedKey.kind == kind,
                                                     SealedKey.slot_id.is_(None)))
    if box is None and kind == "dispensing" and session.scalar(select(Allocation.id)):
        raise Refused("the pharmacist has no dispensing copy of the key yet: the randomizer "
                      "makes it with the sealing passphrase and the pharmacist's own "
                      "(allocation handover)")
    if box is None:
        raise Refused("no allocation list yet: the randomizer generates it first",
                      hint=GENERATE_ALLOCATION)
    return box


def open_box(box_text: str, passphrase: str, aad: bytes, what: str) -> bytes:
    """Open a stored box; a wrong or empty passphrase is a refusal that shows nothing."""
    if not passphrase:
        raise Refused(f"no {what} passphrase was given")
    box = sealing.SealedBox.from_dict(json.loads(box_text))
    try:
        return sealing.open_sealed(box, passphrase, aad)
    except sealing.WrongPassphrase:
        raise Refused(f"wrong {what} passphrase: the sealed key did not open; nothing was "
                      "shown or written") from None


def _open_plain(app: App, passphrase: str, kind: str) -> bytes:
    aad, what = KEY_KINDS[kind]
    with app.read() as s:
        box = _box_text(s, kind)
    return open_box(box, passphrase, aad, what)


def open_key(app: App, passphrase: str, kind: str = "allocation") -> OpenedKey:
    """The key in plain, from the randomizer's box or the pharmacist's copy.

    Callers check the role and audit the access (`audited_access`): this reveals
    everything."""
    data = json.loads(_open_plain(app, passphrase, kind))
    return OpenedKey(AllocationList.from_json(data["allocation"]), data["codes"])


def key_access_entry(action: str, what: str, reason: str | None,
                     after: dict[str, Any] | None = None,
                     participant: str | None = None) -> Entry:
    """The audit entry of one opening of the key (or of an attempt at it)."""
    return Entry(action=action, entity=KEY_ACCESS, entity_key=what, participant=participant,
                 after=after, reason=reason)


@contextmanager
def audited_access(app: App, actor: Actor, action: str, what: str, reason: str | None,
                   participant: str | None = None) -> Iterator[None]:
    """Any refusal inside (wrong role, wrong passphrase, no reason, unwritable file) is
    recorded with who, when and the reason typed, in a transaction of its own: the
    operation's own transaction has rolled back, and a refused attempt must still
    leave a trace."""
    try:
        yield
    except Refused as exc:
        typed = reason.strip() if reason and reason.strip() else None
        with app.write(actor, f"{action}.refused", typed) as s:
            append_entries(s.connection(), actor.name, [key_access_entry(
                f"{action}.refused", what, typed, {"refused": exc.message, "role": actor.role},
                participant)])
        raise


def handover(app: App, actor: Actor, passphrase: str, dispensing_passphrase: str,
             reason: str | None) -> dict[str, Any]:
    """The randomizer seals the pharmacist's copy of the key under the pharmacist's own
    passphrase (typed by the pharmacist): for a study generated without one, a new
    pharmacist, or a forgotten dispensing passphrase. Replaces any earlier copy."""
    with audited_access(app, actor, "allocation.handover", "dispensing copy", reason):
        require(actor, "allocation.handover")
        reason = need_reason(reason, "handing the dispensing copy to the pharmacist")
        check_new_passphrase(actor, dispensing_passphrase, "dispensing")
        if dispensing_passphrase == passphrase:
            raise Refused("the dispensing passphrase must differ from the sealing passphrase: "
                          "it is the pharmacist's own")
        copy = sealing.seal(_open_plain(app, passphrase, "allocation"), dispensing_passphrase,
                            aad=DISPENSING_AAD)
        with app.write(actor, "allocation.handover", reason) as s:
            old = s.scalar(select(SealedKey).where(SealedKey.kind == "dispensing"))
            if old is not None:
                s.delete(old)
                s.flush()
            s.add(SealedKey(kind="dispensing", box=json.dumps(copy.to_dict())))
            append_entries(s.connection(), actor.name, [key_access_entry(
                "allocation.handover", "dispensing copy", reason,
                {"replaced": old is not None})])
    return {"dispensing_copy": True, "replaced": old is not None, "by": actor.name}


def _used_positions(session: Session) -> dict[str, set[int]]:
    used: dict[str, set[int]] = defaultdict(set)
    for stratum, position in session.execute(
            select(AllocationSlot.stratum, AllocationSlot.position)
            .where(AllocationSlot.participant_id.is_not(None))):
        used[stratum].add(position)
    return used


def _labelled(protocol: Protocol, alloc: AllocationList, raw: dict[str, Any]) -> dict[str, Any]:
    """Balance matrices keyed by visit and condition code instead of by index."""
    cond = alloc.conditions
    visits = [v.id for v in protocol.dosing_visits]
    periods = visits if protocol.design == "crossover" else ["allocation"]
    out = {"sequences": raw["n_sequences"], "period_balanced": raw["period_balanced"],
           "period_counts": {p: dict(zip(cond, row, strict=True))
                             for p, row in zip(periods, raw["period_counts"], strict=True)}}
    if protocol.design == "crossover":
        out["carryover_balanced"] = raw["carryover_balanced"]
        out["carryover_counts"] = {a: {b: n for b, n in zip(cond, row, strict=True) if a != b}
                                   for a, row in zip(cond, raw["carryover_counts"],
                                                     strict=True)}
    return out


def report(app: App, actor: Actor, passphrase: str, reason: str | None = None
           ) -> dict[str, Any]:
    """Per stratum: slots, used, and period / carry-over balance of all and of used slots.

    Opening the key for it is audited with the reason, if one was typed."""
    with audited_access(app, actor, "allocation.report", "balance report", reason):
        require(actor, "allocation.report")
        opened = open_key(app, passphrase)
        with app.write(actor, "allocation.report", reason) as s:
            append_entries(s.connection(), actor.name, [key_access_entry(
                "allocation.report", "balance report", reason)])
    return _report(app, opened)


def _report(app: App, opened: OpenedKey) -> dict[str, Any]:
    protocol = app.protocol
    alloc = opened.allocation
    with app.read() as s:
        used = _used_positions(s)
        meta = s.scalar(select(Allocation))
    again = generate_allocation(
        seed=bytes.fromhex(alloc.seed_hex), design=alloc.design, conditions=alloc.conditions,
        strata=alloc.strata, slots_per_stratum=protocol.slots_per_stratum,
        block_multiples=protocol.block_multiples, ratio=protocol.ratio)
    balance = balance_by_stratum(alloc, used)
    return {
        "design": alloc.design, "algorithm_version": alloc.algorithm_version,
        "generated_by": meta.generated_by, "generated_at": meta.generated_at.isoformat() + "Z",
        "conditions": list(alloc.conditions),
        "regenerates_from_seed": again == alloc,
        "strata": [{"stratum": st, "slots": b["slots"], "used": b["used"],
                    "free": b["slots"] - b["used"],
                    "all": _labelled(protocol, alloc, b["all"]),
                    "used_slots": _labelled(protocol, alloc, b["used_slots"])}
                   for st, b in balance.items()],
    }


# -- the pharmacist's dispensing list --------------------------------------------------

DISPENSING_COLUMNS = ("code", "stratum", "slot", "visit", "condition", "label", "dose_mg")


def _dispensing_rows(app: App, opened: OpenedKey) -> list[dict[str, Any]]:
    """Kit preparation order: stratum, slot, then visit in protocol order."""
    protocol = app.protocol
    order = {v.id: i for i, v in enumerate(protocol.visits)}
    with app.read() as s:
        found = s.execute(select(DoseCode.code, DoseCode.visit, AllocationSlot.stratum,
                                 AllocationSlot.position)
                          .join(AllocationSlot, DoseCode.slot_id == AllocationSlot.id)).all()
    rows = []
    for code, visit, stratum, position in sorted(
            found, key=lambda r: (r.stratum, r.position, order.get(r.visit, 0))):
        condition = protocol.condition(opened.conditions[code])
        rows.append({"code": code, "stratum": stratum, "slot": position, "visit": visit,
                     "condition": condition.code, "label": condition.label,
                     "dose_mg": f"{condition.dose_mg:g}"})
    return rows


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DISPENSING_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _html(title: str, printed_by: str, rows: list[dict[str, Any]]) -> str:
    """A page to print and sign: self-contained, no scripts, large monospaced codes."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in DISPENSING_COLUMNS)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>"
                                       for c in DISPENSING_COLUMNS) + "</tr>" for r in rows)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Dispensing list</title>
<style>body{{font-family:sans-serif}} table{{border-collapse:collapse}}
td,th{{border:1px solid #444;padding:3px 8px}} td:first-child{{font-family:monospace;
font-size:120%}} .warn{{color:#a00;font-weight:bold}}</style></head><body>
<h1>Dispensing list</h1><p>{html.escape(title)}</p>
<p class="warn">UNBLINDED: for the pharmacist only. Keep locked away; never show it to the
study team.</p><p>Printed by {html.escape(printed_by)}. {len(rows)} kits.</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table><p>Prepared by: ______________________ Date: ____________</p>
</body></html>
"""


def dispensing(app: App, actor: Actor, passphrase: str, path: str | Path,
               reason: str | None = None, *, force: bool = False) -> dict[str, Any]:
    """Write code -> condition as CSV or a printable .html page, with the pharmacist's own
    passphrase and the reason typed; audited whether it succeeds or is refused.

    The file appears whole or not at all (a full disk leaves nothing behind), and an
    existing file is replaced only with `force`."""
    with audited_access(app, actor, "allocation.dispensing", "dispensing list", reason):
        require(actor, "allocation.dispensing")
        reason = need_reason(reason, "printing the dispensing list")
        path = Path(path)
        kind = {".csv": "csv", ".html": "html", ".htm": "html"}.get(path.suffix.lower())
        if kind is None:
            raise Refused(f"{path.name}: the dispensing list is written as .csv or .html")
        refuse_existing(path, force=force)
        opened = open_key(app, passphrase, "dispensing")
        rows = _dispensing_rows(app, opened)
        with app.read() as s:
            title = s.scalar(select(Study.title))
        content = _csv(rows) if kind == "csv" else _html(title, actor.name, rows)
        with app.write(actor, "allocation.dispensing", reason) as s:
            append_entries(s.connection(), actor.name, [key_access_entry(
                "allocation.dispensing", "dispensing list", reason,
                {"file": path.name, "format": kind, "kits": len(rows)})])
            with written_whole(path, force=force) as tmp:
                tmp.write_text(content, encoding="utf-8", newline="")
    return {"file": str(path), "format": kind, "kits": len(rows)}
