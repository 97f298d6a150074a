"""Questionnaire scoring: item responses into the scale scores the protocol declares.

One rule for the importer, re-scoring and tests: reverse-keyed items count as
min + max - x; a scale answered on fewer than `min_answered` items gets no
score (NaN) rather than a misleading one; and a "sum" with a permitted missing
item is prorated (mean of the answered items times the number of items), so a
skipped item does not read as a low answer. With every item answered a
prorated sum is the plain sum.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from trialcore.protocol import Measure

SCORE_COLUMNS = ("measure", "value", "answered")


def item_table(measures: Sequence[Measure]) -> pd.DataFrame:
    """One row per questionnaire item: its scale and whether it is reverse-keyed."""
    rows = [(item, m.name, item in m.reverse, m.min, m.max)
            for m in measures if m.kind == "questionnaire" for item in m.items]
    return pd.DataFrame(rows, columns=["item", "measure", "reverse", "lo", "hi"])


def score_items(responses: pd.DataFrame, measures: Sequence[Measure],
                keys: Sequence[str] = ("participant", "visit")) -> pd.DataFrame:
    """Score `responses` (columns *keys, item, value; NaN = unanswered) into scales.

    Returns one row per key and scale that has at least one response row, with
    the columns *keys, measure, value (NaN when too few items were answered)
    and answered (how many items were). Item facts are looked up once per
    distinct item, so a million responses cost a few array operations.
    """
    keys = list(keys)
    scales = {m.name: m for m in measures if m.kind == "questionnaire"}
    codes, uniques = pd.factorize(responses["item"])
    info = item_table(list(scales.values())).set_index("item").reindex(
        pd.Index(np.asarray(uniques, dtype=object)))
    known = (codes >= 0) & np.append(info["measure"].notna().to_numpy(), False)[codes]
    if not known.any():
        return pd.DataFrame(columns=[*keys, *SCORE_COLUMNS])
    item = codes[known]
    value = responses["value"].to_numpy(dtype=float)[known]
    flip = info["reverse"].fillna(False).to_numpy(dtype=bool)[item]
    value = np.where(flip, (info["lo"] + info["hi"]).to_numpy(dtype=float)[item] - value, value)
    scale_codes, names = pd.factorize(info["measure"])
    frame = responses.loc[known, keys].assign(
        measure=pd.Categorical.from_codes(scale_codes[item], names), value=value)
    out = frame.groupby([*keys, "measure"], sort=True, observed=True)["value"].agg(
        ["sum", "count"]).reset_index()
    name = out["measure"].astype(object).to_numpy()
    total, count = out["sum"].to_numpy(dtype=float), out["count"].to_numpy()
    n_items = np.array([len(scales[n].items) for n in name], dtype=float)
    need = np.array([scales[n].min_answered or len(scales[n].items) for n in name])
    is_sum = np.array([scales[n].score == "sum" for n in name], dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        prorated = np.where(count == n_items, total, mean * n_items)
    score = np.where(count >= need, np.where(is_sum, prorated, mean), np.nan)
    return out[keys].assign(measure=name, value=score.astype(float),
                            answered=count.astype(int))
