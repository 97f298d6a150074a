"""Allocation lists: per stratum, permuted blocks of treatment sequences.

Generation (reproducible: same seed, ``algorithm_version`` and inputs give the
same list; see ``trialcore.rng`` for the generator):

* Each stratum draws from its own generator ``DeterministicRandom(seed).child(
  "allocation/stratum/" + name)``, so a stratum's list does not depend on the
  order or sizes of the other strata.
* Crossover: the sequence set is ``williams_design(len(conditions))``. It is
  randomized by relabelling (one random permutation per stratum maps design
  index -> condition code, drawn first) and by shuffling the sequence order
  inside each block. Periods are never permuted: that would break the
  carry-over balance.
* Parallel: the "unit" lists condition ``c`` ``ratio[c]`` times (default 1
  each, ratios are not reduced: 2:2 means units of 4); a sequence is a 1-tuple.
* Blocks hold ``m`` copies of the unit, shuffled, so each block contains every
  sequence (or the ratio) exactly. ``m`` is drawn from ``block_multiples``
  among the sizes that leave a remainder still fillable by whole blocks; if
  there are none, among the sizes that fit; if none fits, the smallest size is
  used. Only whole blocks are kept, so a stratum may get more slots than
  requested (less than one extra block). It gets exactly the requested count
  whenever whole blocks can make it (always for a multiple of the unit with
  the default multiples 1 and 2), so full enrolment ends on a block boundary,
  balanced.

The list (and its seed) reveal every condition: store it only sealed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trialcore import rng
from trialcore.williams import balance_report, sequence_count, williams_design

DESIGNS = ("crossover", "parallel")
_STRATUM_LABEL = "allocation/stratum/"


@dataclass(frozen=True)
class Slot:
    """One enrolment place: the sequence of condition codes by period."""

    stratum: str
    position: int  # 1-based within the stratum: enrolment order
    block: int  # 1-based block number within the stratum
    block_size: int
    sequence: tuple[str, ...]  # condition code per period; 1-tuple for parallel


@dataclass(frozen=True)
class AllocationList:
    """The complete list, with what is needed to regenerate and verify it."""

    seed_hex: str
    algorithm_version: int
    design: str
    conditions: tuple[str, ...]
    slots: tuple[Slot, ...]

    @property
    def strata(self) -> tuple[str, ...]:
        """Strata in the order they were generated."""
        return tuple(dict.fromkeys(slot.stratum for slot in self.slots))

    def slots_for(self, stratum: str) -> tuple[Slot, ...]:
        """Slots of one stratum in enrolment order; unknown stratum is an error."""
        found = tuple(slot for slot in self.slots if slot.stratum == stratum)
        if not found:
            raise KeyError(f"no stratum {stratum!r} in the allocation list")
        return tuple(sorted(found, key=lambda slot: slot.position))

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): equal lists give equal text."""
        data = {
            "seed_hex": self.seed_hex,
            "algorithm_version": self.algorithm_version,
            "design": self.design,
            "conditions": list(self.conditions),
            "slots": [
                {
                    "stratum": s.stratum,
                    "position": s.position,
                    "block": s.block,
                    "block_size": s.block_size,
                    "sequence": list(s.sequence),
                }
                for s in self.slots
            ],
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> AllocationList:
        """Parse ``to_json`` output, rejecting lists that are not self-consistent."""
        data = json.loads(text)
        try:
            alloc = cls(
                seed_hex=str(data["seed_hex"]),
                algorithm_version=int(data["algorithm_version"]),
                design=str(data["design"]),
                conditions=tuple(str(c) for c in data["conditions"]),
                slots=tuple(
                    Slot(
                        stratum=str(s["stratum"]),
                        position=int(s["position"]),
                        block=int(s["block"]),
                        block_size=int(s["block_size"]),
                        sequence=tuple(str(c) for c in s["sequence"]),
                    )
                    for s in data["slots"]
                ),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"allocation list JSON is missing or mistypes {exc}") from None
        _check_consistent(alloc)
        return alloc


def _check_consistent(alloc: AllocationList) -> None:
    if alloc.design not in DESIGNS:
        raise ValueError(f"unknown design {alloc.design!r}")
    known = set(alloc.conditions)
    for stratum in alloc.strata:
        slots = alloc.slots_for(stratum)
        if [s.position for s in slots] != list(range(1, len(slots) + 1)):
            raise ValueError(f"stratum {stratum!r}: positions are not 1..{len(slots)}")
        for s in slots:
            if not set(s.sequence) <= known:
                raise ValueError(f"stratum {stratum!r} slot {s.position}: unknown condition")


def _validate_inputs(
    design: str,
    conditions: Sequence[str],
    strata: Sequence[str],
    block_multiples: Sequence[int],
    ratio: Mapping[str, int] | None,
) -> None:
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")
    if len(conditions) < 2 or len(set(conditions)) != len(conditions):
        raise ValueError("need at least 2 distinct condition codes")
    if not strata or len(set(strata)) != len(strata):
        raise ValueError("need at least 1 stratum and no duplicate strata")
    if not block_multiples or any(m < 1 for m in block_multiples):
        raise ValueError("block_multiples must be positive integers")
    if ratio is not None:
        if design != "parallel":
            raise ValueError("an allocation ratio applies to parallel designs only")
        if set(ratio) != set(conditions) or any(r < 1 for r in ratio.values()):
            raise ValueError("ratio needs a positive integer for every condition and no others")


def _targets(strata: Sequence[str], slots_per_stratum: int | Mapping[str, int]) -> dict[str, int]:
    if isinstance(slots_per_stratum, int):
        targets = dict.fromkeys(strata, slots_per_stratum)
    else:
        if set(slots_per_stratum) != set(strata):
            raise ValueError("slots_per_stratum must name exactly the strata")
        targets = {s: slots_per_stratum[s] for s in strata}
    for stratum, n in targets.items():
        if n < 1:
            raise ValueError(f"stratum {stratum!r} needs at least 1 slot, got {n}")
    return targets


def _fillable(target: int, sizes: Sequence[int]) -> list[bool]:
    """``fillable[k]``: can ``k`` slots be made of whole blocks of these sizes?"""
    fillable = [True] + [False] * target
    for k in range(1, target + 1):
        fillable[k] = any(s <= k and fillable[k - s] for s in sizes)
    return fillable


def _stratum_slots(
    random: rng.DeterministicRandom,
    stratum: str,
    unit: list[tuple[str, ...]],
    target: int,
    block_multiples: Sequence[int],
) -> list[Slot]:
    sizes = sorted({m * len(unit) for m in block_multiples})
    fillable = _fillable(target, sizes)
    slots: list[Slot] = []
    block_number = 0
    while len(slots) < target:
        remaining = target - len(slots)
        fitting = [s for s in sizes if s <= remaining]
        exact = [s for s in fitting if fillable[remaining - s]]
        size = random.choice(exact or fitting or sizes[:1])
        block = unit * (size // len(unit))
        random.shuffle(block)
        block_number += 1
        start = len(slots)
        slots += [
            Slot(stratum, start + i, block_number, size, seq)
            for i, seq in enumerate(block, start=1)
        ]
    return slots


def generate_allocation(
    *,
    seed: bytes,
    design: str,
    conditions: Sequence[str],
    strata: Sequence[str],
    slots_per_stratum: int | Mapping[str, int],
    block_multiples: Sequence[int] = (1, 2),
    ratio: Mapping[str, int] | None = None,
) -> AllocationList:
    """Generate the list; see the module docstring for the exact procedure.

    Each stratum gets whole blocks only, so ``len(alloc.slots_for(s))`` may
    exceed the requested count (check it and ``balance_warning``).
    """
    _validate_inputs(design, conditions, strata, block_multiples, ratio)
    targets = _targets(strata, slots_per_stratum)
    root = rng.DeterministicRandom(seed)
    slots: list[Slot] = []
    for stratum in strata:
        random = root.child(_STRATUM_LABEL + stratum)
        if design == "crossover":
            labels = list(conditions)
            random.shuffle(labels)
            unit = [tuple(labels[i] for i in seq) for seq in williams_design(len(conditions))]
        else:
            weights = ratio or dict.fromkeys(conditions, 1)
            unit = [(c,) for c in conditions for _ in range(weights[c])]
        slots += _stratum_slots(random, stratum, unit, targets[stratum], block_multiples)
    return AllocationList(
        seed_hex=seed.hex(),
        algorithm_version=rng.ALGORITHM_VERSION,
        design=design,
        conditions=tuple(conditions),
        slots=tuple(slots),
    )


def unit_size(design: str, n_conditions: int, ratio: Mapping[str, int] | None = None) -> int:
    """Smallest balanced group: Williams sequence count, or the sum of the ratio."""
    if design == "crossover":
        return sequence_count(n_conditions)
    if design == "parallel":
        if ratio is not None and len(ratio) != n_conditions:
            raise ValueError(f"ratio names {len(ratio)} conditions, expected {n_conditions}")
        return sum(ratio.values()) if ratio else n_conditions
    raise ValueError(f"design must be one of {DESIGNS}, got {design!r}")


def balance_warning(
    design: str, n_conditions: int, per_stratum: int, ratio: Mapping[str, int] | None = None
) -> str | None:
    """Explain why ``per_stratum`` participants cannot be balanced, or None if they can."""
    if per_stratum < 1:
        raise ValueError(f"per_stratum must be at least 1, got {per_stratum}")
    unit = unit_size(design, n_conditions, ratio)
    if per_stratum % unit == 0:
        return None
    below = per_stratum // unit * unit
    above = below + unit
    nearest = f"{below} or {above}" if below else str(above)
    sizes = "sizes" if below else "size"
    what = (
        f"{unit} Williams sequences"
        if design == "crossover"
        else f"blocks of {unit} (allocation ratio unit)"
    )
    return (
        f"{per_stratum} participants per stratum cannot balance {what}; "
        f"nearest balanced {sizes}: {nearest}"
    )


def balance_by_stratum(
    alloc: AllocationList, used_positions: Mapping[str, set[int]] | None = None
) -> dict[str, dict[str, Any]]:
    """Per stratum: slot and used counts, balance of all slots and of used slots.

    Matrices are indexed by ``alloc.conditions`` order. The output reveals
    conditions (with one used slot it *is* that participant's sequence):
    show it to unblinded roles only.
    """
    used_positions = used_positions or {}
    unknown = set(used_positions) - set(alloc.strata)
    if unknown:
        raise ValueError(f"unknown strata in used_positions: {sorted(unknown)}")
    index = {code: i for i, code in enumerate(alloc.conditions)}
    t = len(alloc.conditions)
    result: dict[str, dict[str, Any]] = {}
    for stratum in alloc.strata:
        slots = alloc.slots_for(stratum)
        used = used_positions.get(stratum, set())
        missing = used - {s.position for s in slots}
        if missing:
            raise ValueError(f"stratum {stratum!r} has no positions {sorted(missing)}")
        periods = len(slots[0].sequence)
        all_seqs = [tuple(index[c] for c in s.sequence) for s in slots]
        used_seqs = [seq for s, seq in zip(slots, all_seqs, strict=True) if s.position in used]
        weights = None
        if alloc.design == "parallel":
            counts = Counter(seq[0] for seq in all_seqs)
            weights = [counts[i] for i in range(t)]
        result[stratum] = {
            "slots": len(slots),
            "used": len(used_seqs),
            "all": balance_report(all_seqs, t, periods=periods, weights=weights),
            "used_slots": balance_report(used_seqs, t, periods=periods, weights=weights),
        }
    return result
