"""Plot data without Qt: numpy arrays plus every string a plot will show.

The widgets in gui/plots only draw what these functions return, so what a plot
can reveal is decided, and tested, here (PRODUCT.md rule 1). The stage is read
first; revealed conditions are joined into the data query only when the study
is unblinded. Until then dosing visits are labelled by visit and kit code, and
the group view summarizes by dosing visit, never by condition.

A participant's plots take two statements whatever the study's size: the stage,
then one data query (the participant's visits, codes, observations and imports).
One measure over all participants is a few narrow reads through the driver's
cursor (services/group_table.py). Dates are day numbers (days since 1970-01-01,
NaN when unset) so they travel as float arrays.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import Select, and_, bindparam, select
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
from services.context import Actor, App, require
from services.errors import NotFound, Refused, no_study
from services.group_table import group_table
from services.participants import label_of, number_of
from trialcore.counted import (
    FailedCheck,
    failed_checks,
    given,
    over_limits,
    scans_left_out,
)
from trialcore.protocol import Measure, Protocol

NO_CONDITION = -1  # colour slot of a value with no condition, or of any value while blinded
EPOCH = dt.date(1970, 1, 1).toordinal()
NO_STRATUM = "no stratum"
NOT_GIVEN_NOTE = "visit logged %s: the value is stored but not analysed"


@dataclass(frozen=True)
class KeyEntry:
    """One line of a colour key: the text and the colour slot (a condition's index)."""

    label: str
    slot: int


@dataclass(frozen=True)
class VisitTimeline:
    """Per protocol visit, in protocol order: window, target and what happened."""

    visit_ids: tuple[str, ...]
    labels: tuple[str, ...]
    window_start: np.ndarray
    window_end: np.ndarray
    target: np.ndarray
    booked: np.ndarray
    actual: np.ndarray
    status: tuple[str, ...]
    deviation: np.ndarray
    missed: np.ndarray
    tooltips: tuple[str, ...]
    today: float


@dataclass(frozen=True)
class PointSeries:
    """One measure across visits: the recorded values (x = visit index) and their origin."""

    measure: str
    title: str
    unit: str
    x: np.ndarray
    y: np.ndarray
    slot: np.ndarray
    visit_ids: tuple[str, ...]
    date: np.ndarray
    import_id: np.ndarray
    import_file: tuple[str | None, ...]
    tooltips: tuple[str, ...]
    given: np.ndarray  # False: stored on a visit logged missed or cancelled, not analysed
    qc_failed: np.ndarray  # True: a scan of a visit whose quality check failed, not analysed


@dataclass(frozen=True)
class QcSeries:
    """A QC measure per scan, the protocol's exclusion limit and the scans above it."""

    series: PointSeries
    threshold: float
    above: np.ndarray

    @property
    def threshold_label(self) -> str:
        return f"exclusion limit {self.threshold:g} {self.series.unit}"


@dataclass(frozen=True)
class ProfileLine:
    """One visit's questionnaire scales, as % of each scale's range (NaN: not recorded)."""

    visit: str
    visit_index: int
    label: str
    slot: int
    y: np.ndarray
    raw: np.ndarray
    tooltips: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    scales: tuple[str, ...]
    scale_labels: tuple[str, ...]
    lines: tuple[ProfileLine, ...]
    visits: int  # in the protocol, so a visit's shade is the same for everyone


@dataclass(frozen=True)
class ParticipantPlotData:
    participant: str
    stratum: str | None
    unblinded: bool
    heading: str
    visit_labels: tuple[str, ...]
    key: tuple[KeyEntry, ...]
    timeline: VisitTimeline
    measures: Mapping[str, PointSeries]
    profile: Profile
    qc: tuple[QcSeries, ...]


@dataclass(frozen=True)
class StratumSummary:
    """Means ± SEM per x for one stratum; individual lines (NaN-separated) only unblinded."""

    stratum: str
    participants: int
    n: np.ndarray
    mean: np.ndarray
    sem: np.ndarray
    lines_x: np.ndarray
    lines_y: np.ndarray
    tooltips: tuple[str, ...]


@dataclass(frozen=True)
class GroupPlotData:
    measure: str
    title: str
    unit: str
    unblinded: bool
    heading: str
    x_labels: tuple[str, ...]
    slots: np.ndarray
    key: tuple[KeyEntry, ...]
    strata: tuple[StratumSummary, ...]
    left_out: tuple[str, ...] = ()  # what stored values the plot (and analysis) leave out, why


# -- helpers ----------------------------------------------------------------------------------

def day_number(value: dt.date | None) -> float:
    return float("nan") if value is None else float(value.toordinal() - EPOCH)


def _text(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"


def _number(value: float) -> str:
    return f"{value:.4g}"


def _stage(session: Session) -> str:
    value = session.scalar(select(Study.stage))
    if value is None:
        raise no_study()
    return value


def _measure(protocol: Protocol, name: str) -> Measure:
    spec = protocol.measure(name)
    if spec is None:
        known = ", ".join(m.name for m in protocol.measures)
        raise Refused(f"unknown measure {name!r}; the protocol's measures are {known}")
    return spec


def _condition_key(protocol: Protocol) -> tuple[KeyEntry, ...]:
    return tuple(KeyEntry(c.label, i) for i, c in enumerate(protocol.conditions))


# -- one participant ------------------------------------------------------------------------

@dataclass
class _VisitFacts:
    """The columns of one visit row of the data query, collected once per visit."""

    row: Any
    code: str | None
    condition: str | None


def participant_plots(app: App, actor: Actor, participant: object,
                      today: dt.date | None = None) -> ParticipantPlotData:
    """Everything the participant's plots draw, from one data query."""
    require(actor, "data.read")
    protocol = app.protocol
    number = number_of(app, participant)
    with app.read() as s:
        unblinded = _stage(s) == "unblinded"
        rows = s.connection().execute(_participant_query(unblinded), {"number": number}).all()
    if not rows:
        raise NotFound(f"no participant {participant!s} (looked for {label_of(app, participant)})")
    visits: dict[str, _VisitFacts] = {}
    values: dict[str, dict[str, Any]] = defaultdict(dict)  # measure -> visit -> row
    for row in rows:
        if row.visit is not None and row.visit not in visits:
            visits[row.visit] = _VisitFacts(row, row.kit_code or row.code,
                                            row.condition if unblinded else None)
        if row.measure is not None and row.value is not None:
            values[row.measure][row.visit] = row
    return _assemble(protocol, rows[0], unblinded, visits, values, today or dt.date.today())


@cache
def _participant_query(unblinded: bool) -> Select[Any]:
    """Visits x observations of one participant (about 300 rows for 50 measures x 6 visits).

    Every join goes through an index: participants.number, visits and
    observations by their (participant_id, visit...) unique keys, the slot by
    its unique participant_id, dose codes by (slot_id, visit), imports by id.
    Built once per mode; the participant's number is a bound parameter.
    """
    same_visit = and_(Observation.participant_id == Participant.id,
                      Observation.visit == Visit.visit)
    columns = [Participant.label, Participant.stratum, Participant.status.label("p_status"),
               Visit.visit, Visit.target_date, Visit.window_start, Visit.window_end,
               Visit.booked_date, Visit.actual_date, Visit.status, Visit.reason,
               Visit.deviation_days, Visit.deviation_reason, Visit.kit_code, DoseCode.code,
               Observation.measure, Observation.value, Observation.import_id,
               ImportRecord.file_name]
    if unblinded:
        columns.append(RevealedCondition.condition)
    q = (select(*columns).select_from(Participant)
         .outerjoin(Visit, Visit.participant_id == Participant.id)
         .outerjoin(AllocationSlot, AllocationSlot.participant_id == Participant.id)
         .outerjoin(DoseCode, and_(DoseCode.slot_id == AllocationSlot.id,
                                   DoseCode.visit == Visit.visit))
         .outerjoin(Observation, same_visit)
         .outerjoin(ImportRecord, ImportRecord.id == Observation.import_id))
    if unblinded:
        q = q.outerjoin(RevealedCondition, and_(RevealedCondition.participant_id == Participant.id,
                                                RevealedCondition.visit == Visit.visit))
    return q.where(Participant.number == bindparam("number"))


def _visit_label(protocol: Protocol, visit_id: str, facts: _VisitFacts | None,
                 unblinded: bool) -> str:
    """'Dosing 1 · K7QX-M4PA' while blinded, 'Dosing 1 · Placebo' after; non-dosing: the
    protocol's label (the id is in the timeline's tooltip)."""
    spec = protocol.visit(visit_id)
    if spec is None or not spec.dosing:
        return protocol.visit_label(visit_id)
    if unblinded:
        condition = protocol.condition(facts.condition) if facts and facts.condition else None
        return f"{spec.label} · {condition.label if condition else 'no condition'}"
    code = facts.code if facts else None
    return f"{spec.label} · {code or 'no kit yet'}"


def _slot(protocol: Protocol, facts: _VisitFacts | None) -> int:
    if facts is None or facts.condition is None:
        return NO_CONDITION
    return next((i for i, c in enumerate(protocol.conditions) if c.code == facts.condition),
                NO_CONDITION)


@dataclass(frozen=True)
class _Columns:
    """Per protocol visit, what every value recorded at that visit shares."""

    ids: tuple[str, ...]
    labels: tuple[str, ...]
    slots: tuple[int, ...]
    where: tuple[str, ...]  # the tooltip lines naming the visit and its date
    day: tuple[float, ...]


def _columns(protocol: Protocol, visits: dict[str, _VisitFacts], unblinded: bool) -> _Columns:
    ids = tuple(v.id for v in protocol.visits)
    labels = tuple(_visit_label(protocol, v, visits.get(v), unblinded) for v in ids)
    dates = [visits[v].row.actual_date if v in visits else None for v in ids]
    return _Columns(ids, labels, tuple(_slot(protocol, visits.get(v)) for v in ids),
                    tuple(f"visit {label}\nvisit date {_text(d)}"
                          for label, d in zip(labels, dates, strict=True)),
                    tuple(day_number(d) for d in dates))


def _assemble(protocol: Protocol, first: Any, unblinded: bool, visits: dict[str, _VisitFacts],
              values: dict[str, dict[str, Any]], today: dt.date) -> ParticipantPlotData:
    c = _columns(protocol, visits, unblinded)
    series = _left_out_by_qc(protocol, {m.name: _series(m, values.get(m.name, {}), c)
                                        for m in protocol.measures})
    qc = tuple(_qc(series[m.name], m.qc_max) for m in protocol.measures if m.qc_max is not None)
    if unblinded:
        key = (*_condition_key(protocol), KeyEntry("no condition (not a dosing visit)",
                                                   NO_CONDITION))
        mode = "unblinded: values are coloured by condition"
    else:
        key = (KeyEntry("recorded value (blinded: one colour whatever the condition)",
                        NO_CONDITION),)
        codes = [label for v, label in zip(protocol.visits, c.labels, strict=True) if v.dosing]
        mode = "blinded: " + ", ".join(codes)  # the kit codes, as no measure plot names them
    stratum = first.stratum
    heading = f"{'stratum ' + stratum if stratum else 'no stratum yet'} · {first.p_status} · {mode}"
    return ParticipantPlotData(
        participant=first.label, stratum=stratum, unblinded=unblinded, heading=heading,
        visit_labels=c.labels, key=key,
        timeline=_timeline(protocol, c, visits, today), measures=series,
        profile=_profile(protocol, c, values), qc=qc)


def _timeline(protocol: Protocol, c: _Columns, visits: dict[str, _VisitFacts],
              today: dt.date) -> VisitTimeline:
    rows = [visits[v].row if v in visits else None for v in c.ids]

    def days(attr: str) -> np.ndarray:
        return np.array([day_number(getattr(r, attr)) if r is not None else np.nan
                         for r in rows], dtype=float)

    status = tuple(r.status if r is not None else "not scheduled" for r in rows)
    deviation = np.array([bool(r is not None and r.status == "done" and r.deviation_days)
                          for r in rows])
    tips = tuple(_visit_tooltip(label, spec.id, r)
                 for spec, label, r in zip(protocol.visits, c.labels, rows, strict=True))
    return VisitTimeline(
        visit_ids=c.ids, labels=c.labels, window_start=days("window_start"),
        window_end=days("window_end"), target=days("target_date"), booked=days("booked_date"),
        actual=days("actual_date"), status=status, deviation=deviation,
        missed=np.array([s == "missed" for s in status]), tooltips=tips,
        today=day_number(today))


def _visit_tooltip(title: str, label: str, row: Any) -> str:
    head = f"{title} ({label})"
    if row is None or row.target_date is None:
        return f"{head}\nnot scheduled yet: its anchor visit or enrolment comes first"
    plan = f"target {_text(row.target_date)}, window {_text(row.window_start)}…" \
           f"{_text(row.window_end)}"
    if row.status == "done":
        lines = [f"done on {_text(row.actual_date)} ({plan})"]
        if row.deviation_days:
            side = "before" if row.deviation_days < 0 else "after"
            lines.append(f"deviation: {abs(row.deviation_days)} days {side} the window"
                         + (f": {row.deviation_reason}" if row.deviation_reason else ""))
    elif row.status == "missed":
        lines = [f"missed (logged {_text(row.actual_date)}): {row.reason or 'no reason'}"]
    elif row.status == "cancelled":
        lines = [f"cancelled: {row.reason or 'no reason'}"]
    elif row.status == "booked":
        lines = [f"booked for {_text(row.booked_date)} ({plan})"]
    else:
        lines = [f"scheduled: {plan}"]
    return "\n".join([head, *lines])


def _origin(row: Any) -> str:
    if row.import_id is None:
        return "entered by hand (no import)"
    return f"import #{row.import_id}: {row.file_name}"


def _series(m: Measure, at: dict[str, Any], c: _Columns) -> PointSeries:
    """The measure's values in visit order, with where each came from."""
    index = [i for i, v in enumerate(c.ids) if v in at]
    rows = [at[c.ids[i]] for i in index]
    return PointSeries(
        measure=m.name, title=m.label, unit=m.unit, x=np.array(index, dtype=float),
        y=np.array([r.value for r in rows], dtype=float),
        slot=np.array([c.slots[i] for i in index], dtype=int),
        visit_ids=tuple(c.ids[i] for i in index),
        date=np.array([c.day[i] for i in index], dtype=float),
        import_id=np.array([-1 if r.import_id is None else r.import_id for r in rows],
                           dtype=int),
        import_file=tuple(r.file_name for r in rows),
        tooltips=tuple(f"{m.label}: {_number(r.value)} {m.unit}\n{c.where[i]}\n{_origin(r)}"
                       + ("" if given(r.status) else f"\n{NOT_GIVEN_NOTE % r.status}")
                       for i, r in zip(index, rows, strict=True)),
        given=np.array([given(r.status) for r in rows], dtype=bool),
        qc_failed=np.zeros(len(rows), dtype=bool))


def qc_reason(check: Measure, failure: FailedCheck) -> str:
    return (f"left out of the analysis: scan quality check failed ({check.label} "
            f"{_number(failure.value)} > {failure.limit:g} {check.unit})")


def _left_out_by_qc(protocol: Protocol,
                    series: dict[str, PointSeries]) -> dict[str, PointSeries]:
    """The scans the analysis leaves out by trialcore.counted's rule (the group plot's
    too), marked, each tooltip saying which quality value failed: a participant's plot
    shows every stored value, but must not let one pass for a counted one."""
    limits = {m.name: m.qc_max for m in protocol.measures if m.qc_max is not None}
    failures = failed_checks(((0, visit, name, value) for name in limits
                              for visit, value in zip(series[name].visit_ids,
                                                      series[name].y.tolist(), strict=True)),
                             limits)
    if not failures:
        return series
    reasons = {f.occasion: qc_reason(_measure(protocol, f.measure), f)
               for f in reversed(failures)}  # the first failed check of a visit names it
    out = {}
    for m in protocol.measures:
        s = series[m.name]
        failed = scans_left_out([0] * len(s.x), s.visit_ids,
                                np.full(len(s.x), m.kind == "scan"), failures)
        out[m.name] = s if not failed.any() else replace(
            s, qc_failed=failed,
            tooltips=tuple(f"{tip}\n{reasons[v]}" if f else tip
                           for tip, v, f in zip(s.tooltips, s.visit_ids, failed, strict=True)))
    return out


def _qc(series: PointSeries, limit: float) -> QcSeries:
    above = series.y > limit
    tips = tuple(t + (f"\nabove the exclusion limit ({limit:g} {series.unit})" if a else "")
                 for t, a in zip(series.tooltips, above, strict=True))
    return QcSeries(replace(series, tooltips=tips), limit, above)


def score_range(m: Measure) -> tuple[float, float]:
    """A scale's possible scores: min and max bound each item, so a sum spans n times them."""
    n = len(m.items) if m.score == "sum" else 1
    return n * m.min, n * m.max


def _profile(protocol: Protocol, c: _Columns, values: dict[str, dict[str, Any]]) -> Profile:
    scales = [m for m in protocol.measures if m.kind == "questionnaire"]
    ranges = np.array([score_range(m) for m in scales], dtype=float).reshape(-1, 2)
    low, high = ranges[:, 0], ranges[:, 1]
    lines = []
    for i, v in enumerate(c.ids):
        rows = [values.get(m.name, {}).get(v) for m in scales]
        if not any(rows):
            continue
        raw = np.array([np.nan if r is None else r.value for r in rows], dtype=float)
        y = 100.0 * (raw - low) / np.where(high > low, high - low, 1.0)
        tips = tuple(
            f"{m.label}: {_number(r.value)} {m.unit} ({_number(pct)} % of {lo:g}–{hi:g})"
            f"\n{c.where[i]}\n{_origin(r)}"
            if r is not None else f"{m.label}: not recorded at {c.labels[i]}"
            for m, r, pct, lo, hi in zip(scales, rows, y, low, high, strict=True))
        lines.append(ProfileLine(v, i, c.labels[i], c.slots[i], y, raw, tips))
    return Profile(tuple(m.name for m in scales), tuple(m.label for m in scales), tuple(lines),
                   len(c.ids))


# -- one measure over the group -------------------------------------------------------------

def group_plot(app: App, actor: Actor, measure: str) -> GroupPlotData:
    """Unblinded: condition means ± SEM per stratum with individual lines. Blinded: means
    ± SEM by dosing visit per stratum only, never by condition and never individuals.

    The values are those the analysis counts (trialcore.counted): none stored on a
    visit logged missed or cancelled, no scan whose quality check failed; `left_out`
    says how many were left out and why."""
    require(actor, "data.read")
    protocol = app.protocol
    spec = _measure(protocol, measure)
    strata = list(protocol.strata)
    dosing = protocol.dosing_visits
    with app.read() as s:
        unblinded = _stage(s) == "unblinded"
        if unblinded:
            x_labels = tuple(c.label for c in protocol.conditions)
        else:
            x_labels = tuple(v.label for v in dosing)
        # the quality values of the same scan, one column per checked measure
        checked = [m for m in protocol.measures if m.qc_max is not None] \
            if spec.kind == "scan" else []
        table = group_table(s, protocol, spec.name, checked, unblinded)
    table = table[table[:, 2] >= 0]
    not_given = table[:, 5] == 0
    table = table[~not_given]
    # the first quality check each row fails, in protocol order (-1: none)
    failed = over_limits(table[:, 6:], [m.qc_max for m in checked])
    left_out = _left_out(int(not_given.sum()), checked, failed)
    table = table[failed < 0]
    names = [*strata, NO_STRATUM]
    summaries = tuple(
        _summary(names[k], table[table[:, 1] == k], x_labels, spec.unit, lines=unblinded)
        for k in range(len(names)) if k < len(strata) or np.any(table[:, 1] == k))
    if unblinded:
        key, slots = _condition_key(protocol), np.arange(len(x_labels))
        heading = "condition means ± SEM per stratum; grey lines and dots are participants"
    else:
        key = (KeyEntry("mean ± SEM by dosing visit (blinded)", NO_CONDITION),)
        slots = np.full(len(x_labels), NO_CONDITION)
        heading = ("blinded summary: means ± SEM by dosing visit; conditions are shown "
                   "only after the study is unblinded")
    return GroupPlotData(measure=spec.name, title=spec.label, unit=spec.unit,
                         unblinded=unblinded, heading=heading, x_labels=x_labels, slots=slots,
                         key=key, strata=summaries, left_out=left_out)


def _left_out(not_given: int, checked: Sequence[Measure],
              failed: np.ndarray) -> tuple[str, ...]:
    """One line per reason: values on visits not given, scans over each quality limit
    (`failed`: per row the index in `checked` of the first limit it is over, -1: none;
    a scan over two limits is counted under the first the protocol names)."""
    out = []
    if not_given:
        out.append(f"{_values(not_given, 'value')} left out: stored on visits logged missed "
                   "or cancelled")
    counts = np.bincount(failed[failed >= 0], minlength=len(checked))
    for m, count in zip(checked, counts.tolist(), strict=True):
        if count:
            out.append(f"{_values(count, 'scan')} left out: {m.label} > "
                       f"{m.qc_max:g} {m.unit}")
    return tuple(out)


def _values(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _summary(stratum: str, rows: np.ndarray, x_labels: Sequence[str], unit: str, *,
             lines: bool) -> StratumSummary:
    """Participant means per x first (a parallel design repeats a condition), then the
    mean and SEM over participants."""
    width = len(x_labels)
    people, person = np.unique(rows[:, 0], return_inverse=True)
    cell = person * width + rows[:, 2].astype(int)
    size = len(people) * width
    count = np.bincount(cell, minlength=size).reshape(-1, width)
    total = np.bincount(cell, weights=rows[:, 3], minlength=size).reshape(-1, width)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_person = total / count
        n = (count > 0).sum(axis=0)
        mean = np.where(count > 0, per_person, 0.0).sum(axis=0) / n
        deviations = np.where(count > 0, (per_person - mean) ** 2, 0.0).sum(axis=0)
        sem = np.sqrt(deviations / (n - 1)) / np.sqrt(n)
    sem[n < 2] = np.nan
    tips = tuple(
        f"{stratum} · {x}: mean {_number(m)} {unit}, SEM {_number(e)}, n = {k}" if k > 1 else
        f"{stratum} · {x}: {_number(m)} {unit}, n = 1 (no SEM)" if k == 1 else
        f"{stratum} · {x}: no values"
        for x, m, e, k in zip(x_labels, mean, sem, n, strict=True))
    if lines and len(people):
        lines_x = np.tile(np.append(np.arange(width, dtype=float), np.nan), len(people))
        lines_y = np.hstack([per_person, np.full((len(people), 1), np.nan)]).ravel()
    else:
        lines_x = lines_y = np.empty(0)
    return StratumSummary(stratum, len(people), n, mean, sem, lines_x, lines_y, tips)
