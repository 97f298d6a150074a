"""What an import would change: each value against the stored one, and scale scores.

Keys are compared as integers built from the participant id and the positions
of visit and measure names, so a million values meet a million stored ones in
one hash lookup rather than a row-by-row merge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from importers.problems import Findings
from trialcore.protocol import Protocol
from trialcore.scoring import item_table, score_items

STATES = ("new", "changed", "unchanged")
NEW, CHANGED, UNCHANGED = range(3)  # the `state` column holds these codes into STATES
KEYS = ["participant_id", "visit", "target"]


def _names(frames: list[pd.DataFrame], column: str) -> pd.Index:
    """Every distinct name in `column` of the frames (categories cost nothing to list)."""
    parts = [np.asarray(f[column].cat.categories if isinstance(f[column].dtype,
                                                               pd.CategoricalDtype)
                        else pd.unique(f[column].to_numpy(dtype=object)), dtype=object)
             for f in frames]
    return pd.Index(pd.unique(np.concatenate(parts)))


def _positions(names: pd.Index, column: pd.Series) -> np.ndarray:
    if isinstance(column.dtype, pd.CategoricalDtype):
        per_category = np.append(names.get_indexer(column.cat.categories), -1)
        return per_category[column.cat.codes.to_numpy()]
    return names.get_indexer(column)


def _keys(frames: list[pd.DataFrame], with_target: bool = True) -> list[np.ndarray]:
    """One int64 per (participant_id, visit[, target]), consistent across the frames."""
    visits, targets = _names(frames, "visit"), _names(frames, "target")
    out = []
    for f in frames:
        key = f["participant_id"].to_numpy(dtype=np.int64) * len(visits) \
            + _positions(visits, f["visit"])
        out.append(key * len(targets) + _positions(targets, f["target"]) if with_target
                   else key)
    return out


def compare(values: pd.DataFrame, stored: pd.DataFrame) -> pd.DataFrame:
    """`values` plus state (NEW/CHANGED/UNCHANGED) and the stored row it would replace."""
    n = len(values)
    if stored.empty or n == 0:
        idx = np.full(n, -1)
    else:
        mine, theirs = _keys([values, stored])
        idx = pd.Index(theirs).get_indexer(mine)
    hit = idx >= 0
    take = np.maximum(idx, 0)
    old = stored["value"].to_numpy(dtype=float) if len(stored) else np.zeros(1)
    stored_value = np.where(hit, old[take] if len(stored) else np.nan, np.nan)
    ids = stored["id"].to_numpy(dtype=np.int64) if len(stored) else np.zeros(1, np.int64)
    src = stored["import_id"].to_numpy(dtype=float) if len(stored) else np.zeros(1)
    new = values["value"].to_numpy(dtype=float)
    same = hit & (stored_value == new)
    stored_code = np.full(n, None, dtype=object)
    if "code" in stored.columns and len(stored):
        stored_code = np.where(hit, stored["code"].to_numpy(dtype=object)[take], None)
    if "code" in values.columns:  # a missing answer is the same when its code is
        code = values["code"].to_numpy(dtype=object)
        same |= hit & np.isnan(stored_value) & np.isnan(new) & pd.notna(code) & (
            stored_code == code)
    state = np.where(~hit, NEW, np.where(same, UNCHANGED, CHANGED)).astype(np.int8)
    return values.assign(state=state, stored_id=np.where(hit, ids[take], -1),
                         stored_value=stored_value,
                         stored_import=np.where(hit, src[take], np.nan),
                         stored_code=stored_code)


def score(items: pd.DataFrame, stored: pd.DataFrame, protocol: Protocol,
          found: Findings) -> pd.DataFrame:
    """Scale scores of every participant-visit-scale the file answers, from its answers
    merged with answers stored earlier; returned in the shape `compare` takes."""
    columns = ["row", "column", "participant_id", "label", "visit", "target", "value"]
    if items.empty:
        return pd.DataFrame(columns=columns)
    scales = item_table(protocol.measures).set_index("item")["measure"]
    file_items = items[["participant_id", "visit", "target", "value"]]
    merged = file_items
    if len(stored):
        mine, theirs = _keys([items, stored])
        pairs, stored_pairs = _keys([items, stored], with_target=False)
        extra = stored[np.isin(stored_pairs, pairs) & ~np.isin(theirs, mine)]
        merged = pd.concat([file_items, extra[[*KEYS, "value"]]], ignore_index=True)
    target = items["target"].astype("category")
    measure = pd.Categorical.from_codes(*_scale_codes(target, scales))
    touched = items.assign(measure=measure).groupby(
        ["participant_id", "visit", "measure"], sort=False, observed=True).agg(
        row=("row", "min"), label=("label", "first")).reset_index()
    touched["measure"] = touched["measure"].astype(object)
    scored = score_items(merged.rename(columns={"target": "item"}), protocol.measures,
                         keys=("participant_id", "visit"))
    out = touched.merge(scored, on=["participant_id", "visit", "measure"], how="left")
    missing = out[out["value"].isna()]
    if len(missing):
        sizes = {m.name: (len(m.items), m.min_answered or len(m.items))
                 for m in protocol.measures if m.kind == "questionnaire"}
        found.warn(missing["row"].to_numpy(), missing["measure"].to_numpy(), [
            f"{who} {visit} {m}: {int(a)} of {sizes[m][0]} items answered, {sizes[m][1]} "
            "needed; no score"
            for who, visit, m, a in zip(missing["label"], missing["visit"], missing["measure"],
                                        missing["answered"], strict=True)])
    out = out[out["value"].notna()]
    return pd.DataFrame({
        "row": out["row"].to_numpy(), "column": out["measure"].to_numpy(),
        "participant_id": out["participant_id"].to_numpy(dtype=np.int64),
        "label": out["label"].to_numpy(), "visit": out["visit"].to_numpy(),
        "target": out["measure"].to_numpy(), "value": out["value"].to_numpy(dtype=float),
    })


def _scale_codes(target: pd.Series, scales: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each item row's scale, as codes into the list of scales (looked up per item)."""
    names = sorted(set(scales))
    per_item = np.array([names.index(scales[t]) for t in target.cat.categories] + [-1])
    return per_item[target.cat.codes.to_numpy()], names
