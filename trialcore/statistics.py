"""Summary statistics of an unblinded crossover study: cells, paired contrasts, a mixed model.

Everything works on one tidy table (one row per participant, condition and measure) so
that the service layer can build it from any database and the GUI, CLI and exports all
report the same numbers. Rows whose condition is not one of the analysed conditions
(for example the baseline visit, whose condition is empty) are ignored, and a missing
value (NaN) simply leaves that participant out of whatever needs it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from trialcore.counted import failed_checks, scans_left_out

# scipy and statsmodels are imported by the functions that use them: together they take
# over a second to import, and the Analysis tab opens long before a study is unblinded.
REQUIRED_COLUMNS = ("participant", "stratum", "condition", "period", "measure", "value")
CONFIDENCE = 0.95
# Every optimiser is tried and the highest REML log-likelihood among the converged fits
# kept: statsmodels calls a fit converged when its optimiser stops, which can be short
# of the maximum another optimiser reaches (seen on 2 of 100 synthetic studies).
FIT_METHODS = ("lbfgs", "bfgs", "powell", "nm", "cg")


@dataclass(frozen=True, slots=True)
class Cell:
    """Descriptive statistics of one stratum × condition cell of a measure."""

    stratum: str
    condition: str
    mean: float
    sd: float
    n: int


@dataclass(frozen=True, slots=True)
class Contrast:
    """Within-participant difference ``condition − versus`` in one stratum."""

    stratum: str
    condition: str
    versus: str
    diff: float
    ci_low: float
    ci_high: float
    p: float
    n: int


@dataclass(frozen=True, slots=True)
class Term:
    """One fixed effect of the mixed model (p from the Wald z statistic)."""

    term: str
    estimate: float
    se: float
    p: float


@dataclass(frozen=True, slots=True)
class MixedModelResult:
    """Fixed effects plus what a statistician needs to judge the fit."""

    terms: list[Term]
    converged: bool
    warnings: list[str]


def _measure_rows(
    df: pd.DataFrame, measure: str, conditions: Sequence[str], strata: Sequence[str]
) -> pd.DataFrame:
    """Observed values of one measure in the analysed cells, checked for ambiguity.

    A participant with two values for the same condition, or in two strata, would make
    every paired number ambiguous, so that is refused rather than silently averaged.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"analysis table lacks column(s): {', '.join(missing)}")
    rows = df.loc[
        (df["measure"] == measure)
        & df["condition"].isin(list(conditions))
        & df["stratum"].isin(list(strata)),
        list(REQUIRED_COLUMNS),
    ].copy()
    rows["value"] = pd.to_numeric(rows["value"], errors="coerce").astype(float)
    rows = rows.loc[np.isfinite(rows["value"])]
    duplicated = rows.duplicated(["participant", "condition"], keep=False)
    if duplicated.any():
        first = rows.loc[duplicated].iloc[0]
        raise ValueError(
            f"measure {measure!r}: participant {first['participant']!r} has more than one "
            f"value for condition {first['condition']!r}"
        )
    strata_per_participant = rows.groupby("participant")["stratum"].nunique()
    if (strata_per_participant > 1).any():
        who = strata_per_participant[strata_per_participant > 1].index[0]
        raise ValueError(f"measure {measure!r}: participant {who!r} is in more than one stratum")
    return rows


def _check_reference(reference: str, conditions: Sequence[str]) -> None:
    if reference not in conditions:
        raise ValueError(f"reference condition {reference!r} is not one of {list(conditions)}")


def cell_summaries(
    df: pd.DataFrame, measure: str, *, strata: Sequence[str], conditions: Sequence[str]
) -> list[Cell]:
    """Mean, SD (ddof=1) and n per stratum × condition, in the order the protocol gives.

    Every cell is reported, empty ones with n=0 and NaN statistics, so tables keep
    their shape whatever is missing.
    """
    rows = _measure_rows(df, measure, conditions, strata)
    cells = []
    for stratum in strata:
        for condition in conditions:
            values = rows.loc[
                (rows["stratum"] == stratum) & (rows["condition"] == condition), "value"
            ].to_numpy()
            n = len(values)
            mean = float(values.mean()) if n else math.nan
            sd = float(values.std(ddof=1)) if n > 1 else math.nan
            cells.append(Cell(stratum, condition, mean, sd, n))
    return cells


