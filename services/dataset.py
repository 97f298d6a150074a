"""The study's data as exports and the analysis read them: one query per table.

Conditions are read only once the study is unblinded; before that the dataset
holds dose codes and nothing that could reveal which condition a code stands for.

The observations (millions in a large study) are read as columns: numpy arrays
of codes into small lists of names, sorted once with numpy, so no Python object
is made per observation beyond what the database driver hands over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from db.models import (
    AllocationSlot,
    DoseCode,
    ImportRecord,
    Observation,
    Participant,
    RevealedCondition,
    Study,
    Visit,
)
from trialcore import counted
from trialcore.protocol import Protocol

Key = tuple[str, str]  # participant label, visit id
FETCH = 50_000  # observation rows taken from the driver at a time


@dataclass(frozen=True)
class Person:
    label: str
    number: int
    stratum: str | None
    status: str
    enrolled_on: dt.date | None
    withdrawn_on: dt.date | None


@dataclass(frozen=True)
class VisitFacts:
    date: dt.date | None
    status: str


@dataclass(frozen=True)
class Source:
    file_name: str
    at: dt.datetime


@dataclass
class Observations:
    """Every observation as columns, in export order: participant number, the visit's
    place in the protocol (visits it does not name share the last place), the
    measure's place (measures it does not name after its own, by name), then the
    order the database returned them in.

    `person` indexes Dataset.people, `visit` visit_names, `measure` measure_names;
    `import_id` is 0 where no import wrote the value; `value` is float64, its cell
    meaningless where `empty` (NULL in the database) is set.
    """

    person: np.ndarray
    visit: np.ndarray
    measure: np.ndarray
    value: np.ndarray
    empty: np.ndarray
    import_id: np.ndarray
    visit_names: list[str]
    measure_names: list[str]

    def __len__(self) -> int:
        return len(self.value)

    def values(self, where: slice = slice(None)) -> list[float | None]:
        """The values as the database holds them: floats, None for NULL."""
        return np.where(self.empty[where], None, self.value[where]).tolist()


class _Codes(dict[str, int]):
    """Name -> code: the protocol's names first, any other name gets the next code."""

    def __init__(self, names: list[str]):
        super().__init__((name, i) for i, name in enumerate(names))
        self.names = list(names)

    def __missing__(self, name: str) -> int:
        self.names.append(name)
        code = self[name] = len(self.names) - 1
        return code

    def codes(self, values: np.ndarray) -> np.ndarray:
        return np.fromiter(map(self.__getitem__, values), np.int64, len(values))


@dataclass
class Dataset:
    protocol: Protocol
    unblinded: bool
    observations: Observations
    people: list[Person] = field(default_factory=list)
    visits: dict[Key, VisitFacts] = field(default_factory=dict)
    codes: dict[Key, str] = field(default_factory=dict)
    conditions: dict[Key, tuple[str, int]] = field(default_factory=dict)
    imports: dict[int, Source] = field(default_factory=dict)

    def period(self, visit: str) -> int | None:
        """The dosing visit's place in the sequence; public, unlike its condition."""
        dosing = [v.id for v in self.protocol.dosing_visits]
        return dosing.index(visit) + 1 if visit in dosing else None

    def given(self, key: Key) -> bool:
        """Whether values stored at this visit count (trialcore.counted): a visit logged
        missed or cancelled keeps its values in the database, out of the analysis."""
        facts = self.visits.get(key)
        return facts is None or counted.given(facts.status)

    def observed(self) -> Iterator[tuple[str, str, str, float | None]]:
        """(participant, visit, measure, value) of every observation, in export order."""
        obs = self.observations
        labels = objects([person.label for person in self.people])
        return zip(labels[obs.person].tolist(), objects(obs.visit_names)[obs.visit].tolist(),
                   objects(obs.measure_names)[obs.measure].tolist(), obs.values(),
                   strict=True)


