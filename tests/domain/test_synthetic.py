"""The demo's synthetic data: deterministic, shaped like the reference study, and robust
enough across seeds that the demo shows the reported pattern whatever seed it uses."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from trialcore.statistics import Contrast, mixed_model, paired_contrasts
from trialcore.synthetic import synthetic_item_responses, synthetic_scan_values

CONDITIONS = ["PBO", "MDMA80", "MDMA120"]
STRATA = ["NTNA+", "NTNA-"]
KW = {"reference": "PBO", "conditions": CONDITIONS, "strata": STRATA}
# Williams design for three conditions: both Latin squares, balanced for carry-over.
WILLIAMS = [
    ("PBO", "MDMA80", "MDMA120"),
    ("MDMA80", "MDMA120", "PBO"),
    ("MDMA120", "PBO", "MDMA80"),
    ("PBO", "MDMA120", "MDMA80"),
    ("MDMA80", "PBO", "MDMA120"),
    ("MDMA120", "MDMA80", "PBO"),
]
ITEMS = {
    "likability_angry": ["lik_angry_1", "lik_angry_2", "lik_angry_3", "lik_angry_4"],
    "subjective_anxiety": ["anx_1", "anx_2", "anx_3", "anx_4"],
    "subjective_introspection": ["intro_1", "intro_2", "intro_3", "intro_4"],
}
RANGES = {
    "likability_angry": (1, 9),
    "subjective_anxiety": (1, 5),
    "subjective_introspection": (1, 5),
}
SEEDS = range(20)


def visit_rows() -> list[dict[str, Any]]:
    """16 participants, 8 per stratum: a baseline scan, then three dosing visits in the
    order of their Williams sequence (sequences dealt in turn within each stratum)."""
    rows: list[dict[str, Any]] = []
    for i in range(16):
        participant, stratum = f"P{i + 1:03d}", STRATA[i // 8]
        rows.append(
            {
                "participant": participant,
                "stratum": stratum,
                "visit": "baseline",
                "condition": None,
                "period": None,
            }
        )
        for period, condition in enumerate(WILLIAMS[i % 8 % 6], start=1):
            rows.append(
                {
                    "participant": participant,
                    "stratum": stratum,
                    "visit": f"dose{period}",
                    "condition": condition,
                    "period": period,
                }
            )
    return rows


def tidy(
    rows: list[dict[str, Any]], values: list[dict[str, Any]], measures: list[str]
) -> pd.DataFrame:
    """The statistics module's input: dosing visits only, one row per measure."""
    return pd.DataFrame(
        [
            {
                "participant": r["participant"],
                "stratum": r["stratum"],
                "condition": r["condition"],
                "period": r["period"],
                "measure": m,
                "value": v[m],
            }
            for r, v in zip(rows, values, strict=True)
            if r["condition"] is not None
            for m in measures
        ]
    )


def scan_table(seed: int) -> pd.DataFrame:
    rows = visit_rows()
    measures = ["amygdala_threat", "sgacc_threat", "amyg_sgacc_conn"]
    return tidy(rows, synthetic_scan_values(rows, seed=seed), measures)


def contrast(df: pd.DataFrame, measure: str, stratum: str, condition: str = "MDMA120") -> Contrast:
    return next(
        c
        for c in paired_contrasts(df, measure, **KW)
        if c.stratum == stratum and c.condition == condition
    )


def test_amygdala_pattern_of_the_report_holds_for_almost_every_seed() -> None:
    shown = 0
    for seed in SEEDS:
        df = scan_table(seed)
        high = contrast(df, "amygdala_threat", "NTNA+")
        low = contrast(df, "amygdala_threat", "NTNA-")
        assert high.n == low.n == 8
        shown += high.diff < 0 and high.ci_high < 0 and low.ci_low <= 0 <= low.ci_high
    assert shown >= 18


def test_sgacc_falls_and_connectivity_rises_in_ntna_plus() -> None:
    shown = 0
    for seed in SEEDS:
        df = scan_table(seed)
        sgacc = contrast(df, "sgacc_threat", "NTNA+")
        coupling = contrast(df, "amyg_sgacc_conn", "NTNA+")
        shown += sgacc.ci_high < 0 and coupling.ci_low > 0
    assert shown >= 18


def test_80_mg_is_about_half_of_120_mg() -> None:
    ratios = []
    for seed in SEEDS:
        df = scan_table(seed)
        ratios.append(
            contrast(df, "amygdala_threat", "NTNA+", "MDMA80").diff
            / contrast(df, "amygdala_threat", "NTNA+").diff
        )
    assert 0.35 < float(np.mean(ratios)) < 0.65


