"""Allocation lists: reproducible, block-balanced, relabelled Williams sequences."""

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialcore.allocation import (
    AllocationList,
    Slot,
    balance_by_stratum,
    balance_warning,
    generate_allocation,
    unit_size,
)
from trialcore.rng import ALGORITHM_VERSION
from trialcore.williams import check_williams, williams_design

SEED = bytes(range(32))
CONDITIONS = ("PLA", "D80", "D120")
STRATA = ("NTNA+", "NTNA-")


def reference_list(**changes: object) -> AllocationList:
    args: dict[str, object] = {
        "seed": SEED,
        "design": "crossover",
        "conditions": CONDITIONS,
        "strata": STRATA,
        "slots_per_stratum": 8,
    }
    args.update(changes)
    return generate_allocation(**args)  # type: ignore[arg-type]


def blocks(slots: Sequence[Slot]) -> dict[int, list[Slot]]:
    out: dict[int, list[Slot]] = {}
    for slot in slots:
        out.setdefault(slot.block, []).append(slot)
    return out


def relabelling(slots: Sequence[Slot], t: int) -> dict[str, int] | None:
    """The code -> design index map under which slots use only Williams sequences."""
    design = set(williams_design(t))
    codes = sorted({c for s in slots for c in s.sequence})
    for perm in permutations(range(t)):
        mapping = dict(zip(codes, perm, strict=True))
        if all(tuple(mapping[c] for c in s.sequence) in design for s in slots):
            return mapping
    return None


def fillable(n: int, sizes: set[int]) -> bool:
    return n == 0 or any(s <= n and fillable(n - s, sizes) for s in sizes)


def test_same_inputs_give_identical_list() -> None:
    assert reference_list().to_json() == reference_list().to_json()
    assert reference_list() == reference_list()


def test_frozen_reference_list() -> None:
    # If this fails, generation changed: bump rng.ALGORITHM_VERSION, keep old lists reproducible.
    alloc = reference_list()
    digest = hashlib.sha256(alloc.to_json().encode()).hexdigest()
    assert digest == "2809f7c7e2db7d96b316ad1b11af7c614591adc8d62bd8310dabc523fe3800a6"
    assert alloc.algorithm_version == ALGORITHM_VERSION
    assert alloc.seed_hex == SEED.hex()


def test_other_seed_gives_other_list() -> None:
    assert reference_list().slots != reference_list(seed=bytes(32)).slots


def test_stratum_does_not_depend_on_other_strata() -> None:
    base = reference_list().slots_for("NTNA-")
    assert reference_list(strata=("NTNA-", "NTNA+")).slots_for("NTNA-") == base
    sizes = {"NTNA+": 30, "NTNA-": 8}
    assert reference_list(slots_per_stratum=sizes).slots_for("NTNA-") == base
    assert reference_list(strata=("NTNA-",)).slots_for("NTNA-") == base


def test_reference_study_gets_whole_blocks_of_six() -> None:
    alloc = reference_list()
    assert alloc.strata == STRATA
    for stratum in STRATA:
        slots = alloc.slots_for(stratum)
        assert len(slots) == 12  # 8 asked; whole blocks only
        assert [s.position for s in slots] == list(range(1, 13))
        for members in blocks(slots).values():
            assert len(members) == members[0].block_size == 6
            assert len({s.sequence for s in members}) == 6


def test_crossover_randomizes_by_relabelling_not_by_permuting_periods() -> None:
    # With 4 conditions the Williams set is 4 of the 24 orders, so any period
    # permutation would show up as a sequence outside the relabelled design.
    conditions = ("A", "B", "C", "D")
    possible = {
        frozenset(tuple(perm[i] for i in seq) for seq in williams_design(4))
        for perm in permutations(conditions)
    }
    seen = set()
    for i in range(60):
        alloc = generate_allocation(
            seed=bytes([i]) * 32,
            design="crossover",
            conditions=conditions,
            strata=("s",),
            slots_per_stratum=40,
        )
        slots = alloc.slots_for("s")
        mapping = relabelling(slots, 4)
        assert mapping is not None
        for members in blocks(slots).values():
            seqs = [tuple(mapping[c] for c in s.sequence) for s in members]
            assert check_williams(seqs, 4) == []
        seen.add(frozenset(s.sequence for s in slots))
    assert len(possible) == 6
    assert seen == possible  # every relabelled design occurs: the relabelling is random


