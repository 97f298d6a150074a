"""Synthetic outcomes for the demo study: clearly invented numbers, shaped like the report.

The demo needs data that behave like the reference study (MDMA lowers threat reactivity
and raises amygdala–sgACC coupling in NTNA+, hardly anything in NTNA−) so that every
plot and table has something to show. None of these values come from real people.

Every random draw is keyed by (seed, participant, visit, what is drawn) rather than
taken from one running stream, so a row gets the same values whichever other rows are
generated with it: the demo can create the baseline scans first, assign strata, and
create the dosing visits later without the participants changing character.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

STRATUM_THRESHOLD = 0.5
HIGH, LOW = "NTNA+", "NTNA-"
STRATUM_ALIASES = {"NTNA+": HIGH, "NTNA-": LOW, "NTNA−": LOW}
DOSE_FRACTION = {"PBO": 0.0, "MDMA80": 0.5, "MDMA120": 1.0}
MIN_BASELINE_MARGIN = 0.03


@dataclass(frozen=True, slots=True)
class _ScanMeasure:
    """A measure as participant level + drug effect + period drift + scan noise."""

    level: Mapping[str, float]
    participant_sd: float
    residual_sd: float
    effect_120: Mapping[str, float]
    period_slope: float
    decimals: int


SCAN_MEASURES = {
    "amygdala_threat": _ScanMeasure(
        level={HIGH: 0.95, LOW: 0.15},
        participant_sd=0.25,
        residual_sd=0.2,
        effect_120={HIGH: -0.6, LOW: 0.0},
        period_slope=-0.03,
        decimals=4,
    ),
    "sgacc_threat": _ScanMeasure(
        level={HIGH: 0.6, LOW: 0.2},
        participant_sd=0.2,
        residual_sd=0.15,
        effect_120={HIGH: -0.45, LOW: -0.03},
        period_slope=-0.02,
        decimals=4,
    ),
    "amyg_sgacc_conn": _ScanMeasure(
        level={HIGH: -0.05, LOW: 0.15},
        participant_sd=0.12,
        residual_sd=0.1,
        effect_120={HIGH: 0.3, LOW: 0.02},
        period_slope=0.0,
        decimals=4,
    ),
}


@dataclass(frozen=True, slots=True)
class _Scale:
    """A questionnaire scale on the 0–1 span of its item range."""

    base: float
    effect_120: Mapping[str, float]


SCALES = {
    "likability_angry": _Scale(base=0.3, effect_120={HIGH: 0.25, LOW: 0.03}),
    "subjective_anxiety": _Scale(base=0.08, effect_120={HIGH: 0.35, LOW: 0.15}),
    "subjective_introspection": _Scale(base=0.12, effect_120={HIGH: 0.45, LOW: 0.25}),
}
DEFAULT_SCALE = _Scale(base=0.1, effect_120={HIGH: 0.3, LOW: 0.3})
PARTICIPANT_SCALE_SD = 0.08
VISIT_SCALE_SD = 0.06
ITEM_OFFSET_SD = 0.05
ITEM_NOISE_SD = 0.08


def _key(text: object) -> int:
    """A stable 64-bit number for a name; Python's hash() changes between runs."""
    return int.from_bytes(hashlib.sha256(str(text).encode()).digest()[:8], "little")


def _rng(seed: int, *parts: object) -> np.random.Generator:
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed}")
    return np.random.default_rng([seed, *(_key(p) for p in parts)])


def _stratum(row: Mapping[str, Any]) -> str:
    try:
        return STRATUM_ALIASES[row["stratum"]]
    except KeyError:
        raise ValueError(
            f"synthetic data know strata {sorted(STRATUM_ALIASES)}, not {row['stratum']!r}"
        ) from None


def _dose(row: Mapping[str, Any]) -> float:
    """Fraction of the 120 mg effect; the baseline visit (no condition) gets none."""
    condition = row.get("condition")
    if condition is None:
        return 0.0
    if condition not in DOSE_FRACTION:
        raise ValueError(f"synthetic data know conditions {list(DOSE_FRACTION)}, not {condition!r}")
    return DOSE_FRACTION[condition]


def _drift(row: Mapping[str, Any]) -> float:
    """Periods after the first (habituation to the task), zero at baseline."""
    period = row.get("period")
    return 0.0 if row.get("condition") is None or period is None else float(period) - 1.0


