"""The export tables (long, wide, BIDS) and the dictionary that describes every column.

Before unblinding the tables carry dose codes only: no column, value or
dictionary entry names a condition, its label or its dose. After unblinding
each dosing visit gets its condition, label and dose.

A table is held as columns. The long table (one row per observation, millions in
a large study) has no Python step per row: each of its columns but the values is
Picked, by an array of codes, from a short list of cells made once per
participant, visit, participant × visit, measure or import; the writer takes it
a slice at a time, so its cells exist as Python objects only for that slice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.dataset import Dataset, Key, objects
from trialcore.protocol import Measure, Protocol, VisitSpec

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """A column and its data-dictionary entry."""

    name: str
    meaning: str
    unit: str = ""
    range: str = ""
    source: str = ""
    levels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sliced:
    """A column made a slice at a time: slicing it gives a list, as slicing a list does."""

    height: int
    make: Callable[[slice], list[Any]]

    def __len__(self) -> int:
        return self.height

    def __getitem__(self, where: slice) -> list[Any]:
        return self.make(where)


class Picked:
    """A column whose row i holds cells[codes[i]]: few distinct cells, many rows.
    Slicing it gives a list, as slicing a list does."""

    def __init__(self, cells: Sequence[Any], codes: np.ndarray):
        self.cells, self.codes = objects(cells), codes

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, where: slice) -> list[Any]:
        return self.cells[self.codes[where]].tolist()

    def map(self, change: Callable[[list[Any]], list[Any]]) -> Picked:
        """The column with each distinct cell changed, once, by `change` (list to list)."""
        return Picked(change(self.cells.tolist()), self.codes)


Cells = list[Any] | Sliced | Picked


@dataclass
class Table:
    name: str
    columns: list[Column]
    cells: dict[str, Cells] = field(default_factory=dict)  # column name -> its cells
    notes: list[Column] = field(default_factory=list)  # dictionary entries that are not columns

    @property
    def dictionary(self) -> list[Column]:
        return self.columns + self.notes

    @property
    def fields(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def height(self) -> int:
        return len(next(iter(self.cells.values()), []))

    def data(self) -> list[Cells]:
        """The cells, one sequence per column in column order."""
        return [self.cells[name] for name in self.fields]

    def fill(self, rows: list[Row]) -> Table:
        """Take the cells from rows (a column a row lacks is empty there)."""
        self.cells = {name: [row.get(name) for row in rows] for name in self.fields}
        return self


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() + ("Z" if isinstance(value, dt.datetime) else "")


def _span(low: float, high: float) -> str:
    """Interval notation: a range starting with a minus sign must not look like a formula."""
    return f"[{low:g}, {high:g}]"


def measure_source(m: Measure) -> str:
    if m.kind == "questionnaire":
        return f"questionnaire import, scored ({m.score} of {len(m.items)} items)"
    return "scan summary import"


def _condition_columns(protocol: Protocol, prefix: str = "") -> list[Column]:
    codes = tuple(c.code for c in protocol.conditions)
    doses = [c.dose_mg for c in protocol.conditions]
    return [
        Column(f"{prefix}condition", "condition given at this visit (revealed at unblinding)",
               source="study unblinding", levels=codes),
        Column(f"{prefix}condition_label", "the condition's name in the protocol",
               source="protocol"),
        Column(f"{prefix}dose_mg", "the condition's dose", unit="mg",
               range=_span(min(doses), max(doses)), source="protocol"),
    ]


def _condition_values(data: Dataset, key: Key, prefix: str = "") -> Row:
    found = data.conditions.get(key)
    condition = data.protocol.condition(found[0]) if found else None
    return {f"{prefix}condition": condition.code if condition else None,
            f"{prefix}condition_label": condition.label if condition else None,
            f"{prefix}dose_mg": _whole(condition.dose_mg) if condition else None}


def _whole(value: float) -> float | int:
    """80.0 mg reads as 80."""
    return int(value) if float(value).is_integer() else value


PARTICIPANT = Column("participant", "participant ID", source="participant register")
STATUSES = ("registered", "enrolled", "withdrawn")
VISIT_STATUSES = ("scheduled", "booked", "done", "missed", "cancelled")


def _stratum(protocol: Protocol) -> Column:
    return Column("stratum", "stratum the participant was randomized in",
                  source="participant register", levels=protocol.strata)


def _code_column(prefix: str = "") -> Column:
    return Column(f"{prefix}dose_code", "the kit code given at this dosing visit; which "
                  "condition it stands for stays sealed until unblinding",
                  source="allocation list")


def long_table(data: Dataset) -> Table:
    """One row per participant × visit × measure that has a value."""
    p = data.protocol
    columns = [
        PARTICIPANT, _stratum(p),
        Column("visit", "visit ID in the protocol", source="protocol",
               levels=tuple(v.id for v in p.visits)),
        Column("visit_label", "the visit's name in the protocol", source="protocol"),
        Column("period", "dosing visit order (1 = first dosing visit); empty at other visits",
               range=_span(1, len(p.dosing_visits)), source="protocol"),
        Column("visit_date", "date the visit took place (ISO 8601)", source="visit log"),
        Column("visit_status", "what happened to the visit", source="visit log",
               levels=VISIT_STATUSES),
        _code_column(),
        *(_condition_columns(p) if data.unblinded else []),
        Column("measure", "the measure (see the measure entries below)", source="protocol",
               levels=tuple(m.name for m in p.measures)),
        Column("value", "the measure's value at this visit", unit="see the unit column",
               source="the import named in import_file"),
        Column("unit", "unit of value", source="protocol"),
        Column("import_id", "number of the import that wrote the value", source="import log"),
        Column("import_file", "name of the file imported", source="import log"),
        Column("imported_at", "when the file was imported (UTC, ISO 8601)",
               source="import log"),
    ]
    notes = [Column(f"measure = {m.name}", m.label, m.unit, _span(m.min, m.max),
                    measure_source(m)) for m in p.measures]
    obs = data.observations
    visits, people = obs.visit_names, data.people
    specs = [p.visit(v) for v in visits]
    measures = [p.measure(name) for name in obs.measure_names]
    imports = [0, *sorted(data.imports)]  # 0: no import
    sources = [data.imports.get(i) for i in imports]
    pairs = [_visit_cells(data, (person.label, visit), spec)
             for person in people for visit, spec in zip(visits, specs, strict=True)]
    picks: list[tuple[dict[str, list[Any]], np.ndarray]] = [
        ({"participant": [person.label for person in people],
          "stratum": [person.stratum for person in people]}, obs.person),
        ({"visit": visits, "visit_label": [spec.label if spec else None for spec in specs],
          "period": [data.period(v) for v in visits]}, obs.visit),
        # (the keys of any pair's cells name the columns)
        ({name: [cells[name] for cells in pairs] for name in _visit_cells(data, ("", ""))},
         obs.person * len(visits) + obs.visit),
        ({"measure": obs.measure_names, "unit": [m.unit if m else None for m in measures]},
         obs.measure),
        ({"import_id": [i or None for i in imports],
          "import_file": [s.file_name if s else None for s in sources],
          "imported_at": [_iso(s.at) if s else None for s in sources]},
         np.searchsorted(imports, obs.import_id)),
    ]
    cells: dict[str, Cells] = {name: Picked(values, codes) for values_by_name, codes in picks
                               for name, values in values_by_name.items()}
    cells["value"] = Sliced(len(obs), obs.values)
    return Table("data", columns, cells, notes)


def _visit_cells(data: Dataset, key: Key, spec: VisitSpec | None = None) -> Row:
    """The long table's cells that depend on the participant and the visit: the visit
    log's, the dose code at a dosing visit and, once unblinded, the condition."""
    facts = data.visits.get(key)
    row: Row = {"visit_date": _iso(facts.date) if facts else None,
                "visit_status": facts.status if facts else None,
                "dose_code": data.codes.get(key) if spec and spec.dosing else None}
    if data.unblinded:
        row |= _condition_values(data, key)
    return row


