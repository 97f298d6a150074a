"""A file's values in long form, as the file keyed them: what every format reader produces.

Readers for each format (scans.py, questionnaires.py) only find the keys and
say which column holds which measure or item; validation.py then checks all
values of all formats the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from importers.keys import VisitNames, exact_column, norm, treatment_columns
from importers.mapping import Mapping
from importers.problems import Problem, Stop
from importers.reading import Table
from trialcore.protocol import Protocol

VALUE_COLUMNS = ["row", "column", "participant", "visit", "visit_label", "target", "raw"]


@dataclass
class Extract:
    """`values` has one row per cell to import: VALUE_COLUMNS (visit NaN when unresolved)."""

    kind: str
    format: str
    table: Table
    mapping: Mapping
    values: pd.DataFrame
    participant_column: str | None = None
    visit_column: str | None = None
    treatment: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    # rows left out before validation, by reason (Qualtrics previews, other BIDS runs...)
    skipped: dict[str, np.ndarray] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.table.frame)

    @property
    def skipped_rows(self) -> np.ndarray:
        """Every row left out before validation, in file order."""
        parts = list(self.skipped.values())
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)

    def skip(self, mask: np.ndarray, reason: str) -> pd.DataFrame:
        """Leave the rows of `mask` out of the table, counted under `reason`; returns the
        remaining frame."""
        table = self.table
        self.skipped[reason] = np.concatenate([self.skipped.get(reason, np.empty(0, np.int64)),
                                               table.rows[mask]])
        self.table = replace(table, frame=table.frame[~mask], rows=table.rows[~mask])
        return self.table.frame


_DICTIONARY = {"variablefieldname", "formname", "fieldtype", "fieldlabel"}


def refuse_non_data(table: Table) -> None:
    """A REDCap data dictionary describes the fields and holds no answers: importing it
    would report every field as an unknown participant. Say what it is instead."""
    if {norm(c) for c in table.frame.columns} >= _DICTIONARY:
        raise Stop("this is a REDCap data dictionary (the fields' definitions), not data: "
                   "export the records instead (Data Exports, CSV / raw data)")


def empty_values() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "row" else object)
                         for c in VALUE_COLUMNS})


def drop_columns(table: Table, names: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """The frame without the columns the user chose to drop (names as in the file)."""
    frame, dropped = table.frame, []
    for name in names:
        col = exact_column(list(frame.columns), name, "leave out")
        dropped.append(col)
        frame = frame.drop(columns=[col])
    return frame, dropped


def check_mapped(columns: Sequence[str], explicit: dict[str, str]) -> None:
    """Every column a mapping names (option or saved profile) is in the file, spelled
    exactly: two columns that differ only in case or punctuation (Q2_1, Q2_-1) are two
    questions, and a near miss must not pick one of them."""
    for name, target in explicit.items():
        if target:
            exact_column(columns, name, "map")


def pick_column(frame: pd.DataFrame, chosen: str | None, what: str) -> str | None:
    """The user's chosen column (must exist), else None. Spelled loosely (case, spaces)
    it is taken when exactly one column matches; two are refused, naming both."""
    if chosen is None:
        return None
    columns = [str(c) for c in frame.columns]
    if chosen in columns:
        return chosen
    near = [c for c in columns if norm(c) == norm(chosen)]
    if len(near) > 1:
        raise Stop(f"columns {' and '.join(near)} both match {chosen!r} for the {what}; give "
                   "the exact name", option=f"{what}_column" if what in ("participant", "visit")
                   else None)
    if not near:
        raise Stop(f"there is no column {chosen!r} for the {what}; the columns are "
                   f"{', '.join(columns)}")
    return near[0]


def guarded(frame: pd.DataFrame, protocol: Protocol) -> list[str]:
    return treatment_columns([str(c) for c in frame.columns], protocol)


def fixed_visit(visit: str, names: VisitNames) -> str:
    resolved = names.one(visit)
    if resolved is None:
        raise Stop(f"the protocol has no visit {visit!r}; its visits are "
                   f"{', '.join(names.ids)}", option="visit")
    return resolved


def melt(table: Table, frame: pd.DataFrame, targets: dict[str, str], participant: pd.Series,
         visit: pd.Series, visit_label: pd.Series) -> pd.DataFrame:
    """Long values from wide columns: one row per filled cell of each mapped column."""
    parts = []
    for col, target in targets.items():
        cells = frame[col]
        keep = cells.notna().to_numpy()
        if not keep.any():
            continue
        parts.append(pd.DataFrame({
            "row": table.rows[keep], "column": col,
            "participant": participant.to_numpy()[keep], "visit": visit.to_numpy()[keep],
            "visit_label": visit_label.to_numpy()[keep], "target": target,
            "raw": cells.to_numpy()[keep],
        }))
    if not parts:
        return empty_values()
    return pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]


def unmatched_warnings(columns: Sequence[str], what: str) -> list[Problem]:
    return [Problem(None, c, f"matches no {what} of the protocol; not imported")
            for c in columns]
