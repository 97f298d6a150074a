"""over_limits, the group view's QC rule over a table, against failed_checks and
scans_left_out, the same rule row by row as the analysis applies it."""

from __future__ import annotations

import numpy as np

from trialcore.counted import failed_checks, over_limits, scans_left_out

LIMITS = {"fd_mean": 0.5, "fd_max": 3.0}


def test_over_limits_leaves_out_what_the_row_by_row_rule_leaves_out() -> None:
    rng = np.random.default_rng(3)
    quality = np.column_stack([rng.choice([np.nan, 0.2, 0.5, 0.51, 0.9], 400),
                               rng.choice([np.nan, 1.0, 3.0, 3.5], 400)])
    first = over_limits(quality, list(LIMITS.values()))
    rows = range(len(quality))
    failures = failed_checks(((i, 0, name, None if np.isnan(q[k]) else q[k])
                              for i, q in zip(rows, quality, strict=True)
                              for k, name in enumerate(LIMITS)), LIMITS)
    out = scans_left_out(list(rows), [0] * len(quality), np.ones(len(quality), bool), failures)
    np.testing.assert_array_equal(first >= 0, out)
    # a scan over both limits is counted under the first the protocol names
    named = {}
    for f in reversed(failures):
        named[f.participant] = list(LIMITS).index(f.measure)
    assert [named.get(i, -1) for i in rows] == first.tolist()
    assert {0, 1} <= set(first.tolist())  # both columns fail somewhere


def test_nothing_checked_leaves_nothing_out() -> None:
    assert over_limits(np.empty((3, 0)), []).tolist() == [-1, -1, -1]
