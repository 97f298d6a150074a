"""Statistics of the summary table, checked against computations written out in the test."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from trialcore.statistics import (
    analyse,
    cell_summaries,
    mixed_model,
    paired_contrasts,
)

CONDITIONS = ["PBO", "MDMA80", "MDMA120"]
STRATA = ["NTNA+", "NTNA-"]
ORDERS = [
    ("PBO", "MDMA80", "MDMA120"),
    ("MDMA80", "MDMA120", "PBO"),
    ("MDMA120", "PBO", "MDMA80"),
    ("PBO", "MDMA120", "MDMA80"),
    ("MDMA80", "PBO", "MDMA120"),
    ("MDMA120", "MDMA80", "PBO"),
]
KW = {"reference": "PBO", "conditions": CONDITIONS, "strata": STRATA}
TERMS = [
    "Intercept",
    "condition[MDMA80]",
    "condition[MDMA120]",
    "stratum[NTNA-]",
    "condition[MDMA80]:stratum[NTNA-]",
    "condition[MDMA120]:stratum[NTNA-]",
    "period",
]


def crossover(values: np.ndarray, measure: str = "amy") -> pd.DataFrame:
    """16 participants (8 per stratum) × 3 periods in Williams orders; values[i, period-1]."""
    rows = []
    for i in range(16):
        for period, condition in enumerate(ORDERS[i % 6], start=1):
            rows.append(
                {
                    "participant": f"P{i + 1:03d}",
                    "stratum": STRATA[i // 8],
                    "condition": condition,
                    "period": period,
                    "measure": measure,
                    "value": float(values[i, period - 1]),
                }
            )
    return pd.DataFrame(rows)


def noisy_crossover(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.normal(0.0, 0.5, size=(16, 1)) + rng.normal(0.0, 0.3, size=(16, 3))
    df = crossover(values)
    df.loc[df["condition"] == "MDMA120", "value"] -= 0.4
    return df


def design_matrix(df: pd.DataFrame) -> np.ndarray:
    """The fixed effects in TERMS order, written out independently of the module."""
    cond = df["condition"]
    minus = (df["stratum"] == "NTNA-").to_numpy(float)
    c80 = (cond == "MDMA80").to_numpy(float)
    c120 = (cond == "MDMA120").to_numpy(float)
    return np.column_stack(
        [np.ones(len(df)), c80, c120, minus, c80 * minus, c120 * minus, df["period"]]
    )


def hand_contrast(df: pd.DataFrame, stratum: str, condition: str) -> dict[str, float]:
    """Paired t statistics by hand: mean, sd/sqrt(n), t quantile and tail."""
    observed = {
        (r.participant, r.condition): r.value
        for r in df.itertuples()
        if r.stratum == stratum and not math.isnan(r.value)
    }
    test = {p: v for (p, c), v in observed.items() if c == condition}
    ref = {p: v for (p, c), v in observed.items() if c == "PBO"}
    d = np.array([test[p] - ref[p] for p in sorted(test.keys() & ref.keys())])
    n = len(d)
    mean = d.mean()
    se = np.sqrt(np.sum((d - mean) ** 2) / (n - 1)) / np.sqrt(n)
    q = stats.t.ppf(0.975, n - 1)
    return {
        "diff": mean,
        "ci_low": mean - q * se,
        "ci_high": mean + q * se,
        "p": 2 * stats.t.sf(abs(mean / se), n - 1),
        "n": n,
    }


def test_cells_match_hand_means_and_sds_in_protocol_order() -> None:
    df = noisy_crossover(1)
    df.loc[[0, 5, 30], "value"] = np.nan
    cells = cell_summaries(df, "amy", strata=STRATA, conditions=CONDITIONS)
    assert [(c.stratum, c.condition) for c in cells] == [(s, c) for s in STRATA for c in CONDITIONS]
    for cell in cells:
        values = [
            v
            for s, c, v in zip(df["stratum"], df["condition"], df["value"], strict=True)
            if s == cell.stratum and c == cell.condition and not math.isnan(v)
        ]
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
        assert cell.n == len(values)
        assert cell.mean == pytest.approx(mean, rel=1e-12)
        assert cell.sd == pytest.approx(sd, rel=1e-12)
    assert sum(c.n for c in cells) == 48 - 3


def test_contrasts_match_hand_paired_t_test() -> None:
    df = noisy_crossover(2)
    contrasts = paired_contrasts(df, "amy", **KW)
    assert [(c.stratum, c.condition, c.versus) for c in contrasts] == [
        (s, c, "PBO") for s in STRATA for c in ("MDMA80", "MDMA120")
    ]
    for contrast in contrasts:
        expected = hand_contrast(df, contrast.stratum, contrast.condition)
        assert contrast.n == expected["n"] == 8
        for key in ("diff", "ci_low", "ci_high", "p"):
            assert getattr(contrast, key) == pytest.approx(expected[key], rel=1e-10), key


def test_a_missing_value_drops_only_that_participants_pairs() -> None:
    df = noisy_crossover(3)
    pbo_of_first = (df["participant"] == "P001") & (df["condition"] == "PBO")
    df.loc[pbo_of_first, "value"] = np.nan
    df.loc[(df["participant"] == "P009") & (df["condition"] == "MDMA80"), "value"] = np.nan
    by_key = {(c.stratum, c.condition): c for c in paired_contrasts(df, "amy", **KW)}
    assert by_key["NTNA+", "MDMA80"].n == 7
    assert by_key["NTNA+", "MDMA120"].n == 7
    assert by_key["NTNA-", "MDMA80"].n == 7
    assert by_key["NTNA-", "MDMA120"].n == 8
    for (stratum, condition), contrast in by_key.items():
        expected = hand_contrast(df, stratum, condition)
        assert contrast.diff == pytest.approx(expected["diff"], rel=1e-10)
        assert contrast.p == pytest.approx(expected["p"], rel=1e-10)


def test_fewer_than_two_pairs_give_nan_not_an_error() -> None:
    df = noisy_crossover(4)
    keep = df["participant"].isin(["P001", "P002", "P009"])
    df.loc[~keep, "value"] = np.nan
    df.loc[(df["participant"] == "P002") & (df["condition"] == "PBO"), "value"] = np.nan
    df.loc[(df["participant"] == "P009") & (df["condition"] == "PBO"), "value"] = np.nan
    by_key = {(c.stratum, c.condition): c for c in paired_contrasts(df, "amy", **KW)}
    one = by_key["NTNA+", "MDMA120"]
    p001 = df[df["participant"] == "P001"].set_index("condition")["value"]
    assert one.n == 1
    assert one.diff == pytest.approx(p001["MDMA120"] - p001["PBO"])
    assert math.isnan(one.ci_low) and math.isnan(one.ci_high) and math.isnan(one.p)
    none = by_key["NTNA-", "MDMA120"]
    assert none.n == 0
    assert all(math.isnan(x) for x in (none.diff, none.ci_low, none.ci_high, none.p))
    cells = {(c.stratum, c.condition): c for c in cell_summaries(df, "amy", **_cells_kw())}
    assert cells["NTNA+", "PBO"].n == 1 and math.isnan(cells["NTNA+", "PBO"].sd)
    empty = cells["NTNA-", "PBO"]
    assert empty.n == 0 and math.isnan(empty.mean) and math.isnan(empty.sd)


def _cells_kw() -> dict[str, list[str]]:
    return {"strata": STRATA, "conditions": CONDITIONS}


def test_identical_differences_collapse_the_interval() -> None:
    df = crossover(np.zeros((16, 3)))
    df.loc[df["condition"] == "MDMA120", "value"] = 2.0
    by_key = {(c.stratum, c.condition): c for c in paired_contrasts(df, "amy", **KW)}
    shifted = by_key["NTNA+", "MDMA120"]
    assert (shifted.diff, shifted.ci_low, shifted.ci_high, shifted.p) == (2.0, 2.0, 2.0, 0.0)
    unchanged = by_key["NTNA+", "MDMA80"]
    assert (unchanged.diff, unchanged.ci_low, unchanged.ci_high) == (0.0, 0.0, 0.0)
    assert math.isnan(unchanged.p)


def test_baseline_rows_and_other_measures_are_ignored() -> None:
    df = noisy_crossover(5)
    extra = pd.DataFrame(
        [
            {
                "participant": "P001",
                "stratum": "NTNA+",
                "condition": None,
                "period": None,
                "measure": "amy",
                "value": 99.0,
            },
            {
                "participant": "P001",
                "stratum": "NTNA+",
                "condition": "PBO",
                "period": 1,
                "measure": "other",
                "value": -99.0,
            },
        ]
    )
    both = pd.concat([df, extra], ignore_index=True)
    assert paired_contrasts(both, "amy", **KW) == paired_contrasts(df, "amy", **KW)
    assert cell_summaries(both, "amy", **_cells_kw()) == cell_summaries(df, "amy", **_cells_kw())


def test_ambiguous_data_and_unknown_reference_are_refused() -> None:
    df = noisy_crossover(6)
    doubled = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    with pytest.raises(ValueError, match=r"P001.*more than one value"):
        paired_contrasts(doubled, "amy", **KW)
    with pytest.raises(ValueError, match="reference condition 'placebo'"):
        paired_contrasts(df, "amy", reference="placebo", conditions=CONDITIONS, strata=STRATA)
    with pytest.raises(ValueError, match="lacks column"):
        cell_summaries(df.drop(columns="period"), "amy", **_cells_kw())
    moved = df.copy()
    moved.loc[0, "stratum"] = "NTNA-"
    with pytest.raises(ValueError, match="more than one stratum"):
        cell_summaries(moved, "amy", **_cells_kw())


@settings(max_examples=25, deadline=None)
@given(
    shifts=st.lists(st.floats(-50, 50), min_size=16, max_size=16),
    seed=st.integers(0, 10_000),
)
def test_participant_offsets_do_not_change_paired_contrasts(shifts: list[float], seed: int) -> None:
    """Why pairing matters: a participant's own level cancels out of every contrast."""
    df = noisy_crossover(seed)
    shifted = df.copy()
    shifted["value"] += np.repeat(shifts, 3)
    for a, b in zip(
        paired_contrasts(df, "amy", **KW), paired_contrasts(shifted, "amy", **KW), strict=True
    ):
        assert b.diff == pytest.approx(a.diff, abs=1e-9)
        assert b.ci_low == pytest.approx(a.ci_low, abs=1e-9)
        assert b.p == pytest.approx(a.p, abs=1e-6)
        assert b.ci_low <= b.diff <= b.ci_high