def _participant_columns(p: Protocol) -> list[Column]:
    return [PARTICIPANT, _stratum(p),
            Column("status", "participant status", source="participant register",
                   levels=STATUSES),
            Column("enrolled_on", "date of enrolment (ISO 8601)", source="participant register"),
            Column("withdrawn_on", "date of withdrawal (ISO 8601)",
                   source="participant register")]


def wide_table(data: Dataset) -> Table:
    """One row per participant; per visit its date, status, code (condition) and values."""
    p = data.protocol
    columns = _participant_columns(p)
    for spec in p.visits:
        columns += [Column(f"{spec.id}_date", f"date of {spec.label} (ISO 8601)",
                           source="visit log"),
                    Column(f"{spec.id}_status", f"what happened to {spec.label}",
                           source="visit log", levels=VISIT_STATUSES)]
        if spec.dosing:
            columns.append(_code_column(f"{spec.id}_"))
            if data.unblinded:
                columns += _condition_columns(p, f"{spec.id}_")
        columns += [Column(f"{m.name}_{spec.id}", f"{m.label} at {spec.label}", m.unit,
                           _span(m.min, m.max), measure_source(m)) for m in p.measures]
    values = _values(data)
    rows = []
    for person in data.people:
        row: Row = {"participant": person.label, "stratum": person.stratum,
                    "status": person.status, "enrolled_on": _iso(person.enrolled_on),
                    "withdrawn_on": _iso(person.withdrawn_on)}
        for spec in p.visits:
            key = (person.label, spec.id)
            facts = data.visits.get(key)
            row[f"{spec.id}_date"] = _iso(facts.date) if facts else None
            row[f"{spec.id}_status"] = facts.status if facts else None
            if spec.dosing:
                row[f"{spec.id}_dose_code"] = data.codes.get(key)
                if data.unblinded:
                    row |= _condition_values(data, key, f"{spec.id}_")
            for m in p.measures:
                row[f"{m.name}_{spec.id}"] = values.get((person.label, spec.id, m.name))
        rows.append(row)
    return Table("data", columns).fill(rows)


