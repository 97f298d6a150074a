"""The adverse event list reads plain columns in one statement and lists exactly what
reporting and updating returned, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from services import adverse_events
from services.context import App
from tests.importers.helpers import baseline_study
from tests.statements import Statements

ONSET = dt.date.today() - dt.timedelta(days=3)


def test_listed_events_are_what_reporting_and_updating_returned(app: App) -> None:
    cora = baseline_study(app, [1, 2, 3], done=[])["cora"]
    last = {}
    for n, serious, visit in ((2, "yes", "dose1"), (1, "no", None), (2, "no", "baseline")):
        row = adverse_events.add(app, cora, n, term=f"event of P00{n}", onset=ONSET,
                                 severity="mild", serious=serious, related="possible",
                                 visit=visit)
        last[row.id] = row
    first = min(last)
    last[first] = adverse_events.update(app, cora, first, "follow-up", severity="moderate",
                                        resolved=ONSET + dt.timedelta(days=1),
                                        outcome="recovered", action="none")
    app.protocol  # noqa: B018 (read once, cached: not part of the list)
    with Statements(app) as seen:
        listed = adverse_events.list_events(app, cora)
    assert len(seen) == 1
    assert [r.as_dict() for r in listed] == [last[n].as_dict() for n in sorted(last)]
    serious = listed[0]
    assert (serious.participant, serious.severity, serious.resolved) == (
        "P002", "moderate", (ONSET + dt.timedelta(days=1)).isoformat())
    assert serious.visit_label == "Dosing 1" and "emergency envelope" in serious.emergency
    assert listed[1].emergency is None and listed[1].visit_label is None
    assert [r.id for r in adverse_events.list_events(app, cora, participant="P2")] == [
        listed[0].id, listed[2].id]
    assert adverse_events.list_events(app, cora, participant=3) == []
