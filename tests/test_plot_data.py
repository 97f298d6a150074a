"""Plot data through the service layer, on SQLite and PostgreSQL: the arrays match the
stored rows, and no string reveals a condition until the study is unblinded.

The helpers at the top are shared with tests/gui/test_plots_gui.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from cli.hints import worded as cli_worded
from db.models import ImportRecord, Observation, Participant, RevealedCondition, Visit
from gui.common.hints import worded as gui_worded
from services import analysis, lock, participants, plot_data, unblinding, visits
from services.context import Actor, App
from services.errors import CREATE_STUDY, NotFound, Refused
from services.group_table import group_table
from tests.lock_helpers import PASSPHRASE, TODAY, allocated, enrol, log_all, password, record
from tests.statements import Statements

SCANS = ("amygdala_threat", "fd_mean")
SCALES = ("likability_angry", "subjective_anxiety")
DONE = {  # participant -> visits done (P002 missed dose2)
    "P001": ("baseline", "dose1", "dose2", "dose3"),
    "P002": ("baseline", "dose1", "dose3"),
    "P003": ("baseline", "dose1", "dose2", "dose3"),
}
MOTION = ("P003", "dose2")  # the one scan above the fd_mean limit


def value_of(label: str, visit: str, measure: str) -> float:
    """Distinct, readable values: participant 2, visit dose1, measure 0 -> 2.1."""
    number = int(label[1:])
    visit_index = ("baseline", "dose1", "dose2", "dose3").index(visit)
    if measure == "fd_mean":
        return 0.72 if (label, visit) == MOTION else 0.1 + 0.01 * visit_index
    if measure in SCALES:
        return 2.0 + visit_index + 0.5 * SCALES.index(measure)
    return number + 0.1 * visit_index


def build_study(app: App) -> dict[str, Actor]:
    """Three enrolled participants with scans (imported) and scales (by hand), a missed
    visit, a deviation, and P004 registered without a stratum. Stage running."""
    actors = allocated(app)
    cora = actors["cora"]
    codes = {n: enrol(app, cora, n, s) for n, s in ((1, "NTNA+"), (2, "NTNA-"), (3, "NTNA+"))}
    log_all(app, cora, 1, codes[1], upto=("baseline", "dose1", "dose2"))
    late = next(r for r in visits.list_visits(app, cora, 1, today=TODAY) if r.visit == "dose3")
    visits.log(app, cora, 1, "dose3", date=late.window_end + dt.timedelta(days=2),
               code=codes[1]["dose3"], deviation_reason="scanner down", today=TODAY)
    log_all(app, cora, 2, codes[2], upto=("baseline", "dose1"))
    missed = next(r for r in visits.list_visits(app, cora, 2, today=TODAY) if r.visit == "dose2")
    visits.log(app, cora, 2, "dose2", date=missed.target, status="missed", reason="flu",
               today=TODAY)
    log_all(app, cora, 2, codes[2], upto=("dose3",))
    log_all(app, cora, 3, codes[3])
    participants.add(app, cora, 4, registered_on=TODAY - dt.timedelta(days=3))
    record(app, cora, [(p, v, m, value_of(p, v, m)) for p, done in DONE.items()
                       for v in done for m in SCANS], file_name="scans_batch1.csv")
    with app.write(cora, "scales.enter") as s:
        ids = dict(s.execute(select(Participant.label, Participant.id)).all())
        s.add_all(Observation(participant_id=ids[p], visit=v, measure=m,
                              value=value_of(p, v, m))
                  for p, done in DONE.items() for v in done for m in SCALES)
    return actors


def unblind(app: App, actors: dict[str, Actor]) -> None:
    """Withdraw the participant who never came, lock and unblind, through the services."""
    participants.withdraw(app, actors["cora"], 4, "never came", TODAY)
    lock.lock(app, actors["ivan"], "all data in", password(actors["ivan"]))
    unblinding.unblind_study(app, actors["stella"], "analysis", PASSPHRASE,
                             password(actors["stella"]))


def strings_in(value: Any) -> Iterator[str]:
    """Every string a structure holds: fields, properties, mapping keys, array items."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        kind = type(value)
        names = [f.name for f in dataclasses.fields(value)]
        names += [n for n in dir(kind) if isinstance(getattr(kind, n), property)]
        for name in names:
            yield from strings_in(getattr(value, name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, np.ndarray):
        if value.dtype.kind in "OUS":
            for item in value.ravel():
                yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def condition_words(app: App) -> list[str]:
    """What must never show while blinded: each condition's code, label and dose."""
    return [w for c in app.protocol.conditions for w in (c.code, c.label, f"{c.dose_mg:g} mg")]


def revealing(app: App, texts: Iterator[str]) -> list[str]:
    words = [w.lower() for w in condition_words(app)]
    return [t for t in texts if any(w in t.lower() for w in words)]


def stored(app: App, label: str) -> list[tuple[str, str, float, int | None, str | None,
                                               dt.date | None]]:
    """(visit, measure, value, import id, file name, visit date) as the database holds them."""
    with app.read() as s:
        return s.execute(
            select(Observation.visit, Observation.measure, Observation.value,
                   Observation.import_id, ImportRecord.file_name, Visit.actual_date)
            .join(Participant, Participant.id == Observation.participant_id)
            .join(Visit, (Visit.participant_id == Participant.id)
                  & (Visit.visit == Observation.visit))
            .outerjoin(ImportRecord, ImportRecord.id == Observation.import_id)
            .where(Participant.label == label)).all()


@pytest.fixture
def built(app: App) -> dict[str, Actor]:
    return build_study(app)


# -- the tests ------------------------------------------------------------------------------

def test_arrays_match_the_stored_values(app: App, built: dict[str, Actor]) -> None:
    ids = [v.id for v in app.protocol.visits]
    for label in DONE:
        data = plot_data.participant_plots(app, built["cora"], label, today=TODAY)
        rows = stored(app, label)
        assert sum(len(s.y) for s in data.measures.values()) == len(rows) > 0
        for visit, measure, value, import_id, file_name, on in rows:
            series = data.measures[measure]
            i = series.visit_ids.index(visit)
            assert series.x[i] == ids.index(visit) and series.y[i] == value
            assert series.import_id[i] == (import_id or -1)
            assert series.import_file[i] == file_name
            assert series.date[i] == plot_data.day_number(on)
            tip = series.tooltips[i]
            assert f"{value:.4g}" in tip and on.isoformat() in tip
            assert f"visit {app.protocol.visit_label(visit)}" in tip  # its label, not its id
            assert (file_name or "entered by hand") in tip


def test_timeline_shows_windows_missed_visits_and_deviations(app: App,
                                                             built: dict[str, Actor]) -> None:
    cora = built["cora"]
    first = plot_data.participant_plots(app, cora, "P001", today=TODAY).timeline
    rows = {r.visit: r for r in visits.list_visits(app, cora, "P001", today=TODAY)}
    for i, visit in enumerate(first.visit_ids):
        assert first.window_start[i] == plot_data.day_number(rows[visit].window_start)
        assert first.window_end[i] == plot_data.day_number(rows[visit].window_end)
        assert first.target[i] == plot_data.day_number(rows[visit].target)
        assert first.actual[i] == plot_data.day_number(rows[visit].actual)
    assert list(first.deviation) == [False, False, False, True]
    assert "2 days after the window: scanner down" in first.tooltips[3]
    second = plot_data.participant_plots(app, cora, "P002", today=TODAY).timeline
    assert list(second.missed) == [False, False, True, False]
    assert "missed" in second.tooltips[2] and "flu" in second.tooltips[2]
    assert first.today == plot_data.day_number(TODAY)


def test_qc_marks_the_scan_above_the_limit_and_profile_scales_by_range(
        app: App, built: dict[str, Actor]) -> None:
    data = plot_data.participant_plots(app, built["cora"], "P003", today=TODAY)
    (qc,) = data.qc
    assert qc.series.measure == "fd_mean" and qc.threshold == 0.5
    assert list(qc.above) == [v == "dose2" for v in qc.series.visit_ids]
    assert "above the exclusion limit (0.5 mm)" in qc.series.tooltips[2]
    assert data.profile.scales == (*SCALES, "subjective_introspection")
    likability, anxiety = (app.protocol.measure(m) for m in SCALES)
    line = data.profile.lines[1]
    expected = 100 * (value_of("P003", "dose1", "likability_angry") - likability.min) \
        / (likability.max - likability.min)  # a mean score: the items' range
    assert line.visit == "dose1" and line.y[0] == pytest.approx(expected)
    assert line.raw[0] == value_of("P003", "dose1", "likability_angry")
    low, high = 4 * anxiety.min, 4 * anxiety.max  # a sum of four items
    expected = 100 * (value_of("P003", "dose1", "subjective_anxiety") - low) / (high - low)
    assert line.y[1] == pytest.approx(expected) and f"of {low:g}–{high:g}" in line.tooltips[1]
    assert np.isnan(line.y[2]) and "not recorded" in line.tooltips[2]


def test_scans_the_analysis_leaves_out_are_marked_with_the_reason(
        app: App, built: dict[str, Actor]) -> None:
    """P003's dose2 motion fails the quality check: both scan measures of that visit are
    marked (as trialcore.counted leaves them out), its questionnaire scores are not."""
    data = plot_data.participant_plots(app, built["cora"], "P003", today=TODAY)
    for measure in (*SCANS, *SCALES):
        series = data.measures[measure]
        marked = [v for v, f in zip(series.visit_ids, series.qc_failed, strict=True) if f]
        assert marked == (["dose2"] if measure in SCANS else [])
        reason = ("left out of the analysis: scan quality check failed "
                  "(Mean framewise displacement 0.72 > 0.5 mm)")
        assert [reason in tip for tip in series.tooltips] == \
            [v == "dose2" and measure in SCANS for v in series.visit_ids]
    for label in ("P001", "P002"):
        series = plot_data.participant_plots(app, built["cora"], label, today=TODAY)
        assert not any(s.qc_failed.any() for s in series.measures.values())


def test_nothing_reveals_a_condition_before_unblinding(app: App,
                                                       built: dict[str, Actor]) -> None:
    cora = built["cora"]
    with Statements(app) as sql:
        people = [plot_data.participant_plots(app, cora, n, today=TODAY) for n in (1, 2, 3, 4)]
    assert len(sql) == 2 * len(people), "the stage and one data query per participant"
    with Statements(app) as sql:
        groups = [plot_data.group_plot(app, cora, m.name) for m in app.protocol.measures]
    dosing = len(app.protocol.dosing_visits)
    checked = sum(m.qc_max is not None for m in app.protocol.measures)
    assert len(sql) == sum(1 + dosing + 2 + checked * (m.kind == "scan")
                           for m in app.protocol.measures), \
        "the stage, each dosing visit's values, strata, visits not given, quality values"
    texts = [t for item in (*people, *groups) for t in strings_in(item)]
    assert texts and revealing(app, texts) == []
    assert not any("revealed_conditions" in s for s in sql)
    codes = {r.visit: r.code for r in visits.list_visits(app, cora, "P001", today=TODAY)}
    assert people[0].visit_labels == ("Baseline fMRI", *(  # the protocol's labels, not ids
        f"Dosing {n} · {codes[f'dose{n}']}" for n in (1, 2, 3)))
    assert people[3].visit_labels[1] == "Dosing 1 · no kit yet"
    assert people[0].heading.endswith("blinded: " + ", ".join(  # the codes, named once
        f"Dosing {n} · {codes[f'dose{n}']}" for n in (1, 2, 3)))
    assert people[0].timeline.tooltips[1].startswith(f"Dosing 1 · {codes['dose1']} (dose1)")
    assert all(len(s.y) == 0 for s in people[3].measures.values())
    assert np.isnan(people[3].timeline.target[1:]).all()
    assert all((p.slot == plot_data.NO_CONDITION).all() for d in people
               for p in d.measures.values())


def test_blinded_group_view_is_by_dosing_visit_without_individuals(
        app: App, built: dict[str, Actor]) -> None:
    data = plot_data.group_plot(app, built["cora"], "amygdala_threat")
    assert not data.unblinded and data.x_labels == ("Dosing 1", "Dosing 2", "Dosing 3")
    high, low = data.strata
    assert (high.stratum, low.stratum) == ("NTNA+", "NTNA-")
    for stratum, members in ((high, ("P001", "P003")), (low, ("P002",))):
        assert stratum.lines_x.size == stratum.lines_y.size == 0
        for i, visit in enumerate(("dose1", "dose2", "dose3")):
            values = [value_of(p, visit, "amygdala_threat") for p in members
                      if visit in DONE[p] and (p, visit) != MOTION]  # its scan failed QC
            assert stratum.n[i] == len(values)
            if values:
                assert stratum.mean[i] == pytest.approx(np.mean(values))
            if len(values) > 1:
                sem = np.std(values, ddof=1) / np.sqrt(len(values))
                assert stratum.sem[i] == pytest.approx(sem)
            else:
                assert np.isnan(stratum.sem[i])


def test_after_unblinding_labels_and_groups_are_by_condition(app: App,
                                                             built: dict[str, Actor]) -> None:
    unblind(app, built)
    cora, protocol = built["cora"], app.protocol
    with app.read() as s:
        revealed = {(label, visit): condition for label, visit, condition in s.execute(
            select(Participant.label, RevealedCondition.visit, RevealedCondition.condition)
            .join(Participant, Participant.id == RevealedCondition.participant_id))}
    order = [c.code for c in protocol.conditions]
    for label in DONE:
        data = plot_data.participant_plots(app, cora, label, today=TODAY)
        assert data.unblinded
        assert [k.label for k in data.key[:3]] == [c.label for c in protocol.conditions]
        for visit, text in zip(("dose1", "dose2", "dose3"), data.visit_labels[1:], strict=True):
            assert text == (f"{protocol.visit_label(visit)} · "
                            f"{protocol.condition(revealed[label, visit]).label}")
        series = data.measures["amygdala_threat"]
        for visit, slot in zip(series.visit_ids, series.slot, strict=True):
            expected = order.index(revealed[label, visit]) if visit != "baseline" else -1
            assert slot == expected
        assert revealing(app, strings_in(data))
    group = plot_data.group_plot(app, cora, "amygdala_threat")
    assert group.unblinded and group.x_labels == tuple(c.label for c in protocol.conditions)
    high = group.strata[0]
    for i, code in enumerate(order):
        values = [value_of(p, v, "amygdala_threat") for (p, v), c in revealed.items()
                  if c == code and p in ("P001", "P003") and v in DONE[p]
                  and (p, v) != MOTION]
        assert high.n[i] == len(values)
        assert high.mean[i] == pytest.approx(np.mean(values))
    assert high.participants == 2 and np.isfinite(high.lines_y).sum() == high.n.sum()
    assert len(high.lines_x) == len(high.lines_y) == 2 * (len(order) + 1)


def _joined_table(app: App, measure: str, unblinded: bool) -> np.ndarray:
    """group_table's rows as the group view read them before migration 0011: one query
    joining participants, visits, the quality values and the revealed conditions to
    every value (its x is -1 where none is revealed)."""
    from sqlalchemy import and_, case
    from sqlalchemy.orm import aliased

    from trialcore.counted import NOT_GIVEN

    protocol = app.protocol
    strata, dosing = list(protocol.strata), [v.id for v in protocol.dosing_visits]
    spec = protocol.measure(measure)
    checked = [m for m in protocol.measures if m.qc_max is not None] \
        if spec is not None and spec.kind == "scan" else []
    visit_index = case({v: i for i, v in enumerate(dosing)}, value=Observation.visit,
                       else_=-1)
    x = case({c.code: i for i, c in enumerate(protocol.conditions)},
             value=RevealedCondition.condition, else_=-1) if unblinded else visit_index
    quality = [aliased(Observation) for _ in checked]
    q = select(Observation.participant_id, case({n: i for i, n in enumerate(strata)},
                                                value=Participant.stratum,
                                                else_=len(strata)),
               x, Observation.value, visit_index,
               case((Visit.status.in_(sorted(NOT_GIVEN)), 0), else_=1),
               *(a.value for a in quality)) \
        .join(Participant, Participant.id == Observation.participant_id) \
        .outerjoin(Visit, and_(Visit.participant_id == Observation.participant_id,
                               Visit.visit == Observation.visit))
    for m, a in zip(checked, quality, strict=True):
        q = q.outerjoin(a, and_(a.participant_id == Observation.participant_id,
                                a.visit == Observation.visit, a.measure == m.name))
    if unblinded:
        q = q.outerjoin(RevealedCondition, and_(
            RevealedCondition.participant_id == Observation.participant_id,
            RevealedCondition.visit == Observation.visit))
    q = q.where(Observation.visit.in_(dosing), Observation.measure == measure,
                Observation.value.is_not(None))
    with app.read() as s:
        rows = [[np.nan if v is None else float(v) for v in r] for r in s.execute(q)]
    return np.array(rows).reshape(-1, 6 + len(checked))


def _in_order(table: np.ndarray) -> np.ndarray:
    return table[np.lexsort(table[:, [4, 0]].T)]


@pytest.mark.parametrize("measure", ["amygdala_threat", "fd_mean", "subjective_anxiety"])
def test_the_group_view_reads_what_one_joined_query_reads(app: App, built: dict[str, Actor],
                                                          measure: str) -> None:
    """The narrow reads of group_table, matched up by participant and visit, give the
    very rows one query joining everything gives, blinded and unblinded (where every
    dosing value has its condition); of the quality values, those over the limit (the
    others are not read: they cannot fail)."""
    protocol = app.protocol
    spec = protocol.measure(measure)
    assert spec is not None
    checked = [m for m in protocol.measures if m.qc_max is not None] \
        if spec.kind == "scan" else []
    for unblinded in (False, True):
        if unblinded:
            unblind(app, built)
        with app.read() as s:
            table = group_table(s, protocol, measure, checked, unblinded)
        expected = _joined_table(app, measure, unblinded)
        assert len(table) == len(expected) == sum(len(v) - 1 for v in DONE.values())
        table, expected = _in_order(table), _in_order(expected)
        np.testing.assert_array_equal(table[:, :6], expected[:, :6])
        # quality values: those that may fail their check, the others need not be read
        limits = np.array([m.qc_max for m in checked])
        with np.errstate(invalid="ignore"):
            kept = ~(expected[:, 6:] <= limits)
        np.testing.assert_array_equal(table[:, 6:][kept], expected[:, 6:][kept])
        assert np.isnan(table[:, 6:][~kept]).all()
        assert kept.sum() == (spec.kind == "scan")  # MOTION, P003's dose2


def test_unknown_participant_or_measure_is_refused(app: App, built: dict[str, Actor]) -> None:
    with pytest.raises(NotFound, match="P099"):
        plot_data.participant_plots(app, built["cora"], 99)
    with pytest.raises(Refused, match=r"unknown measure 'amygdala'.*amygdala_threat"):
        plot_data.group_plot(app, built["cora"], "amygdala")


def _plot_n(app: App, data: plot_data.GroupPlotData) -> dict[tuple[str, str], int]:
    """n per stratum and condition as the unblinded group plot counts them."""
    codes = {c.label: c.code for c in app.protocol.conditions}
    return {(s.stratum, codes[x]): int(n) for s in data.strata
            for x, n in zip(data.x_labels, s.n, strict=True)}


@pytest.mark.parametrize("measure", ["amygdala_threat", "fd_mean", "subjective_anxiety"])
def test_the_group_plot_counts_what_the_analysis_counts(app: App, built: dict[str, Actor],
                                                         measure: str) -> None:
    """P003's dose2 scan moved too much: the analysis leaves its scan measures out, so
    the group plot does too, and says so; questionnaire scores of that visit stay."""
    scan = measure != "subjective_anxiety"
    note = ("1 scan left out: Mean framewise displacement > 0.5 mm",) if scan else ()
    assert plot_data.group_plot(app, built["cora"], measure).left_out == note
    unblind(app, built)
    stella = built["stella"]
    group = plot_data.group_plot(app, stella, measure)
    result = analysis.run(app, stella)
    cells = next(m for m in result["measures"] if m["measure"] == measure)["cells"]
    assert _plot_n(app, group) == {(c["stratum"], c["condition"]): c["n"] for c in cells}
    assert group.left_out == note
    assert sum(s.n.sum() for s in group.strata) == sum(len(DONE[p]) - 1 for p in DONE) - scan


def test_an_empty_database_gets_the_one_no_study_refusal(app: App) -> None:
    """The plots refuse an empty database as every service does (services.errors.no_study):
    no command in the message; each front end words the remedy from the hint."""
    with pytest.raises(Refused) as refused:
        plot_data.participant_plots(app, Actor("cora", "coordinator"), "P001", today=TODAY)
    assert refused.value.message == "this database holds no study yet"
    assert refused.value.hint == CREATE_STUDY
    assert cli_worded(refused.value) == ("this database holds no study yet "
                                         "(init PROTOCOL.toml, or demo)")
    assert gui_worded(refused.value) == ("this database holds no study yet (File → New study "
                                         "from protocol…, or File → Open database…)")
