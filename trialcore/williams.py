"""Williams designs: crossover sequences balanced for first-order carry-over.

In a Williams design every condition appears equally often in every period,
and every ordered pair of different conditions (A directly followed by B)
occurs equally often, so a lingering effect of the previous dose is spread
evenly over conditions. Conditions are integers ``0 .. t-1`` here; the
allocation module maps them to condition codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

Seq = Sequence[int]


def williams_design(t: int) -> list[tuple[int, ...]]:
    """Return the standard Williams sequences for ``t`` conditions.

    Base sequence ``0, 1, t-1, 2, t-2, ...`` and its ``t`` cyclic shifts
    (adding ``i`` mod ``t``). For odd ``t`` that alone is not carry-over
    balanced, so the mirror image of each sequence is added: ``2t`` in all.
    """
    if t < 2:
        raise ValueError(f"a crossover needs at least 2 conditions, got {t}")
    base = [0]
    low, high = 1, t - 1
    while len(base) < t:
        base.append(low)
        low += 1
        if len(base) < t:
            base.append(high)
            high -= 1
    rows = [tuple((c + i) % t for c in base) for i in range(t)]
    if t % 2:
        rows += [row[::-1] for row in rows]
    return rows


def sequence_count(t: int) -> int:
    """Number of sequences in ``williams_design(t)``: t if even, 2t if odd."""
    return t if t % 2 == 0 else 2 * t


def _counts(seqs: Sequence[Seq], t: int, periods: int) -> tuple[list[list[int]], list[list[int]]]:
    period_counts = [[0] * t for _ in range(periods)]
    carryover = [[0] * t for _ in range(t)]
    for number, seq in enumerate(seqs, start=1):
        if len(seq) != periods:
            raise ValueError(f"sequence {number} has {len(seq)} periods, expected {periods}")
        for c in seq:
            if not 0 <= c < t:
                raise ValueError(f"sequence {number} has condition {c}, outside 0..{t - 1}")
        for p, c in enumerate(seq):
            period_counts[p][c] += 1
        for a, b in pairwise(seq):
            carryover[a][b] += 1
    return period_counts, carryover


def _proportional(counts: Sequence[int], weights: Sequence[int]) -> bool:
    total, weight_sum = sum(counts), sum(weights)
    return all(c * weight_sum == total * w for c, w in zip(counts, weights, strict=True))


def _off_diagonal(matrix: Sequence[Sequence[int]]) -> list[int]:
    return [v for a, row in enumerate(matrix) for b, v in enumerate(row) if a != b]


def balance_report(
    seqs: Sequence[Seq],
    t: int,
    *,
    periods: int | None = None,
    weights: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Count conditions per period and ordered adjacent pairs, for any list.

    Works on incomplete or unbalanced lists (e.g. only the slots already
    used) so a report can show how far enrolment is from balance.
    ``periods`` defaults to the length of the first sequence, or ``t`` for an
    empty list. ``weights`` (one per condition, default equal) says what
    "balanced" means per period, e.g. a 2:1 parallel-group ratio.

    Returns ``n_sequences``, ``period_counts[period][condition]``,
    ``carryover_counts[previous][next]`` (diagonal always 0 for valid
    sequences), ``period_balanced`` and ``carryover_balanced``.
    """
    if periods is None:
        periods = len(seqs[0]) if seqs else t
    weights = [1] * t if weights is None else list(weights)
    if len(weights) != t or any(w < 0 for w in weights) or not any(weights):
        raise ValueError(f"weights must be {t} non-negative integers, not all zero")
    period_counts, carryover = _counts(seqs, t, periods)
    return {
        "n_sequences": len(seqs),
        "period_counts": period_counts,
        "carryover_counts": carryover,
        "period_balanced": all(_proportional(row, weights) for row in period_counts),
        "carryover_balanced": len(set(_off_diagonal(carryover))) <= 1,
    }


def check_williams(seqs: Sequence[Seq], t: int) -> list[str]:
    """List what keeps ``seqs`` from being a Williams design (empty = balanced)."""
    if not seqs:
        return ["no sequences"]
    problems = [
        f"sequence {number} {tuple(seq)} does not contain each of 0..{t - 1} exactly once"
        for number, seq in enumerate(seqs, start=1)
        if sorted(seq) != list(range(t))
    ]
    if problems:
        return problems
    report = balance_report(seqs, t)
    for period, row in enumerate(report["period_counts"], start=1):
        if len(set(row)) > 1:
            problems.append(f"period {period} has unequal condition counts {row}")
    pairs = report["carryover_counts"]
    if not report["carryover_balanced"]:
        counts = _off_diagonal(pairs)
        low, high = min(counts), max(counts)
        uneven = [
            f"{a}->{b}: {pairs[a][b]}"
            for a in range(t)
            for b in range(t)
            if a != b and pairs[a][b] in (low, high)
        ]
        problems.append(
            f"ordered pairs are not adjacent equally often ({low} to {high}); " + ", ".join(uneven)
        )
    return problems
