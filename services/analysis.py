"""The summary tables of the brief, after unblinding: cells, paired contrasts, mixed model.

The statistics live in trialcore.statistics (no SQL, no Qt); this module builds
their tidy input from the observations and the revealed conditions, and writes
the resulting tables as CSV or XLSX.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from services import dataset
from services.context import Actor, App, require
from services.errors import Refused
from services.exports import check_folder, neutralise
from services.files import refuse_existing, written_whole
from services.scratch import write_only_workbook
from services.study import stage
from trialcore.statistics import REQUIRED_COLUMNS, analyse, exclude_failed_scans

TABLES = {
    "cells": ("stratum", "condition", "mean", "sd", "n"),
    "contrasts": ("stratum", "condition", "versus", "diff", "ci_low", "ci_high", "p"),
    "mixed_model": ("term", "estimate", "se", "p"),
}
EXCLUDED = ("participant", "condition", "period", "value", "limit")  # after `measure`


def _require_unblinded(app: App) -> None:
    current = stage(app)
    if current != "unblinded":
        raise Refused(f"the study is {current}: the analysis runs only after the study is "
                      "locked and unblinded")


def tidy_frame(app: App, actor: Actor) -> pd.DataFrame:
    """One row per participant, dosing visit and measure with a value and its condition;
    values stored on a visit that was not given (missed, cancelled) are left out."""
    require(actor, "analysis.run")
    _require_unblinded(app)
    with app.read() as s:
        data = dataset.load(s, app.protocol)
    stratum = {p.label: p.stratum for p in data.people}
    rows = [(participant, stratum[participant], *data.conditions[key], measure, value)
            for participant, visit, measure, value in data.observed()
            if value is not None and (key := (participant, visit)) in data.conditions
            and data.given(key)]
    frame = pd.DataFrame(rows, columns=["participant", "stratum", "condition", "period",
                                        "measure", "value"])
    return frame[list(REQUIRED_COLUMNS)]


def run(app: App, actor: Actor) -> dict[str, Any]:
    """The CLI.md `analysis` document, with the conditions and strata it is about, the
    scans left out by their quality check (`excluded`) and each model's `notes`."""
    p = app.protocol
    frame, excluded = exclude_failed_scans(
        tidy_frame(app, actor), {m.name: m.qc_max for m in p.measures if m.qc_max is not None},
        {m.name for m in p.measures if m.kind == "scan"})
    result = analyse(frame, reference=p.reference_condition,
                     conditions=[c.code for c in p.conditions], strata=list(p.strata),
                     measures=[m.name for m in p.measures])
    return {"reference": p.reference_condition,
            "conditions": [{"code": c.code, "label": c.label, "dose_mg": c.dose_mg}
                           for c in p.conditions],
            "strata": list(p.strata), **result, "excluded": excluded}


def tables(result: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The three tables across measures, each row naming its measure, and the scans
    excluded by their quality check."""
    out = {}
    for name, columns in TABLES.items():
        rows = [{"measure": m["measure"], **row} for m in result["measures"] for row in m[name]]
        out[name] = pd.DataFrame(rows, columns=["measure", *columns])
    out["qc_excluded"] = pd.DataFrame(result.get("excluded", []),
                                      columns=["measure", *EXCLUDED])
    return out


def _cell(value: Any) -> Any:
    return None if pd.isna(value) else neutralise(value)


def check_out(path: str | Path, *, force: bool = False) -> Path:
    """Where the tables will go, refused before the analysis runs: a wrong file type, a
    folder that cannot be written, or a file there already and `force` not given."""
    path = Path(path).expanduser().absolute()
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise Refused(f"{path.name}: analysis tables are written as .csv or .xlsx")
    refuse_existing(path, force=force)
    check_folder(path.parent)
    return path


def write(result: dict[str, Any], path: str | Path, *, force: bool = False) -> Path:
    """CSV (one file, a `table` column first) or XLSX (one sheet per table), by extension;
    whole or not at all, and never over an existing file unless `force`."""
    path = check_out(path, force=force)
    frames = tables(result)
    with written_whole(path, force=force) as tmp:
        if path.suffix.lower() == ".csv":
            columns = ["measure", *dict.fromkeys(c for cs in [*TABLES.values(), EXCLUDED]
                                                 for c in cs)]
            with tmp.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(["table", *columns])
                for name, frame in frames.items():
                    for row in frame.to_dict("records"):
                        writer.writerow([name, *("" if (c := _cell(row.get(k))) is None else c
                                                 for k in columns)])
        else:
            with write_only_workbook() as book:
                for name, frame in frames.items():
                    sheet = book.create_sheet(name)
                    sheet.append(list(frame.columns))
                    for row in frame.itertuples(index=False):
                        sheet.append([_cell(v) for v in row])
                book.save(tmp)
    return path
