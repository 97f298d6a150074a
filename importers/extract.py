"""A file's values in long form, as the file keyed them: what every format reader produces.

Readers for each format (scans.py, questionnaires.py) only find the keys and
say which column holds which measure or item; validation.py then checks all
values of all formats the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from importers.keys import VisitNames, named_column, treatment_columns
from importers.mapping import Mapping
from importers.problems import Problem
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
    skipped_rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.table.frame)


class Stop(Exception):
    """A problem that leaves nothing to validate (no participant column, say)."""

    def __init__(self, message: str, column: str | None = None):
        super().__init__(message)
        self.problem = Problem(None, column, message)


def empty_values() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "row" else object)
                         for c in VALUE_COLUMNS})


def drop_columns(table: Table, names: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """The frame without the columns the user chose to drop (names as in the file)."""
    frame, dropped = table.frame, []
    for name in names:
        col = named_column(list(frame.columns), name)
        if col is None:
            raise Stop(f"--drop-column {name}: the file has no such column; its columns are "
                       f"{', '.join(map(str, table.frame.columns))}")
        dropped.append(col)
        frame = frame.drop(columns=[col])
    return frame, dropped


def pick_column(frame: pd.DataFrame, chosen: str | None, what: str) -> str | None:
    """The user's chosen column (must exist), else None."""
    if chosen is None:
        return None
    col = named_column(list(frame.columns), chosen)
    if col is None:
        raise Stop(f"there is no column {chosen!r} for the {what}; the columns are "
                   f"{', '.join(map(str, frame.columns))}")
    return col


def guarded(frame: pd.DataFrame, protocol: Protocol) -> list[str]:
    return treatment_columns([str(c) for c in frame.columns], protocol)


def fixed_visit(visit: str, names: VisitNames) -> str:
    resolved = names.one(visit)
    if resolved is None:
        raise Stop(f"--visit {visit}: the protocol has no such visit; its visits are "
                   f"{', '.join(names.ids)}")
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
