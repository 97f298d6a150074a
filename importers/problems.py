"""What the importers report: a problem names the file's row and column, as a user sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

PROBLEM_COLUMNS = ["row", "column", "message"]


# The choices a problem can point to (`Problem.option`); each front end words them its
# own way: the CLI names a flag, the GUI wizard a control.
OPTIONS = ("drop_column", "participant_column", "visit_column", "visit", "update",
           "keep_test", "decimal", "only_registered", "bids_filter", "format")


@dataclass(frozen=True)
class Problem:
    """`row` is the spreadsheet row number (header = 1); None when the whole file is meant.

    `option` names the import choice that would resolve it (one of OPTIONS) and `value`
    what to choose, so each front end can say it in its own words; the message itself
    names no flag or control."""

    row: int | None
    column: str | None
    message: str
    option: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The CLI.md shape; a front end words `option` into the message itself."""
        return {"row": self.row, "column": self.column, "message": self.message}

    def text(self, file_name: str, hint: str = "") -> str:
        where = [file_name]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" + (f" ({hint})" if hint else "")


class FileProblem(ValueError):
    """The file cannot be read as a table at all (empty, binary, ragged, ...)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


class Stop(Exception):
    """A problem that leaves nothing to validate (no participant column, say)."""

    def __init__(self, message: str, column: str | None = None, option: str | None = None,
                 value: str | None = None):
        super().__init__(message)
        self.problem = Problem(None, column, message, option, value)


def problems_frame(rows: Any = (), column: Any = None, message: Any = "",
                   option: str | None = None, value: Any = None) -> pd.DataFrame:
    """A vectorized batch of problems: scalars broadcast over `rows`."""
    frame = pd.DataFrame({"row": pd.Series(rows, dtype="Int64")})
    frame["column"] = column
    frame["message"] = message
    frame["option"] = option
    frame["value"] = value
    return frame[[*PROBLEM_COLUMNS, "option", "value"]]


def _text_or_none(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) \
        else str(value)


def to_problems(frame: pd.DataFrame) -> list[Problem]:
    """Sorted by row (file-wide problems first), as plain objects for reports."""
    if frame.empty:
        return []
    ordered = frame.assign(_k=frame["row"].fillna(-1)).sort_values("_k", kind="stable")
    return [Problem(None if pd.isna(r) else int(r), _text_or_none(c), str(m),
                    _text_or_none(o), _text_or_none(v))
            for r, c, m, o, v in zip(ordered["row"], ordered["column"], ordered["message"],
                                     ordered["option"], ordered["value"], strict=True)]


class Findings:
    """Problems gathered as frames, so one rule adds thousands of them in one step."""

    def __init__(self) -> None:
        self.errors: list[pd.DataFrame] = []
        self.warnings: list[pd.DataFrame] = []

    def error(self, rows: Any, column: Any, message: Any, option: str | None = None,
              value: Any = None) -> None:
        self.errors.append(problems_frame(rows, column, message, option, value))

    def warn(self, rows: Any, column: Any, message: Any, option: str | None = None,
             value: Any = None) -> None:
        self.warnings.append(problems_frame(rows, column, message, option, value))

    def add(self, problems: list[Problem], warning: bool = False) -> None:
        for p in problems:
            (self.warn if warning else self.error)([p.row], p.column, p.message, p.option,
                                                   p.value)

    @staticmethod
    def listed(frames: list[pd.DataFrame]) -> list[Problem]:
        frames = [f for f in frames if len(f)]
        return to_problems(pd.concat(frames, ignore_index=True)) if frames else []