def test_mixed_model_recovers_known_fixed_effects_exactly() -> None:
    """Balanced crossover: participant intercepts that sum to zero in each stratum and
    residuals orthogonal to the fixed and participant columns leave only the truth."""
    df = crossover(np.zeros((16, 3)))
    x = design_matrix(df)
    truth = np.array([1.0, -0.3, -0.6, -0.8, 0.25, 0.55, 0.05])
    rng = np.random.default_rng(11)
    intercepts = rng.normal(0.0, 0.5, 16)
    intercepts[:8] -= intercepts[:8].mean()
    intercepts[8:] -= intercepts[8:].mean()
    z = pd.get_dummies(df["participant"]).to_numpy(float)
    basis, _ = np.linalg.qr(np.column_stack([x, z]))
    noise = rng.normal(0.0, 0.2, len(df))
    noise -= basis @ (basis.T @ noise)
    df["value"] = x @ truth + z @ intercepts + noise

    result = mixed_model(df, "amy", **KW)
    assert result.converged
    assert [t.term for t in result.terms] == TERMS
    np.testing.assert_allclose([t.estimate for t in result.terms], truth, atol=1e-6)


def test_mixed_model_matches_ols_with_participant_dummies_in_a_balanced_design() -> None:
    df = noisy_crossover(7)
    result = mixed_model(df, "amy", **KW)
    x = design_matrix(df)
    y = df["value"].to_numpy()
    ols = np.linalg.lstsq(x, y, rcond=None)[0]
    np.testing.assert_allclose([t.estimate for t in result.terms], ols, atol=1e-6)

    # Within-participant terms: their standard errors are those of the fixed-participant
    # model, whose residual variance REML reproduces in a complete balanced design.
    within = [1, 2, 4, 5, 6]
    w = np.column_stack([pd.get_dummies(df["participant"]).to_numpy(float), x[:, within]])
    beta = np.linalg.lstsq(w, y, rcond=None)[0]
    residual = y - w @ beta
    s2 = residual @ residual / (len(y) - w.shape[1])
    se = np.sqrt(np.diag(s2 * np.linalg.inv(w.T @ w)))[-len(within) :]
    got = [result.terms[i] for i in within]
    np.testing.assert_allclose([t.se for t in got], se, rtol=1e-4)
    for term in got:
        assert term.p == pytest.approx(2 * stats.norm.sf(abs(term.estimate / term.se)))


