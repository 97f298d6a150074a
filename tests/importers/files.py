"""Questionnaire and scan files as the tools write them, made by the tests (none is stored)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ANX = ["anx_1", "anx_2", "anx_3", "anx_4"]
LIK = ["lik_angry_1", "lik_angry_2", "lik_angry_3", "lik_angry_4"]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], *,
              delimiter: str = ",", encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in r] for r in rows)
    return path


def redcap(path: Path, rows: Sequence[tuple[str, str, Sequence[Any]]], *,
           items: Sequence[str] = ANX, labels: bool = False) -> Path:
    """A longitudinal REDCap export: record, event, repeat columns, items, *_complete."""
    if labels:
        header = ["Record ID", "Event Name", "Repeat Instrument", "Repeat Instance", *items,
                  "Complete?"]
    else:
        header = ["record_id", "redcap_event_name", "redcap_repeat_instrument",
                  "redcap_repeat_instance", *items, "subjective_effects_complete"]
    body = [[rec, event, "", "", *answers, "Complete" if labels else 2]
            for rec, event, answers in rows]
    return write_csv(path, header, body)


def qualtrics(path: Path, rows: Sequence[dict[str, Any]], items: Sequence[str] = ANX) -> Path:
    """Three header rows: names, question text, ImportId JSON; then one row per response."""
    meta = ["StartDate", "EndDate", "Status", "Progress", "Finished", "ResponseId",
            "ExternalReference", "visit_label"]
    header = [*meta, *items]
    text = [f"Question text of {c}" for c in header]
    ids = [json.dumps({"ImportId": f"QID{i}"}) for i, _ in enumerate(header)]
    body = [[r.get(c, "") for c in meta] + [r.get(i, "") for i in items] for r in rows]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerows([header, text, ids, *body])
    return path
