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
    and answered (how many items were).
    """
    keys = list(keys)
    scales = {m.name: m for m in measures if m.kind == "questionnaire"}
    items = item_table(list(scales.values())).set_index("item")
    known = responses[responses["item"].isin(items.index)]
    if known.empty:
        return pd.DataFrame(columns=[*keys, *SCORE_COLUMNS])
    info = items.loc[known["item"].to_numpy()]
    value = known["value"].to_numpy(dtype=float)
    flip = info["reverse"].to_numpy(dtype=bool)
    value = np.where(flip, info["lo"].to_numpy() + info["hi"].to_numpy() - value, value)
    frame = known[keys].assign(measure=info["measure"].to_numpy(), value=value)
    grouped = frame.groupby([*keys, "measure"], sort=True, observed=True)["value"]
    out = grouped.agg(["sum", "count"]).reset_index()
    total, count = out["sum"].to_numpy(dtype=float), out["count"].to_numpy()
    n_items = out["measure"].map({n: len(m.items) for n, m in scales.items()}).to_numpy()
    need = out["measure"].map({n: m.min_answered or len(m.items)
                               for n, m in scales.items()}).to_numpy()
    is_sum = out["measure"].map({n: m.score == "sum" for n, m in scales.items()}).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        prorated = np.where(count == n_items, total, mean * n_items)
    score = np.where(is_sum.astype(bool), prorated, mean)
    score = np.where(count >= need, score, np.nan)
    return out[[*keys, "measure"]].assign(value=score.astype(float),
                                          answered=out["count"].astype(int))
