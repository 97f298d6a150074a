"""Questionnaire exports: REDCap, Qualtrics, and plain long or wide tables.

Each format only decides where participant, visit and item answers are; the
answers are then validated and scored like any other. Item columns match the
protocol's item names (case and separators ignored) or a profile's mapping.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import replace

import numpy as np
import pandas as pd

from importers.extract import (
    VALUE_COLUMNS,
    Extract,
    Stop,
    check_mapped,
    drop_columns,
    empty_values,
    fixed_visit,
    guarded,
    melt,
    pick_column,
    refuse_non_data,
    unmatched_warnings,
)
from importers.keys import (
    PARTICIPANT_NAMES,
    VISIT_NAMES,
    VisitNames,
    find_column,
    from_names,
    norm,
)
from importers.mapping import Mapping
from importers.problems import Problem
from importers.reading import Table
from trialcore.protocol import Protocol

FORMATS = ("auto", "redcap", "qualtrics", "long", "wide")
ITEM_NAMES = ("item", "item_name", "question", "variable", "field", "field_name")
VALUE_NAMES = ("value", "response", "answer", "item_value", "rating")
REDCAP_EVENT = ("redcap_event_name", "event_name")
_REDCAP_SKIP = re.compile(r"^(redcap.*|repeatinstrument|repeatinstance|eventname|"
                          r"surveyidentifier|dataaccessgroup|.*complete|.*timestamp)$")
_CHECKBOX = re.compile(r"^(.+)___([A-Za-z0-9_-]+)$")
QUALTRICS_META = {norm(c) for c in (
    "ResponseSet", "Name", "EmailAddress", "StartDate", "EndDate", "Status", "IPAddress",
    "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
    "RecipientEmail", "ExternalReference", "ExternalDataReference", "LocationLatitude",
    "LocationLongitude", "DistributionChannel", "UserLanguage")}
# Qualtrics response types (Status) that are not real answers: previews, tests, spam, as
# text or as the numeric codes of a values export. Imported (4) and Offline (16) responses
# are real answers entered another way, and are imported.
QUALTRICS_NOT_ANSWERS = {"surveypreview": "preview", "1": "preview", "surveytest": "test",
                         "2": "test", "spam": "spam", "8": "spam"}
SKIP_STATUS = "Qualtrics preview, test or spam response"
# Legacy exports (2016-17): row 1 V1, V2, ... then question ids; row 2 names V1-V10
_LEGACY_IDS = re.compile(r"^V\d+$")
_IMPORT_ID = re.compile(r"""^\s*\{\s*["']ImportId["']\s*:""")


def detect_format(table: Table) -> str:
    cols = [norm(c) for c in table.frame.columns]
    if "redcapeventname" in cols or (cols and cols[0] == "recordid"):
        return "redcap"
    if qualtrics_header_rows(table):
        return "qualtrics"
    if find_column(list(table.frame.columns), ITEM_NAMES) and \
            find_column(list(table.frame.columns), VALUE_NAMES):
        return "long"
    return "wide"


def qualtrics_header_rows(table: Table) -> int:
    """Header rows after the names in a Qualtrics export: 2 in Insights exports (question
    texts, then ImportId JSON in double or single quotes), 1 in legacy exports (V1, V2...
    column ids, then names and question texts), 0 when the file is not one."""
    frame = table.frame
    if len(frame) >= 2 and frame.iloc[1].astype(str).str.match(_IMPORT_ID).any():
        return 2
    columns = [str(c) for c in frame.columns]
    if len(frame) >= 1 and len(columns) >= 10 and all(
            _LEGACY_IDS.match(c) for c in columns[:10]) and \
            norm(frame.iloc[0, 0]) == "responseid":
        return 1
    return 0


def _qualtrics_table(table: Table) -> Table:
    """The answers of a Qualtrics export, its extra header rows moved into the header; a
    legacy export's V1-V10 renamed to the names its second row gives them."""
    count = qualtrics_header_rows(table)
    if count == 0:
        raise Stop("the file has none of the header rows of a Qualtrics "
                   "export (question texts and ImportId JSON in rows 2 and 3, or V1, V2... "
                   "in row 1 with ResponseID in row 2); choose another format", option="format")
    table = table.promote_header_rows(count)
    if count == 1:
        names = dict(zip(table.frame.columns, table.header_rows[0], strict=True))
        renamed = {c: names[c].strip() for c in table.frame.columns
                   if _LEGACY_IDS.match(str(c)) and norm(names[c]) in QUALTRICS_META | {
                       "responseid"}}
        table = replace(table, frame=table.frame.rename(columns=renamed))
    return table


def extract_questionnaire(table: Table, protocol: Protocol, mapping: Mapping,
                          fmt: str = "auto", *, keep_test: bool = False) -> Extract:
    """Find keys and items; `keep_test` keeps Qualtrics previews, tests and spam."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown questionnaire format {fmt!r}")
    out = Extract("questionnaire", fmt, table, replace(mapping), empty_values())
    try:
        refuse_non_data(table)
        fmt = out.format = detect_format(table) if fmt == "auto" else fmt
        if fmt == "qualtrics":
            out.table = _qualtrics_table(table)
            _qualtrics(out, protocol, keep_test)
            return out
        {"redcap": _redcap, "long": _long, "wide": _wide}[fmt](out, protocol)
    except Stop as stop:
        out.errors.append(stop.problem)
    return out


def _items(protocol: Protocol) -> dict[str, str]:
    return {norm(i): i for m in protocol.measures if m.kind == "questionnaire" for i in m.items}


def _keys(out: Extract, frame: pd.DataFrame, protocol: Protocol, participant_default: str | None,
          visit_names: tuple[str, ...]) -> tuple[pd.Series, pd.Series, pd.Series, set[str]]:
    """Participant labels, resolved visits and visit labels per row; the key columns."""
    mapping, columns = out.mapping, [str(c) for c in frame.columns]
    pcol = pick_column(frame, mapping.participant_column, "participant") or \
        participant_default or find_column(columns, PARTICIPANT_NAMES)
    if pcol is None:
        raise Stop("no participant column found: say which column holds the participant",
                   option="participant_column")
    if frame[pcol].isna().all():
        raise Stop(f"column {pcol} is empty: say which column holds the participant",
                   column=pcol, option="participant_column")
    vcol = pick_column(frame, mapping.visit_column, "visit")
    if vcol is None and mapping.visit is None:
        vcol = find_column(columns, visit_names)
    names = VisitNames(protocol, mapping.visits)
    if vcol is not None and mapping.visit is not None:
        raise Stop(f"the file names its own visits ({vcol}); do not also choose one visit for "
                   "all rows", column=vcol, option="visit")
    if vcol is not None:
        labels = frame[vcol]
    elif mapping.visit is not None:
        mapping.visit = fixed_visit(mapping.visit, names)
        labels = pd.Series(mapping.visit, index=frame.index, dtype=object)
    else:
        raise Stop("no visit column found: say which column holds the visit, or which visit "
                   f"all rows belong to (visits: {', '.join(names.ids)})", option="visit")
    visit = names.resolve(labels)
    out.participant_column, out.visit_column = pcol, vcol
    mapping.participant_column, mapping.visit_column = pcol, vcol
    out.warnings += [Problem(None, vcol, n) for n in dict.fromkeys(names.notes)]
    return frame[pcol].astype(object), visit, labels.astype(object), {pcol, vcol} - {None}


def _item_columns(out: Extract, columns: list[str], protocol: Protocol,
                  ignore: Collection[str] = ()) -> dict[str, str]:
    """Columns that hold items (explicit mapping or item name); the rest listed as unmatched."""
    items = _items(protocol)
    chosen = dict(out.mapping.columns)
    known = set(items.values())
    mapped: dict[str, str] = {}
    for col in columns:
        key = col
        target = chosen[key] if key in chosen else items.get(norm(col))
        if target and target not in known:
            raise Stop(f"column {col} is mapped to {target!r}, which is not a questionnaire "
                       "item of the protocol", column=col)
        if target:
            mapped[col] = target
        elif key not in chosen and col not in ignore:
            out.unmatched.append(col)
    taken: dict[str, str] = {}
    for col, target in mapped.items():
        if target in taken:
            raise Stop(f"columns {taken[target]} and {col} both hold item {target}", column=col)
        taken[target] = col
    out.mapping.columns = {**{k: v for k, v in out.mapping.columns.items() if not v}, **mapped}
    return mapped


def _finish_wide(out: Extract, frame: pd.DataFrame, protocol: Protocol, keys: set[str],
                 participant: pd.Series, visit: pd.Series, labels: pd.Series,
                 ignore: Collection[str] = ()) -> None:
    out.treatment = [c for c in guarded(frame, protocol) if c not in keys]
    check_mapped([str(c) for c in frame.columns], out.mapping.columns)
    candidates = [str(c) for c in frame.columns if c not in keys and c not in out.treatment]
    targets = _item_columns(out, candidates, protocol, ignore)
    if not targets and not out.values.size:
        raise Stop("no column matches a questionnaire item of the protocol; map columns in a "
                   "profile or rename them")
    out.warnings += unmatched_warnings(out.unmatched, "questionnaire item")
    wide = melt(out.table, frame, targets, participant, visit, labels)
    out.values = pd.concat([out.values, wide], ignore_index=True) if len(out.values) else wide


def _wide(out: Extract, protocol: Protocol) -> None:
    frame, out.mapping.drop_columns = drop_columns(out.table, out.mapping.drop_columns)
    participant, visit, labels, keys = _keys(out, frame, protocol, None, VISIT_NAMES)
    _finish_wide(out, frame, protocol, keys, participant, visit, labels)


def _redcap(out: Extract, protocol: Protocol) -> None:
    frame, out.mapping.drop_columns = drop_columns(out.table, out.mapping.drop_columns)
    columns = [str(c) for c in frame.columns]
    record = find_column(columns, ["record_id"]) or columns[0]
    participant, visit, labels, keys = _keys(out, frame, protocol, record, REDCAP_EVENT)
    skip = {c for c in columns if _REDCAP_SKIP.match(norm(c)) and c not in keys}
    frame = frame.drop(columns=sorted(skip))
    items = _items(protocol)
    groups: dict[str, list[str]] = {}
    for col in frame.columns:
        m = _CHECKBOX.match(str(col))
        if m and norm(col) not in items and norm(m.group(1)) in items \
                and norm(col) not in {norm(k) for k in out.mapping.columns}:
            groups.setdefault(items[norm(m.group(1))], []).append(str(col))
    for item, cols in groups.items():
        out.values = pd.concat([out.values, _checkbox_group(out, frame, item, cols,
                                                            participant, visit, labels)],
                               ignore_index=True)
    grouped = {c for cols in groups.values() for c in cols}
    _finish_wide(out, frame.drop(columns=sorted(grouped)), protocol, keys, participant, visit,
                 labels)


def _checkbox_group(out: Extract, frame: pd.DataFrame, item: str, cols: list[str],
                    participant: pd.Series, visit: pd.Series, labels: pd.Series) -> pd.DataFrame:
    """A single-answer item exported as REDCap checkboxes: the value is the checked code."""
    checked = np.column_stack([
        frame[c].astype(str).str.strip().str.lower().isin(["1", "checked"]).to_numpy()
        for c in cols])
    count = checked.sum(axis=1)
    rows = out.table.rows
    for r in rows[count > 1]:
        out.errors.append(Problem(int(r), cols[0].rsplit("___", 1)[0],
                                  f"several options of {item} are checked; it takes one answer"))
    one = count == 1
    which = checked[one].argmax(axis=1)
    return pd.DataFrame({
        "row": rows[one], "column": np.array(cols, dtype=object)[which],
        "participant": participant.to_numpy()[one], "visit": visit.to_numpy()[one],
        "visit_label": labels.to_numpy()[one], "target": item,
        "raw": np.array([c.rsplit("___", 1)[1] for c in cols], dtype=object)[which],
    })[VALUE_COLUMNS]


def _qualtrics(out: Extract, protocol: Protocol, keep_test: bool) -> None:
    frame, out.mapping.drop_columns = drop_columns(out.table, out.mapping.drop_columns)
    columns = [str(c) for c in frame.columns]
    status = find_column(columns, ["Status"])
    if status is not None:
        kinds = frame[status].astype(str).map(norm).map(QUALTRICS_NOT_ANSWERS)
        junk = kinds.notna().to_numpy()
        if junk.any() and keep_test:
            out.warnings.append(Problem(None, status, "Qualtrics previews, tests or spam "
                                        "are imported as asked: rows "
                                        + _rows(out.table.rows[junk]), option="keep_test"))
        elif junk.any():
            shown = ", ".join(f"{n} {k}" for k, n in kinds[junk].value_counts().items())
            out.warnings.append(Problem(None, status, f"{shown} response(s) of Qualtrics "
                                        "are not imported: rows "
                                        + _rows(out.table.rows[junk]), option="keep_test"))
            out.skip(junk, SKIP_STATUS)
            frame = frame[~junk]
    finished = find_column(columns, ["Finished"])
    if finished is not None:
        unfinished = frame[finished].astype(str).str.lower().isin(["false", "0"]).to_numpy()
        if unfinished.any():
            out.warnings.append(Problem(None, finished, "responses not finished; their answers "
                                        "are imported: rows " + _rows(out.table.rows[unfinished])))
    participant, visit, labels, keys = _keys(out, frame, protocol, None, VISIT_NAMES)
    meta = {c for c in columns if norm(c) in QUALTRICS_META or c.startswith("Q_")}
    _finish_wide(out, frame, protocol, keys, participant, visit, labels, ignore=meta)


def _rows(rows: np.ndarray) -> str:
    return ", ".join(str(int(r)) for r in rows)


def _long(out: Extract, protocol: Protocol) -> None:
    frame, out.mapping.drop_columns = drop_columns(out.table, out.mapping.drop_columns)
    columns = [str(c) for c in frame.columns]
    icol, vcol = find_column(columns, ITEM_NAMES), find_column(columns, VALUE_NAMES)
    if icol is None or vcol is None:
        raise Stop("a long table needs an item column and a value column (named item and "
                   "value, say)")
    participant, visit, labels, keys = _keys(out, frame, protocol, None, VISIT_NAMES)
    keys |= {icol, vcol}
    out.treatment = [c for c in guarded(frame, protocol) if c not in keys]
    out.unmatched = [c for c in columns if c not in keys and c not in out.treatment]
    out.warnings += unmatched_warnings(out.unmatched, "key, item or value")
    items = _items(protocol)
    chosen = {norm(k): v for k, v in out.mapping.columns.items()}
    codes, uniques = pd.factorize(frame[icol])
    names = [chosen.get(norm(u)) or items.get(norm(u)) for u in uniques]
    for i, name in enumerate(names):
        if name is None:
            where = out.table.rows[codes == i]
            out.warnings.append(Problem(int(where[0]), icol, f"item {uniques[i]!r} is not an "
                                        f"item of the protocol; its {len(where)} row(s) are "
                                        "not imported"))
    target = from_names(codes, names)
    raw = frame[vcol].to_numpy()
    keep = (target.codes >= 0) & ~pd.isna(raw)
    out.values = pd.DataFrame({
        "row": out.table.rows[keep], "column": vcol,
        "participant": participant.to_numpy()[keep], "visit": visit.array[keep],
        "visit_label": labels.to_numpy()[keep], "target": target[keep], "raw": raw[keep],
    })[VALUE_COLUMNS]