def test_mixed_model_leaves_out_what_the_data_cannot_estimate() -> None:
    df = noisy_crossover(8)
    df.loc[(df["stratum"] == "NTNA-") & (df["condition"] == "MDMA80"), "value"] = np.nan
    result = mixed_model(df, "amy", **KW)
    assert "condition[MDMA80]:stratum[NTNA-]" not in [t.term for t in result.terms]
    assert any("condition[MDMA80]:stratum[NTNA-]" in w for w in result.warnings)
    assert len(result.terms) == len(TERMS) - 1


def test_mixed_model_with_too_little_data_reports_instead_of_failing() -> None:
    df = noisy_crossover(9)
    df.loc[df.index[3:], "value"] = np.nan
    result = mixed_model(df, "amy", **KW)
    assert result.terms == [] and not result.converged
    assert any("too few" in w for w in result.warnings)


def test_mixed_model_keeps_fit_warnings_to_itself_and_still_gives_standard_errors() -> None:
    """Identical participant means put the participant variance at zero, on the boundary
    where statsmodels' own Hessian is singular: warned about in the result, not printed."""
    rng = np.random.default_rng(10)
    values = rng.normal(0.0, 0.3, size=(16, 3))
    values -= values.mean(axis=1, keepdims=True)
    df = crossover(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = mixed_model(df, "amy", **KW)
    assert [t.term for t in result.terms] == TERMS
    assert any("boundary" in w or "singular" in w for w in result.warnings)
    x = design_matrix(df)
    y = df["value"].to_numpy()
    ols, rss, *_ = np.linalg.lstsq(x, y, rcond=None)
    np.testing.assert_allclose([t.estimate for t in result.terms], ols, atol=1e-6)
    # No participant variance left: the model is ordinary least squares.
    ols_se = np.sqrt(np.diag(rss[0] / (len(y) - x.shape[1]) * np.linalg.inv(x.T @ x)))
    np.testing.assert_allclose([t.se for t in result.terms], ols_se, rtol=1e-4)


def test_analyse_gives_the_json_document_of_the_brief() -> None:
    df = pd.concat(
        [noisy_crossover(12), noisy_crossover(13).assign(measure="sg")], ignore_index=True
    )
    df.loc[(df["measure"] == "sg") & (df["stratum"] == "NTNA-"), "value"] = np.nan
    doc = analyse(df, measures=["amy", "sg"], **KW)
    json.dumps(doc, allow_nan=False)
    assert list(doc) == ["measures"]
    assert [m["measure"] for m in doc["measures"]] == ["amy", "sg"]
    for m in doc["measures"]:
        assert list(m) == ["measure", "cells", "contrasts", "mixed_model", "notes"]
        assert all(isinstance(n, str) for n in m["notes"])
        assert all(list(c) == ["stratum", "condition", "mean", "sd", "n"] for c in m["cells"])
        assert all(
            list(c) == ["stratum", "condition", "versus", "diff", "ci_low", "ci_high", "p"]
            for c in m["contrasts"]
        )
        assert all(list(t) == ["term", "estimate", "se", "p"] for t in m["mixed_model"])
    amy = doc["measures"][0]
    cells = cell_summaries(df, "amy", **_cells_kw())
    assert [c["mean"] for c in amy["cells"]] == [c.mean for c in cells]
    expected = hand_contrast(df[df["measure"] == "amy"], "NTNA+", "MDMA120")
    assert amy["contrasts"][1]["diff"] == pytest.approx(expected["diff"])
    assert [t["term"] for t in amy["mixed_model"]] == TERMS
    sg = doc["measures"][1]
    empty = [c for c in sg["cells"] if c["stratum"] == "NTNA-"]
    assert all(c["mean"] is None and c["sd"] is None and c["n"] == 0 for c in empty)
    assert all(c["p"] is None for c in sg["contrasts"] if c["stratum"] == "NTNA-")


def test_a_failed_quality_check_drops_that_scan_and_keeps_the_questionnaires() -> None:
    from trialcore.statistics import exclude_failed_scans

    rows = [("P1", "A", "PBO", 1, "fd_mean", 0.7), ("P1", "A", "PBO", 1, "amyg", 1.0),
            ("P1", "A", "PBO", 1, "anxiety", 9.0), ("P1", "A", "HI", 2, "fd_mean", 0.2),
            ("P1", "A", "HI", 2, "amyg", 2.0), ("P2", "A", "PBO", 1, "fd_mean", 0.5),
            ("P2", "A", "PBO", 1, "amyg", 3.0)]
    df = pd.DataFrame(rows, columns=["participant", "stratum", "condition", "period",
                                     "measure", "value"])
    kept, excluded = exclude_failed_scans(df, {"fd_mean": 0.5}, {"fd_mean", "amyg"})
    assert sorted(map(tuple, kept[["participant", "period", "measure"]].to_numpy())) == [
        ("P1", 1, "anxiety"), ("P1", 2, "amyg"), ("P1", 2, "fd_mean"), ("P2", 1, "amyg"),
        ("P2", 1, "fd_mean")]  # at the limit is not above it
    assert excluded == [{"participant": "P1", "condition": "PBO", "period": 1,
                         "measure": "fd_mean", "value": 0.7, "limit": 0.5}]
    assert exclude_failed_scans(df, {}, {"amyg"}) == (df, [])


def synthetic_fd_crossover(seed: int) -> pd.DataFrame:
    """The crossover above with trialcore.synthetic's head motion (fd_mean) as the value."""
    from trialcore.synthetic import synthetic_scan_values

    df = crossover(np.zeros((16, 3)), "fd_mean")
    rows = [{"participant": r.participant, "visit": f"dose{r.period}", "stratum": r.stratum,
             "condition": r.condition, "period": r.period} for r in df.itertuples()]
    df["value"] = [v["fd_mean"] for v in synthetic_scan_values(rows, seed=seed)]
    return df


def test_mixed_model_keeps_the_best_converged_fit_not_the_first() -> None:
    from statsmodels.regression.mixed_linear_model import MixedLM

    from trialcore.statistics import _design, _estimable, _measure_rows, fits

    df = synthetic_fd_crossover(64)
    rows = _measure_rows(df, "fd_mean", CONDITIONS, STRATA)
    design, _ = _estimable(_design(rows, "PBO", CONDITIONS, STRATA))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = fits(MixedLM(rows["value"].to_numpy(float), design,
                             groups=rows["participant"].to_numpy()), [])
        result = mixed_model(df, "fd_mean", **KW)
    converged = {method: fit for method, fit, _ in found if fit.converged}
    best = max(converged, key=lambda m: converged[m].llf)
    first = found[0][0]
    assert first in converged and converged[first].llf < converged[best].llf  # the case
    assert result.converged
    assert any(note.startswith(f"fitted by {best}:") for note in result.warnings)
    assert [t.estimate for t in result.terms] == pytest.approx(
        list(converged[best].fe_params), rel=1e-12)
