"""The study at a glance: enrolment against target, visit progress, deviations, withdrawals.

Computed from the same rows the visit lists show, so the numbers on the
dashboard always agree with what a coordinator can drill into.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from services.context import Actor, App, require
from services.participants import list_participants
from services.visits import list_visits


def summary(app: App, actor: Actor, today: dt.date | None = None) -> dict[str, Any]:
    """Counts and the lists behind them; nothing here depends on a condition."""
    require(actor, "study.read")
    today = today or dt.date.today()
    protocol = app.protocol
    people = list_participants(app, actor)
    rows = list_visits(app, actor, today=today)
    enrolled = Counter(p.stratum for p in people if p.enrolled_on is not None)
    withdrawn_after_enrolment = Counter(p.stratum for p in people
                                        if p.enrolled_on is not None and p.status == "withdrawn")
    live = [r for r in rows if r.status != "cancelled"]
    logged = [r for r in live if r.status in ("done", "missed")]
    return {
        "participants": {
            "total": len(people),
            **{status: sum(p.status == status for p in people)
               for status in ("registered", "enrolled", "withdrawn")},
        },
        "strata": [{"stratum": s, "target": protocol.stratum_targets.get(s),
                    "enrolled": enrolled[s], "withdrawn": withdrawn_after_enrolment[s]}
                   for s in protocol.strata],
        "visits": {
            "planned": len(live),
            "expected": len(logged) + sum(r.status not in ("done", "missed") and
                                          r.window_end is not None and r.window_end < today
                                          for r in live),
            "done": sum(r.status == "done" for r in live),
            "missed": sum(r.status == "missed" for r in live),
            "overdue": sum(r.due == "overdue" for r in live),
            "deviations": sum(bool(r.deviation_days) for r in live),
        },
        "deviations": [{"participant": r.participant, "visit": r.visit,
                        "actual": r.actual.isoformat() if r.actual else None,
                        "days": r.deviation_days, "reason": r.deviation_reason}
                       for r in live if r.deviation_days],
        "missed": [{"participant": r.participant, "visit": r.visit,
                    "date": r.actual.isoformat() if r.actual else None, "reason": r.reason}
                   for r in live if r.status == "missed"],
        "withdrawals": [{"participant": p.label, "stratum": p.stratum,
                         "on": p.withdrawn_on.isoformat() if p.withdrawn_on else None,
                         "reason": p.withdrawal_reason}
                        for p in people if p.status == "withdrawn"],
    }
