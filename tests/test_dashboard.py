"""The dashboard's numbers agree with what was recorded."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from services import allocation, dashboard, enrolment, lock, participants, unblinding, visits
from services.context import Actor, App
from tests.test_visits import REG, Running, enrol, running_study


@pytest.fixture
def running(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    app, actors = running_study(db_url, tmp_path_factory)
    yield app, actors
    app.close()


def test_enrolment_progress_deviations_withdrawals(running: Running) -> None:
    app, a = running
    c1 = enrol(app, a, 1)
    enrol(app, a, 2, stratum="NTNA-")
    enrol(app, a, 3)
    participants.add(app, a["cora"], 4, registered_on=REG)
    cora = a["cora"]
    visits.log(app, cora, 1, "baseline", date=dt.date(2026, 3, 4))
    visits.log(app, cora, 1, "dose1", date=dt.date(2026, 3, 21), code=c1["dose1"],
               deviation_reason="scanner down")
    visits.log(app, cora, 2, "dose1", date=dt.date(2026, 3, 16), status="missed",
               reason="ill")
    participants.withdraw(app, cora, 3, "moved abroad", dt.date(2026, 3, 10))
    d = dashboard.summary(app, a["stella"], today=dt.date(2026, 3, 22))
    assert d["participants"] == {"total": 4, "registered": 1, "enrolled": 2, "withdrawn": 1}
    assert d["strata"] == [
        {"stratum": "NTNA+", "target": 8, "enrolled": 2, "withdrawn": 1, "over_target": False},
        {"stratum": "NTNA-", "target": 8, "enrolled": 1, "withdrawn": 0, "over_target": False},
    ]
    v = d["visits"]
    # P003's open visits were cancelled: 4 + 4 + 0 (+ nothing recorded) + 4 for P004
    assert v["planned"] == 12
    assert (v["done"], v["missed"], v["deviations"]) == (2, 1, 1)
    # expected by now: the 3 logged, P002's and P004's baselines (window ended 16 March)
    assert v["expected"] == 5 and v["overdue"] == 2
    assert d["deviations"] == [{"participant": "P001", "visit": "dose1",
                                "visit_label": "Dosing 1", "actual": "2026-03-21",
                                "days": 2, "reason": "scanner down"}]
    assert d["missed"] == [{"participant": "P002", "visit": "dose1", "visit_label": "Dosing 1",
                            "date": "2026-03-16", "reason": "ill"}]
    assert d["withdrawals"] == [{"participant": "P003", "stratum": "NTNA+",
                                 "on": "2026-03-10", "reason": "moved abroad"}]


def _from_the_visit_lists(app: App, actor: Actor, today: dt.date) -> dict[str, Any]:
    """The dashboard as it was computed before it counted in the database: from every
    participant and every visit row, as the visit lists show them."""
    people = participants.list_participants(app, actor)
    live = [r for r in visits.list_visits(app, actor, today=today) if r.status != "cancelled"]
    enrolled = Counter(p.stratum for p in people if p.enrolled_on is not None)
    withdrawn = Counter(p.stratum for p in people
                        if p.enrolled_on is not None and p.status == "withdrawn")
    logged = [r for r in live if r.status in ("done", "missed")]
    return {
        "participants": {"total": len(people),
                         **{s: sum(p.status == s for p in people)
                            for s in ("registered", "enrolled", "withdrawn")}},
        "strata": [{"stratum": s, "target": app.protocol.stratum_targets.get(s),
                    "enrolled": enrolled[s], "withdrawn": withdrawn[s],
                    "over_target": enrolled[s] > app.protocol.stratum_targets[s]}
                   for s in app.protocol.strata],
        "visits": {
            "planned": len(live),
            "expected": len(logged) + sum(r.status not in ("done", "missed")
                                          and r.window_end is not None
                                          and r.window_end < today for r in live),
            "done": sum(r.status == "done" for r in live),
            "missed": sum(r.status == "missed" for r in live),
            "overdue": sum(r.due == "overdue" for r in live),
            "deviations": sum(bool(r.deviation_days) for r in live),
        },
        "deviations": [{"participant": r.participant, "visit": r.visit, "visit_label": r.label,
                        "actual": r.actual.isoformat() if r.actual else None,
                        "days": r.deviation_days, "reason": r.deviation_reason}
                       for r in live if r.deviation_days],
        "missed": [{"participant": r.participant, "visit": r.visit, "visit_label": r.label,
                    "date": r.actual.isoformat() if r.actual else None, "reason": r.reason}
                   for r in live if r.status == "missed"],
        "withdrawals": [{"participant": p.label, "stratum": p.stratum,
                         "on": p.withdrawn_on.isoformat() if p.withdrawn_on else None,
                         "reason": p.withdrawal_reason}
                        for p in people if p.status == "withdrawn"],
        "emergency_unblinded": [p.label for p in people if p.emergency_unblinded],
        "next_step": None,
    }


def test_the_counts_agree_with_the_visit_lists_on_any_day(running: Running) -> None:
    """Counted by the database, the dashboard says what the visit lists add up to: done,
    missed, late, booked, waiting for an anchor, cancelled, withdrawn before and after
    enrolment, never enrolled; in participant and protocol order."""
    app, a = running
    cora = a["cora"]
    c = {n: enrol(app, a, n, stratum="NTNA-" if n % 2 else "NTNA+") for n in (2, 5, 9, 11)}
    participants.add(app, cora, 4, registered_on=REG)  # never enrolled: baseline only
    participants.add(app, cora, 7, stratum="NTNA+", registered_on=REG)
    participants.withdraw(app, cora, 7, "no time", dt.date(2026, 3, 5))  # before enrolment
    for n in (11, 2, 9):  # logged out of number order: the lists are in number order
        visits.log(app, cora, n, "baseline", date=dt.date(2026, 3, 4))
    visits.log(app, cora, 11, "dose1", date=dt.date(2026, 3, 21), code=c[11]["dose1"],
               deviation_reason="scanner down")
    visits.log(app, cora, 2, "dose1", date=dt.date(2026, 3, 12), code=c[2]["dose1"],
               deviation_reason="came early")
    visits.log(app, cora, 9, "dose1", date=dt.date(2026, 3, 16), status="missed",
               reason="ill")
    visits.log(app, cora, 2, "dose2", date=dt.date(2026, 3, 19), status="missed",
               reason="away", today=dt.date(2026, 3, 25))
    visits.book(app, cora, 9, "dose2", dt.date(2026, 3, 24), today=dt.date(2026, 3, 18))
    participants.withdraw(app, cora, 5, "moved abroad", dt.date(2026, 3, 10))
    for today in (dt.date(2026, 3, 1), dt.date(2026, 3, 17), dt.date(2026, 3, 22),
                  dt.date(2026, 4, 30)):
        d = dashboard.summary(app, a["stella"], today=today)
        assert d == _from_the_visit_lists(app, a["stella"], today), today
    assert d["visits"]["overdue"] > 0 and len(d["deviations"]) == 2
    assert [r["participant"] for r in d["deviations"]] == ["P002", "P011"]
    assert [(r["participant"], r["visit"]) for r in d["missed"]] == [("P002", "dose2"),
                                                                   ("P009", "dose1")]
    assert [r["participant"] for r in d["withdrawals"]] == ["P005", "P007"]


def test_enrolment_past_a_target_is_announced_then_shown(running: Running) -> None:
    app, a = running
    target = app.protocol.stratum_targets["NTNA-"]
    for n in range(1, target + 1):
        enrol(app, a, n, stratum="NTNA-")
    participants.add(app, a["cora"], 99, stratum="NTNA-", registered_on=REG)
    warning = enrolment.target_warning(app, a["cora"], 99)  # the stratum entered at registration
    assert warning == (f"Stratum NTNA- has reached its target: {target} of {target} enrolled. "
                       f"Enrolling P099 makes {target + 1}.")
    assert enrolment.target_warning(app, a["cora"], 99, "NTNA+") is None
    strata = {s["stratum"]: s for s in dashboard.summary(app, a["stella"])["strata"]}
    assert not strata["NTNA-"]["over_target"]  # full is not over
    enrolment.enrol(app, a["cora"], 99)
    strata = {s["stratum"]: s for s in dashboard.summary(app, a["stella"])["strata"]}
    assert strata["NTNA-"]["enrolled"] == target + 1 and strata["NTNA-"]["over_target"]
    assert not strata["NTNA+"]["over_target"]


def test_a_new_study_is_told_its_next_step_and_emergency_envelopes_are_flagged(
        db_url: str) -> None:
    from tests.allocation_helpers import EMERGENCY, PASSPHRASE
    from tests.conftest import PASSWORDS, make_study

    app = App(db_url)
    try:
        actors = make_study(app, ("cora", "ivan", "rita"))
        steps = [dashboard.summary(app, actors["cora"])["next_step"]]
        participants.add(app, actors["cora"], 1, stratum="NTNA+", registered_on=REG)
        steps.append(dashboard.summary(app, actors["cora"])["next_step"])
        allocation.generate(app, actors["rita"], PASSPHRASE, EMERGENCY,
                            confirm_unbalanced=True)
        steps.append(dashboard.summary(app, actors["cora"])["next_step"])
        enrolment.enrol(app, actors["cora"], 1, on=REG + dt.timedelta(days=3))
        d = dashboard.summary(app, actors["cora"])
        assert [*steps, d["next_step"]] == ["register", "generate_allocation", "enrol", None]
        assert d["emergency_unblinded"] == []
        unblinding.emergency(app, actors["ivan"], "P001", "suspected serotonin syndrome",
                             EMERGENCY, PASSWORDS["ivan"])
        assert dashboard.summary(app, actors["cora"])["emergency_unblinded"] == ["P001"]
        items = {i.key: i for i in lock.checklist(app, actors["ivan"])}
        assert items["emergency"].ok and "opened for P001" in items["emergency"].note
    finally:
        app.close()


def test_the_flow_and_the_enrolment_curve_count_what_was_recorded(running: Running) -> None:
    app, a = running
    cora = a["cora"]
    c1 = enrol(app, a, 1)
    enrol(app, a, 2, stratum="NTNA-", enrolled=dt.date(2026, 3, 2))
    enrol(app, a, 3)
    participants.add(app, cora, 4, registered_on=REG)  # registered, never enrolled
    for visit, on in (("dose1", dt.date(2026, 3, 16)), ("dose2", dt.date(2026, 3, 23)),
                      ("dose3", dt.date(2026, 3, 30))):
        visits.log(app, cora, 1, visit, date=on, code=c1[visit], today=dt.date(2026, 4, 1))
    visits.log(app, cora, 3, "dose1", date=dt.date(2026, 3, 16), status="missed", reason="ill",
               today=dt.date(2026, 4, 1))
    participants.withdraw(app, cora, 3, "moved abroad", dt.date(2026, 3, 17))
    f = dashboard.flow(app, a["stella"])
    assert f["registered"] == 4
    plus, minus = f["strata"]
    assert (plus["stratum"], plus["enrolled"], plus["withdrawn"], plus["analysed"]) == \
        ("NTNA+", 2, 1, 1)
    assert [(v["label"], v["done"]) for v in plus["visits"]] == [
        ("Dosing 1", 1), ("Dosing 2", 1), ("Dosing 3", 1)]
    assert (minus["enrolled"], minus["withdrawn"], minus["analysed"]) == (1, 0, 0)
    curve = dashboard.enrolment_over_time(app, a["stella"])
    assert curve["target"] == 16
    assert curve["points"] == [{"date": "2026-03-02", "enrolled": 1},
                               {"date": "2026-03-09", "enrolled": 3}]