def test_sequence_order_is_shuffled_within_blocks() -> None:
    firsts = Counter(
        reference_list(seed=bytes([i]) * 32).slots_for("NTNA+")[0].sequence for i in range(120)
    )
    assert len(firsts) == 6


def test_exact_count_when_target_is_a_multiple_of_the_unit() -> None:
    for target in (6, 12, 18, 30):
        alloc = reference_list(slots_per_stratum=target, block_multiples=(1, 2, 3))
        assert all(len(alloc.slots_for(s)) == target for s in STRATA)
    for i in range(30):  # blocks of 12 or 18 can make 30 only as 12 + 18 or 18 + 12
        alloc = reference_list(seed=bytes([i]) * 32, slots_per_stratum=30, block_multiples=(2, 3))
        assert sorted(blocks(alloc.slots_for("NTNA+"))) == [1, 2]
        assert len(alloc.slots_for("NTNA+")) == 30
    assert len(reference_list(slots_per_stratum=1).slots_for("NTNA+")) == 6


def test_block_sizes_are_drawn_from_the_multiples() -> None:
    sizes = Counter()
    for i in range(40):
        alloc = reference_list(seed=bytes([i]) * 32, slots_per_stratum=60)
        sizes.update(s.block_size for s in alloc.slots)
    assert set(sizes) == {6, 12}


def test_even_number_of_conditions_uses_t_sequences() -> None:
    alloc = reference_list(conditions=("A", "B"), slots_per_stratum=4, block_multiples=(1,))
    slots = alloc.slots_for("NTNA+")
    assert [s.block_size for s in slots] == [2, 2, 2, 2]
    assert {s.sequence for s in slots} == {("A", "B"), ("B", "A")}


def test_parallel_design_with_ratio() -> None:
    alloc = generate_allocation(
        seed=SEED,
        design="parallel",
        conditions=("ACT", "PLA"),
        strata=("all",),
        slots_per_stratum=7,
        ratio={"ACT": 2, "PLA": 1},
    )
    slots = alloc.slots_for("all")
    assert len(slots) == 9
    assert all(len(s.sequence) == 1 for s in slots)
    for members in blocks(slots).values():
        counts = Counter(s.sequence[0] for s in members)
        assert counts["ACT"] == 2 * counts["PLA"]
    report = balance_by_stratum(alloc)["all"]["all"]
    assert report["period_counts"] == [[6, 3]]
    assert report["period_balanced"]