def test_mixed_model_on_the_demo_data_shows_the_interaction() -> None:
    result = mixed_model(scan_table(0), "amygdala_threat", **KW)
    terms = {t.term: t for t in result.terms}
    assert result.converged
    assert terms["condition[MDMA120]"].estimate < 0 and terms["condition[MDMA120]"].p < 0.05
    assert terms["condition[MDMA120]:stratum[NTNA-]"].estimate > 0


def test_baseline_amygdala_reproduces_each_participants_stratum() -> None:
    rows = visit_rows()
    for seed in SEEDS:
        for row, value in zip(rows, synthetic_scan_values(rows, seed=seed), strict=True):
            if row["condition"] is None:
                assert (value["amygdala_threat"] >= 0.5) == (row["stratum"] == "NTNA+")


def test_qc_values_look_like_real_scans() -> None:
    rows = visit_rows()
    fd = np.array([v["fd_mean"] for s in SEEDS for v in synthetic_scan_values(rows, seed=s)])
    tsnr = np.array([v["tsnr"] for s in SEEDS for v in synthetic_scan_values(rows, seed=s)])
    assert (fd > 0).all()
    assert np.mean((fd >= 0.05) & (fd <= 0.3)) > 0.8
    assert 0.01 < np.mean(fd > 0.5) < 0.15
    assert np.mean((tsnr >= 40) & (tsnr <= 80)) > 0.9


def test_values_are_deterministic_and_independent_of_the_other_rows() -> None:
    rows = visit_rows()
    first = synthetic_scan_values(rows, seed=3)
    assert synthetic_scan_values(rows, seed=3) == first
    assert synthetic_scan_values(rows, seed=4) != first
    # The demo generates baseline scans before it knows the dosing visits.
    assert synthetic_scan_values(rows[::-1], seed=3) == first[::-1]
    assert synthetic_scan_values([rows[5]], seed=3) == [first[5]]
    assert [sorted(v) for v in first[:1]] == [
        [
            "amyg_sgacc_conn",
            "amygdala_threat",
            "fd_mean",
            "participant",
            "sgacc_threat",
            "tsnr",
            "visit",
        ]
    ]


def test_unknown_strata_conditions_and_seeds_are_refused() -> None:
    row = visit_rows()[1]
    with pytest.raises(ValueError, match="strata"):
        synthetic_scan_values([{**row, "stratum": "high"}], seed=1)
    with pytest.raises(ValueError, match="conditions"):
        synthetic_scan_values([{**row, "condition": "placebo"}], seed=1)
    with pytest.raises(ValueError, match="seed"):
        synthetic_scan_values([row], seed=-1)
    with pytest.raises(ValueError, match="range"):
        synthetic_item_responses([row], items=ITEMS, ranges={}, seed=1)


def responses(seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [r for r in visit_rows() if r["condition"] is not None]
    return rows, synthetic_item_responses(
        rows, items=ITEMS, ranges=RANGES, seed=seed, reverse={"anx_3"}
    )


def scale_scores(seed: int) -> pd.DataFrame:
    """Item means per scale, with the reverse-keyed item scored back."""
    rows, answers = responses(seed)
    records = []
    for row, answer in zip(rows, answers, strict=True):
        for scale, names in ITEMS.items():
            low, high = RANGES[scale]
            scored = [low + high - answer[i] if i == "anx_3" else answer[i] for i in names]
            records.append(
                {
                    "participant": row["participant"],
                    "stratum": row["stratum"],
                    "condition": row["condition"],
                    "period": row["period"],
                    "measure": scale,
                    "value": float(np.mean(scored)),
                }
            )
    return pd.DataFrame(records)


def test_item_responses_are_integers_in_range_and_deterministic() -> None:
    rows, answers = responses(5)
    assert responses(5)[1] == answers
    for answer in answers:
        for scale, names in ITEMS.items():
            low, high = RANGES[scale]
            assert all(isinstance(answer[i], int) and low <= answer[i] <= high for i in names)
    assert len(answers) == len(rows) == 48


def test_angry_faces_are_liked_more_under_mdma_in_ntna_plus() -> None:
    shown = 0
    for seed in SEEDS:
        df = scale_scores(seed)
        high = contrast(df, "likability_angry", "NTNA+")
        low = contrast(df, "likability_angry", "NTNA-")
        shown += high.ci_low > 0 and high.diff > low.diff
    assert shown >= 18


def test_subjective_effects_rise_with_dose() -> None:
    means = (
        pd.concat(scale_scores(s) for s in SEEDS)
        .groupby(["measure", "stratum", "condition"])["value"]
        .mean()
    )
    for scale in ("subjective_anxiety", "subjective_introspection"):
        for stratum in STRATA:
            pbo, mid, top = (means[scale, stratum, c] for c in CONDITIONS)
            assert pbo < mid < top
        assert (
            means[scale, "NTNA+", "MDMA120"] - means[scale, "NTNA+", "PBO"]
            > means[scale, "NTNA-", "MDMA120"] - means[scale, "NTNA-", "PBO"]
        )
