"""Which stored values count in the analysis and in the group plot.

One rule for every reader, so a table and a plot of the same measure always count
the same values:

* a value stored on a visit that was not given (logged missed, or cancelled)
  stays in the database and in exports, but is never analysed: it would be
  counted under a condition the participant did not receive;
* a scan whose quality measure is above the protocol's ``qc_max`` is unusable,
  and with it every scan measure of that participant at that visit;
  questionnaire scores of the visit still count.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

NOT_GIVEN = frozenset({"missed", "cancelled"})


def given(status: str | None) -> bool:
    """Whether values stored on a visit of this status are analysed and plotted as data."""
    return status not in NOT_GIVEN


@dataclass(frozen=True)
class FailedCheck:
    """One quality value above its limit: the scans of (participant, occasion) are out."""

    participant: Hashable
    occasion: Hashable
    measure: str
    value: float
    limit: float


def failed_checks(rows: Iterable[tuple[Hashable, Hashable, str, float | None]],
                  limits: Mapping[str, float]) -> list[FailedCheck]:
    """The (participant, occasion, measure, value) rows whose quality value is above its
    limit; an occasion is whatever names one visit of a participant (visit id, period)."""
    return [FailedCheck(who, occasion, measure, float(value), float(limits[measure]))
            for who, occasion, measure, value in rows
            if measure in limits and value is not None and float(value) > limits[measure]]


def scans_left_out(participant: Sequence[Hashable], occasion: Sequence[Hashable],
                   is_scan: np.ndarray, failures: Iterable[FailedCheck]) -> np.ndarray:
    """A mask over rows: the scan measures (`is_scan`) of every participant and occasion
    with a failed quality check."""
    bad = {(f.participant, f.occasion) for f in failures}
    out = np.zeros(len(is_scan), dtype=bool)
    if bad:
        rows = np.flatnonzero(is_scan)
        out[rows] = [(participant[i], occasion[i]) in bad for i in rows]
    return out


def over_limits(quality: np.ndarray, limits: Sequence[float]) -> np.ndarray:
    """failed_checks and scans_left_out over a table at once: `quality` holds one row
    per participant and occasion, one column per checked measure (NaN: none), `limits`
    their limits in the same order. Per row, the index of the first column above its
    limit (the measure its scans are left out under), -1 where none is."""
    if quality.shape[1] == 0:  # nothing checked (a questionnaire score): none fails
        return np.full(len(quality), -1)
    with np.errstate(invalid="ignore"):  # NaN is above no limit
        over = quality > np.asarray(limits, dtype=float)
    return np.where(over.any(axis=1), over.argmax(axis=1), -1)
