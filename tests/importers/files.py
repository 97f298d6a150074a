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


LEGACY_META = ["ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress",
               "IPAddress", "Status", "StartDate", "EndDate", "Finished"]


def qualtrics_legacy(path: Path, rows: Sequence[dict[str, Any]],
                     questions: Sequence[str] = ("Q1", "Q2_1", "Q2_2")) -> Path:
    """A legacy (2016-17) Qualtrics export: row 1 V1..V10 and question ids, row 2 the
    meta names and question texts, then one row per response: one extra header row."""
    ids = [f"V{i}" for i in range(1, 11)] + list(questions)
    texts = LEGACY_META + [f"How do you feel? - {q}" for q in questions]
    body = [[r.get(c, "") for c in LEGACY_META] + [r.get(q, "") for q in questions]
            for r in rows]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([ids, texts, *body])
    return path


INSIGHTS_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress",
                 "Duration (in seconds)", "Finished", "RecordedDate", "ResponseId",
                 "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                 "ExternalReference", "LocationLatitude", "LocationLongitude",
                 "DistributionChannel", "UserLanguage"]


def qualtrics_insights(path: Path, rows: Sequence[dict[str, Any]],
                       questions: Sequence[str] = ANX, *, single_quotes: bool = False) -> Path:
    """A Qualtrics Insights export with every meta column: names, question texts, then
    ImportId JSON per column (some exports write it with single quotes)."""
    header = [*INSIGHTS_META, *questions]
    text = [f"Question text of {c}" for c in header]
    ids = []
    for c in header:
        import_id = {"ImportId": c[0].lower() + c[1:] if c in INSIGHTS_META else f"QID_{c}"}
        if c == "StartDate":
            import_id["timeZone"] = "America/Denver"
        ids.append(str(import_id) if single_quotes else json.dumps(import_id))
    body = [[r.get(c, "") for c in header] for r in rows]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, text, ids, *body])
    return path


def redcap_repeating(path: Path, rows: Sequence[tuple[str, str, str, Any, Sequence[Any]]],
                     items: Sequence[str] = ANX) -> Path:
    """A REDCap export with a repeating instrument: (record, event, instrument, instance,
    answers); the event's main row has an empty instrument and instance."""
    header = ["record_id", "redcap_event_name", "redcap_repeat_instrument",
              "redcap_repeat_instance", "redcap_data_access_group", "age", *items,
              "subjective_effects_complete"]
    body = [[rec, event, instrument, instance, "site_a", "" if instrument else 34, *answers,
             2 if instrument else ""]
            for rec, event, instrument, instance, answers in rows]
    return write_csv(path, header, body)


def redcap_dictionary(path: Path, items: Sequence[str] = ANX) -> Path:
    """A REDCap data dictionary: one row per field, its form, type, label and choices."""
    header = ["Variable / Field Name", "Form Name", "Section Header", "Field Type",
              "Field Label", "Choices, Calculations, OR Slider Labels", "Field Note",
              "Text Validation Type OR Show Slider Number", "Required Field?"]
    body = [["record_id", "subjective_effects", "", "text", "Record ID", "", "", "", ""]]
    body += [[i, "subjective_effects", "", "radio", f"Item {i}",
              "1, Never | 2, Rarely | 3, Sometimes | 4, Often | 5, Always", "", "", "y"]
             for i in items]
    return write_csv(path, header, body)


def workbook_with_formula(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]],
                          cached: dict[str, Any] | None = None) -> Path:
    """An XLSX written by a program (openpyxl): formula cells have no stored result, as
    when a script writes the file. `cached` {"C2": 0.4} writes a result for those cells,
    as Excel does when it saves."""
    import re
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(list(header))
    for r in rows:
        book.active.append(list(r))
    book.save(path)
    if not cached:
        return path
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    for cell, value in cached.items():
        sheet = re.sub(rf'(<c r="{cell}"[^>]*><f>[^<]*</f>)<v\s*/>', rf"\g<1><v>{value}</v>",
                       sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path