def _fd_and_tsnr(seed: int, row: Mapping[str, Any]) -> tuple[float, float]:
    """Head motion is mostly 0.05–0.3 mm with the occasional restless scan, and motion
    costs temporal SNR, so QC plots have something to flag."""
    person = _rng(seed, "qc", row["participant"])
    typical_fd = 0.12 * np.exp(person.normal(0.0, 0.3))
    typical_tsnr = person.normal(62.0, 7.0)
    scan = _rng(seed, "qc", row["participant"], row["visit"])
    if scan.random() < 0.06:
        fd = scan.uniform(0.5, 0.9)
    else:
        fd = float(np.clip(typical_fd * np.exp(scan.normal(0.0, 0.3)), 0.03, 0.45))
    tsnr = typical_tsnr + scan.normal(0.0, 4.0) - 40.0 * max(fd - 0.2, 0.0)
    return round(fd, 3), round(float(np.clip(tsnr, 25.0, 100.0)), 1)


def synthetic_scan_values(rows: Iterable[Mapping[str, Any]], *, seed: int) -> list[dict[str, Any]]:
    """Scan summaries for each visit row (participant, stratum, visit, condition, period).

    Returns one dict per row, in order, with participant, visit and the measures
    amygdala_threat, sgacc_threat, amyg_sgacc_conn, fd_mean and tsnr. At the baseline
    visit (condition None) amygdala_threat lands on the stratum's side of the 0.5
    threshold, so the protocol's rule reproduces the stratum the row claims.
    """
    out = []
    for row in rows:
        stratum = _stratum(row)
        dose = _dose(row)
        values: dict[str, Any] = {"participant": row["participant"], "visit": row["visit"]}
        for name, m in SCAN_MEASURES.items():
            person = _rng(seed, "participant", name, row["participant"])
            scan = _rng(seed, "scan", name, row["participant"], row["visit"])
            value = (
                m.level[stratum]
                + person.normal(0.0, m.participant_sd)
                + dose * m.effect_120[stratum]
                + m.period_slope * _drift(row)
                + scan.normal(0.0, m.residual_sd)
            )
            if name == "amygdala_threat" and row.get("condition") is None:
                value = _on_stratum_side(value, stratum)
            values[name] = round(float(value), m.decimals)
        values["fd_mean"], values["tsnr"] = _fd_and_tsnr(seed, row)
        out.append(values)
    return out


def _on_stratum_side(value: float, stratum: str) -> float:
    """Mirrors a baseline value across the threshold when noise put it on the wrong side,
    and keeps it clear of the threshold so rounding cannot flip the stratum."""
    distance = max(abs(value - STRATUM_THRESHOLD), MIN_BASELINE_MARGIN)
    return STRATUM_THRESHOLD + distance if stratum == HIGH else STRATUM_THRESHOLD - distance


def synthetic_item_responses(
    rows: Iterable[Mapping[str, Any]],
    *,
    items: Mapping[str, list[str]],
    ranges: Mapping[str, tuple[int, int]],
    seed: int,
    reverse: Collection[str] = (),
) -> list[dict[str, Any]]:
    """Integer item responses per visit row for the questionnaire scales in ``items``.

    Scales known from the reference protocol get its story (angry faces liked more under
    MDMA in NTNA+; anxiety and introspection rising with dose, more in NTNA+); any other
    scale rises with dose in both strata. Items in ``reverse`` are answered reverse-keyed,
    so that scoring them reversed gives a coherent scale. Returns one dict per row with
    participant, visit and one integer per item.
    """
    missing = [scale for scale in items if scale not in ranges]
    if missing:
        raise ValueError(f"no response range for scale(s): {', '.join(missing)}")
    out = []
    for row in rows:
        stratum = _stratum(row)
        dose = _dose(row)
        answers: dict[str, Any] = {"participant": row["participant"], "visit": row["visit"]}
        for scale_name, item_names in items.items():
            low, high = ranges[scale_name]
            scale = SCALES.get(scale_name, DEFAULT_SCALE)
            person = _rng(seed, "participant", scale_name, row["participant"])
            visit = _rng(seed, "visit", scale_name, row["participant"], row["visit"])
            position = (
                scale.base
                + person.normal(0.0, PARTICIPANT_SCALE_SD)
                + dose * scale.effect_120[stratum]
                + visit.normal(0.0, VISIT_SCALE_SD)
            )
            for item in item_names:
                item_offset = _rng(seed, "offset", scale_name, item).normal(0.0, ITEM_OFFSET_SD)
                noise = _rng(seed, "item", item, row["participant"], row["visit"]).normal(
                    0.0, ITEM_NOISE_SD
                )
                p = float(np.clip(position + item_offset + noise, 0.0, 1.0))
                if item in reverse:
                    p = 1.0 - p
                answers[item] = low + round(p * (high - low))
        out.append(answers)
    return out
