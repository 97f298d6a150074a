"""The group view's fetch (services/group_table.py, read through the driver's cursor) and
its QC rule (trialcore.counted.over_limits) against a straightforward reference, on
SQLite and PostgreSQL, blinded and unblinded: the same values, the same ones left out.

The study is tests/test_plot_data.py's, with what makes the rules matter: a scan stored
on a visit logged missed (out as not given, though its quality value is over the limit
too), a quality value exactly at the limit (in), the scan over the limit (out) and a
withdrawn participant whose values still count.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

import numpy as np
import pytest
from sqlalchemy import select

from db.models import Observation, Participant
from services import participants, plot_data
from services.context import Actor, App
from services.group_table import group_table
from tests.lock_helpers import TODAY
from tests.test_plot_data import _in_order, _joined_table, build_study, unblind
from trialcore.counted import failed_checks

MEASURES = ("amygdala_threat", "fd_mean", "subjective_anxiety")
MISSED = ("P002", "dose2")  # logged missed in build_study
AT_LIMIT = ("P001", "dose1")  # fd_mean exactly 0.5: within the limit


@pytest.fixture
def study(app: App) -> dict[str, Actor]:
    actors = build_study(app)
    cora = actors["cora"]
    with app.write(cora, "scans.enter") as s:
        ids = dict(s.execute(select(Participant.label, Participant.id)).all())
        s.add_all([Observation(participant_id=ids[MISSED[0]], visit=MISSED[1],
                               measure="amygdala_threat", value=40.0),
                   Observation(participant_id=ids[MISSED[0]], visit=MISSED[1],
                               measure="fd_mean", value=0.9)])
        s.scalars(select(Observation).where(  # through the ORM: the trail records it
            Observation.participant_id == ids[AT_LIMIT[0]], Observation.visit == AT_LIMIT[1],
            Observation.measure == "fd_mean")).one().value = 0.5
    participants.withdraw(app, cora, 3, "moved away", TODAY)  # P003: the scan over the limit
    return actors


def reference(app: App, measure: str, unblinded: bool) -> dict[str, object]:
    """The group plot computed plainly from one joined query's rows: per stratum and x,
    participants' means, then n, mean and SEM; trialcore.counted's rule row by row."""
    protocol = app.protocol
    checked = [m for m in protocol.measures if m.qc_max is not None] \
        if protocol.measure(measure).kind == "scan" else []  # type: ignore[union-attr]
    rows = [r for r in _joined_table(app, measure, unblinded).tolist() if r[2] >= 0]
    given = [r for r in rows if r[5] == 1]
    failures = failed_checks(
        ((r[0], r[4], m.name, None if math.isnan(r[6 + i]) else r[6 + i])
         for r in given for i, m in enumerate(checked)), {m.name: m.qc_max for m in checked})
    bad = {(f.participant, f.occasion) for f in failures}
    cells: dict[tuple[int, int], dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in given:
        if (r[0], r[4]) not in bad:
            cells[int(r[1]), int(r[2])][r[0]].append(r[3])
    out: dict[str, object] = {"not given": len(rows) - len(given), "scans out": len(bad)}
    for (stratum, x), people in cells.items():
        means = [statistics.fmean(v) for v in people.values()]
        out[f"{stratum}/{x}"] = (len(means), statistics.fmean(means),
                                 statistics.stdev(means) / math.sqrt(len(means))
                                 if len(means) > 1 else math.nan)
    return out


def plotted(app: App, data: plot_data.GroupPlotData) -> dict[str, object]:
    """group_plot's figures in reference()'s shape."""
    names = [*app.protocol.strata, plot_data.NO_STRATUM]
    out: dict[str, object] = {}
    for s in data.strata:
        for x, (n, mean, sem) in enumerate(zip(s.n, s.mean, s.sem, strict=True)):
            if n:
                out[f"{names.index(s.stratum)}/{x}"] = (int(n), float(mean), float(sem))
    return out


@pytest.mark.parametrize("measure", MEASURES)
def test_the_group_view_counts_what_a_plain_reference_counts(app: App, study: dict[str, Actor],
                                                             measure: str) -> None:
    protocol = app.protocol
    scan = protocol.measure(measure).kind == "scan"  # type: ignore[union-attr]
    checked = [m for m in protocol.measures if m.qc_max is not None] if scan else []
    for unblinded in (False, True):
        if unblinded:
            unblind(app, study)
        with app.read() as s:
            table = group_table(s, protocol, measure, checked, unblinded)
        expected = _in_order(_joined_table(app, measure, unblinded))
        table = _in_order(table)
        np.testing.assert_array_equal(table[:, :6], expected[:, :6])
        limits = np.array([m.qc_max for m in checked])
        with np.errstate(invalid="ignore"):
            over = expected[:, 6:] > limits
        np.testing.assert_array_equal(table[:, 6:][over], expected[:, 6:][over])

        want = reference(app, measure, unblinded)
        data = plot_data.group_plot(app, study["cora"], measure)
        got = plotted(app, data)
        assert got.keys() == {k for k in want if "/" in k}
        for key, (n, mean, sem) in got.items():
            assert (n, mean) == pytest.approx(want[key][:2])  # type: ignore[index]
            assert sem == pytest.approx(want[key][2], nan_ok=True)  # type: ignore[index]
        # the scan on the missed visit is out as not given (its motion is not counted
        # as well), P003's scan over the limit is out, P001's at the limit is in
        assert want["not given"] == (1 if measure != "subjective_anxiety" else 0)
        assert want["scans out"] == scan
        notes = (("1 value left out: stored on visits logged missed or cancelled",)
                 if measure != "subjective_anxiety" else ())
        notes += ("1 scan left out: Mean framewise displacement > 0.5 mm",) if scan else ()
        assert data.left_out == notes
        withdrawn = [k for k in got if k.startswith("0/")]  # P003 is in the first stratum
        assert sum(got[k][0] for k in withdrawn) == (5 if scan else 6)  # type: ignore[index]
