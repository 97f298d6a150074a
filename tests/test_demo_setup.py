"""`demo --stage setup` is a study a trainer can show: recent registrations, baselines done
(with the stratum from their report) or booked ahead, nothing overdue."""

from __future__ import annotations

import datetime as dt

from services import dashboard, demo, participants, visits
from services.context import App


def test_the_setup_demo_is_the_first_weeks_of_recruitment(db_url: str) -> None:
    app = App(db_url)
    try:
        built = demo.build(app, "setup")
        today = built.today
        coordinator = built.actor("coordinator")
        assert set(built.summary()) == {"db", "stage", "accounts", "passphrase",
                                        "dispensing_passphrase", "emergency_passphrase"}
        summary = dashboard.summary(app, coordinator, today=today)
        assert summary["visits"]["overdue"] == 0 and summary["participants"]["enrolled"] == 0
        people = participants.list_participants(app, coordinator)
        assert all(today - dt.timedelta(days=15) <= p.registered_on < today for p in people)
        baselines = {r.participant: r for r in visits.list_visits(app, coordinator, today=today)
                     if r.visit == "baseline"}
        for p in people:
            baseline = baselines[p.label]
            if p.stratum is not None:  # a stratum only from a baseline scan already done
                assert baseline.status == "done" and baseline.actual < today
            else:
                assert baseline.status == "booked" and baseline.booked > today
                assert baseline.window_start <= baseline.booked <= baseline.window_end
        assert {p.stratum is None for p in people} == {True, False}
    finally:
        app.close()