def test_parallel_default_ratio_is_one_each() -> None:
    alloc = reference_list(design="parallel", slots_per_stratum=9, block_multiples=(1,))
    for members in blocks(alloc.slots_for("NTNA+")).values():
        assert sorted(s.sequence[0] for s in members) == sorted(CONDITIONS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"design": "factorial"}, "design must be one of"),
        ({"conditions": ("A",)}, "at least 2 distinct"),
        ({"conditions": ("A", "A")}, "at least 2 distinct"),
        ({"strata": ()}, "at least 1 stratum"),
        ({"slots_per_stratum": 0}, "at least 1 slot"),
        ({"slots_per_stratum": {"NTNA+": 6}}, "exactly the strata"),
        ({"block_multiples": ()}, "block_multiples"),
        ({"ratio": {"PLA": 1, "D80": 1, "D120": 1}}, "parallel designs only"),
        ({"design": "parallel", "ratio": {"PLA": 1}}, "every condition"),
    ],
)
def test_bad_inputs_are_rejected(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        reference_list(**changes)


def test_json_is_canonical_and_round_trips() -> None:
    alloc = reference_list()
    text = alloc.to_json()
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert list(data) == sorted(data)
    again = AllocationList.from_json(text)
    assert again == alloc
    assert again.to_json() == text


def test_from_json_rejects_inconsistent_lists() -> None:
    data = json.loads(reference_list().to_json())
    del data["slots"][0]["sequence"]
    with pytest.raises(ValueError, match="missing"):
        AllocationList.from_json(json.dumps(data))
    data = json.loads(reference_list().to_json())
    data["slots"][0]["sequence"] = ["PLA", "XXX", "D80"]
    with pytest.raises(ValueError, match="unknown condition"):
        AllocationList.from_json(json.dumps(data))
    data = json.loads(reference_list().to_json())
    data["slots"][1]["position"] = 1
    with pytest.raises(ValueError, match="positions are not"):
        AllocationList.from_json(json.dumps(data))


def test_slots_for_unknown_stratum_is_an_error() -> None:
    with pytest.raises(KeyError, match="NTNA0"):
        reference_list().slots_for("NTNA0")


def test_balance_warning() -> None:
    assert balance_warning("crossover", 3, 12) is None
    assert balance_warning("crossover", 3, 8) == (
        "8 participants per stratum cannot balance 6 Williams sequences; "
        "nearest balanced sizes: 6 or 12"
    )
    assert balance_warning("crossover", 3, 4) == (
        "4 participants per stratum cannot balance 6 Williams sequences; nearest balanced size: 6"
    )
    assert balance_warning("crossover", 4, 8) is None
    assert balance_warning("parallel", 2, 10) is None
    assert balance_warning("parallel", 2, 10, {"A": 2, "B": 1}) == (
        "10 participants per stratum cannot balance blocks of 3 (allocation ratio unit); "
        "nearest balanced sizes: 9 or 12"
    )
    assert unit_size("parallel", 2, {"A": 2, "B": 2}) == 4
    with pytest.raises(ValueError):
        balance_warning("crossover", 3, 0)


def test_balance_by_stratum_all_and_used() -> None:
    alloc = reference_list()
    report = balance_by_stratum(alloc, {"NTNA+": {1, 2, 3, 4, 5, 6}, "NTNA-": {1}})
    plus, minus = report["NTNA+"], report["NTNA-"]
    assert (plus["slots"], plus["used"], minus["used"]) == (12, 6, 1)
    assert plus["all"]["period_balanced"] and plus["all"]["carryover_balanced"]
    # The first block is complete, so the used slots are balanced too.
    assert plus["used_slots"]["period_balanced"] and plus["used_slots"]["carryover_balanced"]
    assert plus["used_slots"]["period_counts"] == [[2, 2, 2]] * 3
    assert not minus["used_slots"]["period_balanced"]
    nobody = balance_by_stratum(alloc)["NTNA+"]["used_slots"]
    assert nobody["n_sequences"] == 0 and nobody["period_counts"] == [[0, 0, 0]] * 3


def test_balance_by_stratum_rejects_unknown_strata_and_positions() -> None:
    alloc = reference_list()
    with pytest.raises(ValueError, match="unknown strata"):
        balance_by_stratum(alloc, {"other": {1}})
    with pytest.raises(ValueError, match=r"no positions \[13\]"):
        balance_by_stratum(alloc, {"NTNA+": {13}})


@settings(max_examples=40, deadline=None)
@given(
    seed=st.binary(min_size=32, max_size=32),
    t=st.integers(min_value=2, max_value=5),
    target=st.integers(min_value=1, max_value=40),
    multiples=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=3),
)
def test_any_crossover_list_is_made_of_balanced_blocks(
    seed: bytes, t: int, target: int, multiples: list[int]
) -> None:
    conditions = [f"C{i}" for i in range(t)]
    alloc = generate_allocation(
        seed=seed,
        design="crossover",
        conditions=conditions,
        strata=("s",),
        slots_per_stratum=target,
        block_multiples=multiples,
    )
    slots = alloc.slots_for("s")
    unit = unit_size("crossover", t)
    assert target <= len(slots) < target + unit * max(multiples)
    sizes = {m * unit for m in multiples}
    if fillable(target, sizes):
        assert len(slots) == target
    mapping = relabelling(slots, t)
    assert mapping is not None
    for members in blocks(slots).values():
        assert len(members) in {m * unit for m in multiples}
        assert check_williams([tuple(mapping[c] for c in s.sequence) for s in members], t) == []
