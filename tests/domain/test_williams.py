"""Williams designs: construction, checking and reports on partial lists."""

from itertools import permutations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialcore.williams import balance_report, check_williams, sequence_count, williams_design


def test_three_conditions_give_all_six_orders() -> None:
    design = williams_design(3)
    assert design[:3] == [(0, 1, 2), (1, 2, 0), (2, 0, 1)]
    assert design[3:] == [(2, 1, 0), (0, 2, 1), (1, 0, 2)]
    assert set(design) == set(permutations(range(3)))


def test_four_conditions_standard_construction() -> None:
    assert williams_design(4) == [(0, 1, 3, 2), (1, 2, 0, 3), (2, 3, 1, 0), (3, 0, 2, 1)]


def test_base_sequence_alternates_low_and_high() -> None:
    assert williams_design(6)[0] == (0, 1, 5, 2, 4, 3)
    assert williams_design(5)[0] == (0, 1, 4, 2, 3)


@given(st.integers(min_value=2, max_value=8))
def test_every_design_is_balanced(t: int) -> None:
    design = williams_design(t)
    assert len(design) == sequence_count(t) == (t if t % 2 == 0 else 2 * t)
    assert check_williams(design, t) == []
    report = balance_report(design, t)
    assert report["period_balanced"] and report["carryover_balanced"]
    pairs = len(design) * (t - 1) // (t * (t - 1))
    assert all(
        report["carryover_counts"][a][b] == (0 if a == b else pairs)
        for a in range(t)
        for b in range(t)
    )


def test_fewer_than_two_conditions_is_rejected() -> None:
    with pytest.raises(ValueError):
        williams_design(1)


def test_odd_design_without_mirrors_is_not_carryover_balanced() -> None:
    problems = check_williams(williams_design(3)[:3], 3)
    assert len(problems) == 1
    assert "ordered pairs are not adjacent equally often (0 to 2)" in problems[0]
    assert "0->2: 0" in problems[0]


def test_check_names_broken_sequences_and_periods() -> None:
    assert check_williams([], 3) == ["no sequences"]
    problems = check_williams([(0, 0, 2), (1, 2, 0)], 3)
    assert problems == ["sequence 1 (0, 0, 2) does not contain each of 0..2 exactly once"]
    # A Latin square is period-balanced; dropping a row breaks the periods.
    problems = check_williams(williams_design(4)[:3], 4)
    assert any(p.startswith("period 1 has unequal condition counts") for p in problems)


def test_report_on_partial_list() -> None:
    used = williams_design(3)[:2]
    report = balance_report(used, 3)
    assert report["n_sequences"] == 2
    assert report["period_counts"] == [[1, 1, 0], [0, 1, 1], [1, 0, 1]]
    assert report["carryover_counts"] == [[0, 1, 0], [0, 0, 2], [1, 0, 0]]
    assert not report["period_balanced"]
    assert not report["carryover_balanced"]


def test_report_on_empty_list_needs_no_sequences() -> None:
    report = balance_report([], 3)
    assert report["period_counts"] == [[0, 0, 0]] * 3
    assert balance_report([], 2, periods=1)["period_counts"] == [[0, 0]]


def test_report_weights_define_balance_for_a_ratio() -> None:
    seqs = [(0,), (0,), (1,)]
    assert not balance_report(seqs, 2)["period_balanced"]
    assert balance_report(seqs, 2, weights=[2, 1])["period_balanced"]
    with pytest.raises(ValueError):
        balance_report(seqs, 2, weights=[1])


def test_report_rejects_malformed_sequences() -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.2"):
        balance_report([(0, 1, 3)], 3)
    with pytest.raises(ValueError, match="2 periods, expected 3"):
        balance_report([(0, 1, 2), (0, 1)], 3)
