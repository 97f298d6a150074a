"""What the importers report: a problem names the file's row and column, as a user sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

PROBLEM_COLUMNS = ["row", "column", "message"]


@dataclass(frozen=True)
class Problem:
    """`row` is the spreadsheet row number (header = 1); None when the whole file is meant."""

    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def text(self, file_name: str) -> str:
        where = [file_name]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


class FileProblem(ValueError):
    """The file cannot be read as a table at all (empty, binary, ragged, ...)."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def problems_frame(rows: Any = (), column: Any = None, message: Any = "") -> pd.DataFrame:
    """A vectorized batch of problems: scalars broadcast over `rows`."""
    frame = pd.DataFrame({"row": pd.Series(rows, dtype="Int64")})
    frame["column"] = column
    frame["message"] = message
    return frame[PROBLEM_COLUMNS]


def to_problems(frame: pd.DataFrame) -> list[Problem]:
    """Sorted by row (file-wide problems first), as plain objects for reports."""
    if frame.empty:
        return []
    ordered = frame.assign(_k=frame["row"].fillna(-1)).sort_values("_k", kind="stable")
    return [Problem(None if pd.isna(r) else int(r), None if pd.isna(c) else str(c), str(m))
            for r, c, m in zip(ordered["row"], ordered["column"], ordered["message"],
                               strict=True)]


class Findings:
    """Problems gathered as frames, so one rule adds thousands of them in one step."""

    def __init__(self) -> None:
        self.errors: list[pd.DataFrame] = []
        self.warnings: list[pd.DataFrame] = []

    def error(self, rows: Any, column: Any, message: Any) -> None:
        self.errors.append(problems_frame(rows, column, message))

    def warn(self, rows: Any, column: Any, message: Any) -> None:
        self.warnings.append(problems_frame(rows, column, message))

    def add(self, problems: list[Problem], warning: bool = False) -> None:
        for p in problems:
            (self.warn if warning else self.error)([p.row], p.column, p.message)

    @staticmethod
    def listed(frames: list[pd.DataFrame]) -> list[Problem]:
        frames = [f for f in frames if len(f)]
        return to_problems(pd.concat(frames, ignore_index=True)) if frames else []