def _values(data: Dataset) -> dict[tuple[str, str, str], float | None]:
    """(participant, visit, measure) -> value."""
    return {(participant, visit, measure): value
            for participant, visit, measure, value in data.observed()}


# -- BIDS ---------------------------------------------------------------------------------

def bids_subject(data: Dataset, number: int) -> str:
    return f"sub-{number:0{data.protocol.id_digits}d}"


def bids_session(data: Dataset, visit: str) -> str:
    """ses-01, ses-02…: the visit's position in the protocol, as scanners number sessions."""
    position = [v.id for v in data.protocol.visits].index(visit) + 1
    return f"ses-{position:02d}"


def bids_participants(data: Dataset) -> Table:
    p = data.protocol
    columns = [Column("participant_id", "BIDS subject label", source="participant register"),
               Column("participant", "participant ID in TrialDesk",
                      source="participant register"),
               *_participant_columns(p)[1:]]
    if data.unblinded:
        columns.append(Column("sequence", "conditions in dosing order, comma-separated",
                              source="study unblinding",
                              levels=tuple(c.code for c in p.conditions)))
    rows = []
    for person in data.people:
        row: Row = {"participant_id": bids_subject(data, person.number),
                    "participant": person.label, "stratum": person.stratum,
                    "status": person.status, "enrolled_on": _iso(person.enrolled_on),
                    "withdrawn_on": _iso(person.withdrawn_on)}
        if data.unblinded:
            given = [data.conditions.get((person.label, v.id)) for v in p.dosing_visits]
            row["sequence"] = ",".join(c[0] for c in given if c) or None
        rows.append(row)
    return Table("participants", columns).fill(rows)


def bids_sessions(data: Dataset) -> dict[str, Table]:
    """One sessions table per subject, keyed by its BIDS subject label."""
    p = data.protocol
    columns = [Column("session_id", "BIDS session label: the visit's position in the protocol",
                      source="protocol"),
               Column("visit", "visit ID in TrialDesk", source="protocol",
                      levels=tuple(v.id for v in p.visits)),
               Column("visit_date", "date the visit took place (ISO 8601)", source="visit log"),
               Column("visit_status", "what happened to the visit", source="visit log",
                      levels=VISIT_STATUSES),
               _code_column(),
               *(_condition_columns(p) if data.unblinded else []),
               *(Column(m.name, m.label, m.unit, _span(m.min, m.max), measure_source(m))
                 for m in p.measures)]
    values = _values(data)
    tables = {}
    for person in data.people:
        rows = []
        for spec in p.visits:
            key = (person.label, spec.id)
            facts = data.visits.get(key)
            row: Row = {"session_id": bids_session(data, spec.id), "visit": spec.id,
                        "visit_date": _iso(facts.date) if facts else None,
                        "visit_status": facts.status if facts else None,
                        "dose_code": data.codes.get(key) if spec.dosing else None}
            if data.unblinded:
                row |= _condition_values(data, key)
            row |= {m.name: values.get((person.label, spec.id, m.name)) for m in p.measures}
            rows.append(row)
        tables[bids_subject(data, person.number)] = Table("sessions", columns).fill(rows)
    return tables
