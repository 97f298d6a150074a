"""The study's data as exports and the analysis read them: one query per table.

Conditions are read only once the study is unblinded; before that the dataset
holds dose codes and nothing that could reveal which condition a code stands for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
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
from trialcore.protocol import Protocol

Key = tuple[str, str]  # participant label, visit id


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
class Value:
    participant: str
    visit: str
    measure: str
    value: float | None
    import_id: int | None


@dataclass(frozen=True)
class Source:
    file_name: str
    at: dt.datetime


@dataclass
class Dataset:
    protocol: Protocol
    unblinded: bool
    people: list[Person] = field(default_factory=list)
    visits: dict[Key, VisitFacts] = field(default_factory=dict)
    codes: dict[Key, str] = field(default_factory=dict)
    conditions: dict[Key, tuple[str, int]] = field(default_factory=dict)
    values: list[Value] = field(default_factory=list)
    imports: dict[int, Source] = field(default_factory=dict)

    def period(self, visit: str) -> int | None:
        """The dosing visit's place in the sequence; public, unlike its condition."""
        dosing = [v.id for v in self.protocol.dosing_visits]
        return dosing.index(visit) + 1 if visit in dosing else None


def load(session: Session, protocol: Protocol) -> Dataset:
    unblinded = session.scalar(select(Study.stage)) == "unblinded"
    data = Dataset(protocol, unblinded)
    label: dict[int, str] = {}
    for p in session.scalars(select(Participant).order_by(Participant.number)):
        label[p.id] = p.label
        data.people.append(Person(p.label, p.number, p.stratum, p.status, p.enrolled_on,
                                  p.withdrawn_on))
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
    order = {v.id: i for i, v in enumerate(protocol.visits)}
    measures = {m.name: i for i, m in enumerate(protocol.measures)}
    rows = session.execute(select(Observation.participant_id, Observation.visit,
                                  Observation.measure, Observation.value,
                                  Observation.import_id)).all()
    numbers = {p.label: p.number for p in data.people}
    data.values = sorted(
        (Value(label[pid], visit, measure, value, imp) for pid, visit, measure, value, imp in rows),
        key=lambda v: (numbers[v.participant], order.get(v.visit, len(order)),
                       measures.get(v.measure, len(measures)), v.measure))
    for iid, name, at in session.execute(select(ImportRecord.id, ImportRecord.file_name,
                                                ImportRecord.at)):
        data.imports[iid] = Source(name, at)
    return data