def _paired_test(differences: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, t confidence interval and two-sided p of paired differences.

    Identical differences (common with integer rating scales) have no spread: the
    interval collapses on the mean and p is 0, or undefined when every difference is 0.
    """
    n = len(differences)
    if n == 0:
        return math.nan, math.nan, math.nan, math.nan
    diff = float(differences.mean())
    if n < 2:
        return diff, math.nan, math.nan, math.nan
    se = float(differences.std(ddof=1)) / math.sqrt(n)
    if se == 0.0:
        return diff, diff, diff, (0.0 if diff != 0.0 else math.nan)
    from scipy import stats

    half_width = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * se
    p = float(2 * stats.t.sf(abs(diff) / se, n - 1))
    return diff, diff - half_width, diff + half_width, p


def paired_contrasts(
    df: pd.DataFrame,
    measure: str,
    *,
    reference: str,
    conditions: Sequence[str],
    strata: Sequence[str],
) -> list[Contrast]:
    """Paired t statistics of each condition against the reference, per stratum.

    Only participants with both values count; with fewer than two of them the interval
    and p are NaN (the mean difference is still given when there is one pair).
    """
    _check_reference(reference, conditions)
    rows = _measure_rows(df, measure, conditions, strata)
    contrasts = []
    for stratum in strata:
        wide = rows.loc[rows["stratum"] == stratum].pivot(
            index="participant", columns="condition", values="value"
        )
        for condition in conditions:
            if condition == reference:
                continue
            if condition in wide.columns and reference in wide.columns:
                differences = (wide[condition] - wide[reference]).dropna().to_numpy()
            else:
                differences = np.empty(0)
            diff, low, high, p = _paired_test(differences)
            contrasts.append(
                Contrast(stratum, condition, reference, diff, low, high, p, len(differences))
            )
    return contrasts


def _design(
    rows: pd.DataFrame, reference: str, conditions: Sequence[str], strata: Sequence[str]
) -> pd.DataFrame:
    """Treatment-coded fixed effects with readable names, built by hand.

    Building the matrix directly (rather than through a formula) keeps arbitrary
    condition and stratum codes such as ``NTNA-`` safe from formula parsing.
    """
    columns: dict[str, np.ndarray] = {"Intercept": np.ones(len(rows))}
    condition_dummies = {
        f"condition[{c}]": (rows["condition"] == c).to_numpy(float)
        for c in conditions
        if c != reference
    }
    stratum_dummies = {f"stratum[{s}]": (rows["stratum"] == s).to_numpy(float) for s in strata[1:]}
    columns |= condition_dummies | stratum_dummies
    for c_name, c_col in condition_dummies.items():
        for s_name, s_col in stratum_dummies.items():
            columns[f"{c_name}:{s_name}"] = c_col * s_col
    columns["period"] = rows["period"].to_numpy(float)
    return pd.DataFrame(columns, index=rows.index)


def _estimable(design: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Drops columns that the data cannot separate from earlier ones (empty cells,
    a constant period in a parallel-group study) so the fit stays well defined."""
    kept: list[str] = []
    dropped: list[str] = []
    for name in design.columns:
        candidate = [*kept, name]
        if np.linalg.matrix_rank(design[candidate].to_numpy()) == len(candidate):
            kept.append(name)
        else:
            dropped.append(name)
    return design[kept], dropped


def _record(caught: list[warnings.WarningMessage], notes: list[str]) -> None:
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        if text not in notes:
            notes.append(text)


def mixed_model(
    df: pd.DataFrame,
    measure: str,
    *,
    reference: str,
    conditions: Sequence[str],
    strata: Sequence[str],
) -> MixedModelResult:
    """REML fit of value ~ condition * stratum + period with a random participant intercept.

    Treatment coding against ``reference`` and ``strata[0]``; period is numeric. Every
    optimiser of FIT_METHODS is tried and the converged fit with the highest
    log-likelihood kept (the notes name it); the warnings of that fit are reported
    instead of printed, because small studies often sit on the boundary (participant
    variance near zero). p values are Wald z tests, as in statsmodels.
    """
    _check_reference(reference, conditions)
    rows = _measure_rows(df, measure, conditions, strata)
    notes: list[str] = []
    rows["period"] = pd.to_numeric(rows["period"], errors="coerce")
    no_period = int(rows["period"].isna().sum())
    if no_period:
        notes.append(f"{no_period} value(s) without a period left out of the model")
        rows = rows.loc[rows["period"].notna()]
    design, dropped = _estimable(_design(rows, reference, conditions, strata))
    if dropped:
        notes.append(f"not estimable from these data, left out: {', '.join(dropped)}")
    if len(rows) <= design.shape[1] or rows["participant"].nunique() < 2:
        notes.append(f"too few observations ({len(rows)}) for the mixed model")
        return MixedModelResult([], False, notes)

    from scipy import stats
    from statsmodels.regression.mixed_linear_model import MixedLM

    groups = rows["participant"].to_numpy()
    model = MixedLM(rows["value"].to_numpy(float), design, groups=groups)
    best = _best_fit(model, notes)
    if best is None:
        return MixedModelResult([], False, notes)
    method, result, caught = best
    _record(caught, notes)
    if result.converged:
        notes.append(f"fitted by {method}: the highest REML log-likelihood "
                     f"({float(result.llf):.6g}) of the converged optimisers")
    else:
        notes.append(f"no optimiser converged; the {method} fit is shown")

    estimates = result.fe_params.to_numpy(float)
    relative_var = float(np.asarray(result.cov_re_unscaled).ravel()[0])
    se = _fixed_effect_se(design.to_numpy(), groups, float(result.scale), relative_var)
    p = 2 * stats.norm.sf(np.abs(estimates / se))
    terms = [
        Term(name, float(estimates[i]), float(se[i]), float(p[i]))
        for i, name in enumerate(design.columns)
    ]
    return MixedModelResult(terms, bool(result.converged), notes)


Fit = tuple[str, Any, list[warnings.WarningMessage]]  # optimiser, statsmodels fit, warnings


def fits(model: Any, notes: list[str]) -> list[Fit]:
    """(optimiser, fit, its warnings) for every optimiser of FIT_METHODS that returns a
    fit with finite estimates; a failure is noted and the next optimiser tried."""
    out = []
    for method in FIT_METHODS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                attempt = model.fit(reml=True, method=method)
                usable = bool(np.all(np.isfinite(attempt.fe_params))
                              and math.isfinite(float(attempt.llf)))  # llf: computed here
            except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
                notes.append(f"{method} fit failed: {exc}")
                continue
        if usable:
            out.append((method, attempt, list(caught)))
    return out


def _best_fit(model: Any, notes: list[str]) -> Fit | None:
    """The converged fit with the highest log-likelihood; without one, the highest of all."""
    found = fits(model, notes)
    converged = [f for f in found if f[1].converged]
    pool = converged or found
    return max(pool, key=lambda f: float(f[1].llf)) if pool else None


def _fixed_effect_se(
    x: np.ndarray, groups: np.ndarray, scale: float, relative_var: float
) -> np.ndarray:
    """Model-based standard errors sqrt(diag((X' V⁻¹ X)⁻¹)) at the fitted variances.

    statsmodels derives them from the Hessian of all parameters, which turns singular or
    indefinite when the participant variance sits at zero; the GLS formula does not, and
    equals it elsewhere. V⁻¹ of a random-intercept block is (I − c J) / scale with
    c = τ / (1 + n τ), τ being the participant variance relative to the residual one.
    """
    tau = max(relative_var, 0.0)
    information = np.zeros((x.shape[1], x.shape[1]))
    for members in pd.Series(range(len(groups))).groupby(groups).indices.values():
        block = x[members]
        totals = block.sum(axis=0)
        shrink = tau / (1.0 + len(members) * tau)
        information += block.T @ block - shrink * np.outer(totals, totals)
    try:
        covariance = scale * np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return np.full(x.shape[1], math.nan)
    with np.errstate(invalid="ignore"):
        return np.sqrt(np.diag(covariance))


def _number(x: float) -> float | None:
    """JSON has no NaN: missing statistics become null."""
    return float(x) if math.isfinite(x) else None


def exclude_failed_scans(
    df: pd.DataFrame, limits: Mapping[str, float], scan_measures: Collection[str]
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Scans whose quality measure is above the protocol's qc_max leave the analysis.

    The rule is trialcore.counted's (the group plot applies the same one), with the
    period naming the visit. Returns the kept rows and one record per failed check, so
    the report can say what was left out and why.
    """
    checked = df[df["measure"].isin(list(limits))]
    failures = failed_checks(zip(checked["participant"], checked["period"],
                                 checked["measure"], checked["value"], strict=True), limits)
    if not failures:
        return df, []
    out = scans_left_out(df["participant"].tolist(), df["period"].tolist(),
                         df["measure"].isin(list(scan_measures)).to_numpy(), failures)
    kept = df[~out]
    conditions = dict(zip(zip(checked["participant"], checked["period"], checked["measure"],
                              strict=True), checked["condition"], strict=True))
    records = [
        {"participant": f.participant,
         "condition": conditions[f.participant, f.occasion, f.measure],
         "period": int(f.occasion), "measure": f.measure, "value": f.value, "limit": f.limit}
        for f in sorted(failures, key=lambda f: (f.participant, f.occasion, f.measure))
    ]
    return kept, records


def analyse(
    df: pd.DataFrame,
    *,
    reference: str,
    conditions: Sequence[str],
    strata: Sequence[str],
    measures: Sequence[str],
) -> dict[str, Any]:
    """The summary tables of the brief for every measure, as one JSON-ready document."""
    report = []
    for measure in measures:
        cells = cell_summaries(df, measure, strata=strata, conditions=conditions)
        contrasts = paired_contrasts(
            df, measure, reference=reference, conditions=conditions, strata=strata
        )
        model = mixed_model(df, measure, reference=reference, conditions=conditions, strata=strata)
        report.append(
            {
                "measure": measure,
                "cells": [
                    {
                        "stratum": c.stratum,
                        "condition": c.condition,
                        "mean": _number(c.mean),
                        "sd": _number(c.sd),
                        "n": c.n,
                    }
                    for c in cells
                ],
                "contrasts": [
                    {
                        "stratum": c.stratum,
                        "condition": c.condition,
                        "versus": c.versus,
                        "diff": _number(c.diff),
                        "ci_low": _number(c.ci_low),
                        "ci_high": _number(c.ci_high),
                        "p": _number(c.p),
                    }
                    for c in contrasts
                ],
                "mixed_model": [
                    {
                        "term": t.term,
                        "estimate": _number(t.estimate),
                        "se": _number(t.se),
                        "p": _number(t.p),
                    }
                    for t in model.terms
                ],
                "notes": list(model.warnings),
            }
        )
    return {"measures": report}
