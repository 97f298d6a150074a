"""The iCalendar export, read back with a small RFC 5545 parser (no extra dependency)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import participants, visits
from services.calendar_export import escape, export_calendar, fold
from services.context import Actor, App
from services.errors import Refused
from tests.test_visits import Running, enrol, running_study

TODAY = dt.date(2026, 3, 12)


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append("\n" if value[i + 1] in "nN" else value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse(raw: bytes) -> list[dict[str, str]]:
    """Events as {NAME or NAME;PARAMS: value}, after checking the wire format."""
    text = raw.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    lines = "\r\n".join(physical).replace("\r\n ", "").split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(x.startswith("PRODID:") for x in lines)
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = unescape(value)
    return events


@pytest.fixture
def running(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    app, actors = running_study(db_url, tmp_path_factory)
    yield app, actors
    app.close()


def _export(app: App, actor: Actor, path: Path, days: int | None = None) -> list[dict[str, str]]:
    export_calendar(app, actor, path, days=days, today=TODAY)
    return parse(path.read_bytes())


def test_booked_and_upcoming_visits_become_events(running: Running, tmp_path: Path) -> None:
    app, a = running
    enrol(app, a, 7)
    participants.add(app, a["cora"], 8, registered_on=dt.date(2026, 3, 2))
    participants.withdraw(app, a["cora"], 8, "moved", dt.date(2026, 3, 3))
    visits.book(app, a["cora"], 7, "dose1", "2026-03-16", today=TODAY)
    events = _export(app, a["ivan"], tmp_path / "visits.ics")
    by_summary = {e["SUMMARY"]: e for e in events}
    assert set(by_summary) == {"P007 – Baseline fMRI", "P007 – Dosing 1", "P007 – Dosing 2",
                               "P007 – Dosing 3"}
    baseline = by_summary["P007 – Baseline fMRI"]  # target passed, window open till the 16th
    assert baseline["DTSTART;VALUE=DATE"] == "20260302" and "Not booked yet" in \
        baseline["DESCRIPTION"]
    dose1 = by_summary["P007 – Dosing 1"]
    assert dose1["DTSTART;VALUE=DATE"] == "20260316" and dose1["STATUS"] == "CONFIRMED"
    assert dose1["DTEND;VALUE=DATE"] == "20260317"
    assert "Window 2026-03-14 to 2026-03-19" in dose1["DESCRIPTION"]
    assert by_summary["P007 – Dosing 2"]["STATUS"] == "TENTATIVE"
    assert "Provisional: log Dosing 1 first" in by_summary["P007 – Dosing 2"]["DESCRIPTION"]
    assert all(e["DTSTAMP"].endswith("Z") and len(e["DTSTAMP"]) == 16 for e in events)
    raw = (tmp_path / "visits.ics").read_text(encoding="utf-8")
    for c in app.protocol.conditions:
        assert c.code not in raw and c.label not in raw
    assert visits.list_visits(app, a["ivan"], 7)[1].code not in raw  # no kit codes either


def test_uids_are_stable_and_a_moved_visit_gets_a_higher_sequence(running: Running,
                                                                   tmp_path: Path) -> None:
    app, a = running
    enrol(app, a, 7)
    first = {e["UID"]: e for e in _export(app, a["cora"], tmp_path / "a.ics")}
    visits.book(app, a["cora"], 7, "dose1", "2026-03-18", today=TODAY)
    second = {e["UID"]: e for e in _export(app, a["cora"], tmp_path / "b.ics")}
    assert set(first) == set(second) and len(first) == 4
    uid = next(u for u in first if u.startswith("P007-dose1-"))
    assert int(second[uid]["SEQUENCE"]) > int(first[uid]["SEQUENCE"])
    assert second[uid]["DTSTART;VALUE=DATE"] == "20260318"


def test_days_limits_the_events_and_bad_arguments_are_refused(running: Running,
                                                              tmp_path: Path) -> None:
    app, a = running
    enrol(app, a, 7)
    assert [e["SUMMARY"] for e in _export(app, a["cora"], tmp_path / "c.ics", days=4)] == [
        "P007 – Baseline fMRI", "P007 – Dosing 1"]
    participants.withdraw(app, a["cora"], 7, "moved", TODAY)
    assert _export(app, a["cora"], tmp_path / "e.ics") == []
    with pytest.raises(Refused, match=r"ends in \.ics"):
        export_calendar(app, a["cora"], tmp_path / "visits.txt")
    with pytest.raises(Refused, match="cannot write"):
        export_calendar(app, a["cora"], tmp_path / "missing" / "visits.ics")
    with pytest.raises(Refused, match="between 0 and 36600"):
        export_calendar(app, a["cora"], tmp_path / "d.ics", days=-1)


def test_escaping_and_folding_follow_rfc_5545() -> None:
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "P007 – Dosing 2 " * 12
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert len(pieces) > 1 and all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert folded.replace("\r\n ", "") == line
