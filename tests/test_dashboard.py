"""The dashboard's numbers agree with what was recorded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from services import dashboard, participants, visits
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
        {"stratum": "NTNA+", "target": 8, "enrolled": 2, "withdrawn": 1},
        {"stratum": "NTNA-", "target": 8, "enrolled": 1, "withdrawn": 0},
    ]
    v = d["visits"]
    # P003's open visits were cancelled: 4 + 4 + 0 (+ nothing recorded) + 4 for P004
    assert v["planned"] == 12
    assert (v["done"], v["missed"], v["deviations"]) == (2, 1, 1)
    # expected by now: the 3 logged, P002's and P004's baselines (window ended 16 March)
    assert v["expected"] == 5 and v["overdue"] == 2
    assert d["deviations"] == [{"participant": "P001", "visit": "dose1", "actual": "2026-03-21",
                                "days": 2, "reason": "scanner down"}]
    assert d["missed"] == [{"participant": "P002", "visit": "dose1", "date": "2026-03-16",
                            "reason": "ill"}]
    assert d["withdrawals"] == [{"participant": "P003", "stratum": "NTNA+",
                                 "on": "2026-03-10", "reason": "moved abroad"}]
