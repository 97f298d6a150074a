"""One measure over every participant as a float table: the group view's fetch.

The group view (services/plot_data.group_plot) reads one value per participant and
dosing visit, some 30,000 at 10,000 participants. Through SQLAlchemy each row becomes
a Row object and each statement is compiled and cached; at this size that was most
of the time. So the rows are read here through the session's own driver cursor, in
the session's transaction, as the driver's plain tuples: with psycopg 3 in binary
format (numbers arrive as machine values, not text to parse). Every statement is a
few narrow reads matched up by (participant, dosing visit) in numpy; the values and
the quality values come from the covering index on observations (migration 0011).

What is read and what is left out is decided by group_plot and trialcore.counted,
never here: this module only turns the stored rows into numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import closing
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from trialcore.counted import NOT_GIVEN
from trialcore.protocol import Measure, Protocol

FIXED_COLUMNS = 6  # participant, stratum, x, value, dosing visit, given


def group_table(s: Session, protocol: Protocol, measure: str, checked: Sequence[Measure],
                unblinded: bool) -> np.ndarray:
    """One row per stored value of `measure` at a dosing visit: participant id, stratum
    index (len(strata): none), x (condition index when unblinded, else dosing visit
    index; -1: none revealed), value, dosing visit index, given (1) or not (0), then the
    value of each `checked` quality measure at that visit if it may fail its check (NaN:
    none, or plainly within the limit: the thousands of scans that pass are not read)."""
    with closing(_Reader(s, [v.id for v in protocol.dosing_visits])) as read:
        return _table(read, protocol, measure, checked, unblinded)


def _table(read: _Reader, protocol: Protocol, measure: str, checked: Sequence[Measure],
           unblinded: bool) -> np.ndarray:
    occasion_of, dosing = read.case("visit", read.dosing, -1), read.among("visit", read.dosing)
    # a read per dosing visit, each a range of the covering index in participant order:
    # two columns instead of three, so a third fewer numbers to convert
    name = read.mark(measure)
    per_visit = [read(f"SELECT participant_id, value FROM observations WHERE measure = {name}"
                      f" AND visit = {visit} AND value IS NOT NULL", 2)
                 for visit in read.visit_marks]
    values = np.concatenate(per_visit)
    pid = values[:, 0].astype(np.int64)
    occasion = np.repeat(np.arange(len(per_visit)), [len(v) for v in per_visit])
    size = int(pid.max(initial=0)) + 1
    strata = list(protocol.strata)
    people = read(f"SELECT id, {read.case('stratum', strata, len(strata))} FROM participants", 2)
    people = people[people[:, 0] < size]
    stratum = np.full(size, float(len(strata)))
    stratum[people[:, 0].astype(np.int64)] = people[:, 1]

    def at(rows: np.ndarray, missing: float) -> np.ndarray:
        """rows (participant, dosing visit, x) looked up for each value; `missing`: none."""
        grid = np.full((size, len(read.dosing)), missing)
        rows = rows[rows[:, 0] < size]
        grid[rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)] = rows[:, 2]
        return grid[pid, occasion]

    given = at(read(f"SELECT participant_id, {occasion_of}, 0 FROM visits WHERE"
                    f" {read.among('status', sorted(NOT_GIVEN))} AND {dosing}", 3), 1.0)
    if unblinded:
        # one scan of the table, each row one number (participant, dosing visit and
        # condition index + 1, packed): a third of the values to convert
        codes, visits = [c.code for c in protocol.conditions], len(read.dosing)
        kinds = len(codes) + 1  # 0: none of the protocol's conditions
        packed = read(f"SELECT (participant_id * {visits} + {occasion_of}) * {kinds}"
                      f" + {read.case('condition', codes, -1)} + 1"
                      f" FROM revealed_conditions WHERE {dosing}", 1)[:, 0].astype(np.int64)
        x = at(np.column_stack([packed // (kinds * visits), packed // kinds % visits,
                                packed % kinds - 1]), -1.0)
    else:
        x = occasion.astype(float)
    # Only the quality values that may fail are read: a value plainly within its limit
    # cannot, and one missing reads as NaN either way (trialcore.counted decides on the rest).
    quality = [at(read(f"SELECT participant_id, {occasion_of}, value FROM observations"
                       f" WHERE measure = {read.mark(m.name)} AND {dosing}"
                       f" AND NOT (value <= {read.mark(m.qc_max)})", 3), np.nan)
               for m in checked]
    return np.column_stack([pid, stratum[pid], x, values[:, 1], occasion, given,
                            *quality]).reshape(-1, FIXED_COLUMNS + len(checked))


class _Reader:
    """Statements on the session's driver connection, in its transaction. Parameters
    are named (sqlite3 `:p0`, psycopg `%(p0)s`); `mark` adds one to the next statement.
    Each statement is announced to the connection's before_cursor_execute listeners as
    SQLAlchemy announces its own, so what watches the engine's statements (the tests'
    check that nothing reads revealed conditions while blinded) sees these too."""

    def __init__(self, s: Session, dosing: Sequence[str]):
        self.connection = s.connection()
        connection = self.connection.connection.driver_connection
        self.sqlite = s.get_bind().dialect.name == "sqlite"
        self.cursor = connection.cursor() if self.sqlite else connection.cursor(binary=True)
        self.dosing = list(dosing)
        self.params: dict[str, Any] = {}
        self.visit_marks = [self.mark(v) for v in self.dosing]

    def mark(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}" if self.sqlite else f"%({name})s"

    def among(self, column: str, names: Sequence[str]) -> str:
        marks = self.visit_marks if names == self.dosing else [self.mark(n) for n in names]
        return f"{column} IN ({', '.join(marks)})"

    def case(self, column: str, names: Sequence[str], otherwise: int) -> str:
        """`column`'s index in `names`, `otherwise` if none of them."""
        whens = " ".join(f"WHEN {self.mark(n)} THEN {i}" for i, n in enumerate(names))
        return f"CASE {column} {whens} ELSE {otherwise} END" if names else str(otherwise)

    def __call__(self, sql: str, width: int) -> np.ndarray:
        """The statement's rows as a float array of `width` columns; fromiter over the
        flattened tuples, about twice as quick as np.array over the rows."""
        self.connection.dispatch.before_cursor_execute(
            self.connection, self.cursor, sql, self.params, None, False)
        self.cursor.execute(sql, self.params)  # both drivers take the names they use
        rows = self.cursor.fetchall()
        return np.fromiter(chain.from_iterable(rows), dtype=float,
                           count=len(rows) * width).reshape(-1, width)

    def close(self) -> None:
        self.cursor.close()