def objects(values: Sequence[object]) -> np.ndarray:
    """The values (scalars: text, numbers, dates, None) as a 1-d object array, to be
    picked from by an array of codes."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def load(session: Session, protocol: Protocol) -> Dataset:
    unblinded = session.scalar(select(Study.stage)) == "unblinded"
    found = session.scalars(select(Participant).order_by(Participant.number)).all()
    label = {p.id: p.label for p in found}
    data = Dataset(protocol, unblinded, _observations(session, protocol, [p.id for p in found]),
                   [Person(p.label, p.number, p.stratum, p.status, p.enrolled_on,
                           p.withdrawn_on) for p in found])
    for pid, visit, date, status in session.execute(
            select(Visit.participant_id, Visit.visit, Visit.actual_date, Visit.status)):
        data.visits[label[pid], visit] = VisitFacts(date, status)
    for pid, visit, code in session.execute(
            select(AllocationSlot.participant_id, DoseCode.visit, DoseCode.code)
            .join(DoseCode, DoseCode.slot_id == AllocationSlot.id)
            .where(AllocationSlot.participant_id.is_not(None))):
        data.codes[label[pid], visit] = code
    if unblinded:
        for pid, visit, period, condition in session.execute(
                select(RevealedCondition.participant_id, RevealedCondition.visit,
                       RevealedCondition.period, RevealedCondition.condition)):
            data.conditions[label[pid], visit] = (condition, period)
    for iid, name, at in session.execute(select(ImportRecord.id, ImportRecord.file_name,
                                                ImportRecord.at)):
        data.imports[iid] = Source(name, at)
    return data


# The observation columns' types: codes and import numbers fit 32 bits (a study has
# fewer than two billion of each), which halves what three million rows take.
COLUMN_TYPES = (np.int32, np.int32, np.int32, np.float64, np.bool_, np.int32)


def _observations(session: Session, protocol: Protocol, ids: list[int]) -> Observations:
    """One plain SELECT read from the driver's cursor (server-side on PostgreSQL) in
    blocks, each turned into numpy columns at once; then one stable sort. The driver's
    rows, strings and numbers live only as long as their block (what outlives it is in
    numpy arrays). The blocks of a column are let go as soon as the column is joined
    up, and each column as soon as its sorted copy is made: at three million rows the
    largest moment is a few columns, not every column three times over (520 MB peak
    for the process before, on PostgreSQL)."""
    by_id = np.argsort(ids).astype(np.int32)  # index in people (number order), by id
    known = np.asarray(ids, dtype=np.int64)[by_id]
    visits = _Codes([v.id for v in protocol.visits])
    measures = _Codes([m.name for m in protocol.measures])
    blocks: list[list[np.ndarray]] = [[] for _ in COLUMN_TYPES]
    query = select(Observation.participant_id, Observation.visit, Observation.measure,
                   Observation.value, func.coalesce(Observation.import_id, literal(0)))
    sql = str(query.compile(dialect=session.get_bind().dialect,
                            compile_kwargs={"literal_binds": True}))
    raw = session.connection().connection
    # On PostgreSQL a named (server-side) cursor: a client-side one takes every row
    # into libpq's memory at execute, about 900 MB for three million observations.
    cursor = (raw.cursor(name="trialdesk_observations")
              if session.get_bind().dialect.name == "postgresql" else raw.cursor())
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH):
            block = np.array(rows, dtype=object)
            del rows
            for parts, part, kind in zip(blocks, (
                    by_id[np.searchsorted(known, block[:, 0].astype(np.int64))],
                    visits.codes(block[:, 1]),
                    measures.codes(block[:, 2]), block[:, 3].astype(np.float64),
                    np.equal(block[:, 3], None), block[:, 4].astype(np.int64)),
                    COLUMN_TYPES, strict=True):
                parts.append(part.astype(kind, copy=False))
    finally:
        cursor.close()
    columns = []
    for i, kind in enumerate(COLUMN_TYPES):
        columns.append(np.concatenate(blocks[i]) if blocks[i] else np.empty(0, dtype=kind))
        blocks[i] = []
    person, visit, measure = columns[:3]
    # Sort keys: visits the protocol does not name share the last place; measures it
    # does not name follow its own, by name.
    n_visits, n_measures = len(protocol.visits), len(protocol.measures)
    visit_rank = np.minimum(np.arange(len(visits.names)), n_visits)
    others = {name: n_measures + i for i, name in enumerate(sorted(measures.names[n_measures:]))}
    measure_rank = np.array([others.get(name, i) for i, name in enumerate(measures.names)],
                            dtype=np.int64)
    key = ((person.astype(np.int64) * (n_visits + 1) + visit_rank[visit])
           * (len(measure_rank) or 1) + measure_rank[measure])
    order = np.argsort(key, kind="stable")
    del key, person, visit, measure
    for i in range(len(columns)):
        columns[i] = columns[i][order]
    return Observations(*columns, visits.names, measures.names)
