"""The demo shows monitoring: queries open and closed, SDV marks and AEs while running;
no query left open once locked."""

from __future__ import annotations

from services import adverse_events, data_entry, demo, double_entry, lock, queries, sdv
from services.context import App


def test_demo_running_has_monitoring_and_locked_has_no_open_query(app: App) -> None:
    running = demo.build(app, "running")
    monitor = running.actor("monitor")
    states = sorted(q.status for q in queries.list_queries(app, monitor))
    assert states == ["closed", "open"]
    assert any(r.verified for r in sdv.list_marks(app, monitor))
    events = adverse_events.list_events(app, monitor)
    assert len(events) >= 2 and any(e.serious for e in events)
    assert [(r.participant, r.name, r.status) for r in double_entry.pending(app, monitor)] == [
        ("P002", "lik_angry_1", "mismatch")]
    agreed = {r["name"]: r for r in data_entry.show(app, monitor, "P001", "baseline")}
    assert agreed["lik_angry_1"]["double_entry"] == ["cora", "dora"]
    assert "likability_angry" in agreed  # scored from the agreed items
    assert not {i.key: i.ok for i in lock.checklist(app, monitor)}["double_entry"]
    locked = demo.build(app, "locked")
    rows = queries.list_queries(app, locked.actor("monitor"))
    assert rows and all(q.status == "closed" for q in rows)
    assert double_entry.pending(app, locked.actor("monitor")) == []
