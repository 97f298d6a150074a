"""Booked and upcoming visits as an RFC 5545 iCalendar file.

Calendar programs merge re-imported events by UID, so each visit keeps one UID
for the life of the study and its SEQUENCE is the visit's version: moving a
visit updates the event instead of adding a second one. Events name the
participant and the visit label only; never a kit code, never a condition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select

from db.models import Study
from services.context import Actor, App, require
from services.dates import checked_days
from services.errors import Refused, no_study
from services.files import refuse_existing, written_whole
from services.visits import VisitRow, list_visits

MAX_OCTETS = 75
PRODID = "-//TrialDesk//Visit calendar//EN"


def upcoming(rows: Iterable[VisitRow], today: dt.date, days: int | None) -> list[VisitRow]:
    """Open visits still to come (up to `days` ahead), by date: a booked visit from its
    booked date, an unbooked one while its window is open, even if its target has passed."""
    last = today + dt.timedelta(days=days) if days is not None else None

    def still_to_come(r: VisitRow) -> bool:
        if r.status not in ("scheduled", "booked") or r.when is None:
            return False
        ends = r.booked or r.window_end or r.when
        return ends >= today and (last is None or r.when <= last)

    return sorted(filter(still_to_come, rows), key=lambda r: (r.when, r.participant, r.visit))


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """Split a content line into CRLF-joined pieces of at most 75 octets, never inside
    a UTF-8 character; continuation lines start with one space (§3.1)."""
    pieces, current, size = [], "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > MAX_OCTETS:
            pieces.append(current)
            current, size = " ", 1
        current += ch
        size += width
    pieces.append(current)
    return "\r\n".join(pieces)


def _event(row: VisitRow, uid_suffix: str, stamp: str) -> list[str]:
    assert row.when is not None
    description = f"{row.label} for {row.participant}. Window {row.window_start} to " \
                  f"{row.window_end}, target {row.target}."
    if row.booked:
        description += f" Booked for {row.booked}."
    else:
        description += " Not booked yet."
    if row.provisional:
        description += f" Provisional: {row.next_action}."
    return [
        "BEGIN:VEVENT",
        f"UID:{row.participant}-{row.visit}-{uid_suffix}@trialdesk",
        f"DTSTAMP:{stamp}",
        f"SEQUENCE:{row.version}",
        f"DTSTART;VALUE=DATE:{row.when:%Y%m%d}",
        f"DTEND;VALUE=DATE:{row.when + dt.timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape(f'{row.participant} – {row.label}')}",
        f"DESCRIPTION:{escape(description)}",
        f"STATUS:{'CONFIRMED' if row.booked else 'TENTATIVE'}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def calendar_text(rows: Iterable[VisitRow], *, title: str, uid_suffix: str,
                  now: dt.datetime) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape(title)}"]
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for row in rows:
        lines.extend(_event(row, uid_suffix, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def export_calendar(app: App, actor: Actor, path: str | Path, days: int | None = None,
                    today: dt.date | None = None, *, force: bool = False) -> int:
    """Write the file; returns the number of events. Refused when it cannot be written, and
    before any work when the file exists and `force` is not given."""
    require(actor, "study.read")
    path = Path(path)
    if path.suffix.lower() != ".ics":
        raise Refused(f"{path.name}: an iCalendar file name ends in .ics")
    refuse_existing(path.expanduser().absolute(), force=force)
    if days is not None:
        checked_days(days, "--days")
    today = today or dt.date.today()
    with app.read() as s:
        study = s.scalar(select(Study))
    if study is None:
        raise no_study()
    # Stable for this study's database, different for another study with the same protocol.
    uid_suffix = hashlib.sha256(f"{study.protocol_sha256}{study.created_at.isoformat()}"
                                .encode()).hexdigest()[:16]
    rows = upcoming(list_visits(app, actor, today=today), today, days)
    text = calendar_text(rows, title=f"TrialDesk visits: {study.title}", uid_suffix=uid_suffix,
                         now=dt.datetime.now(dt.UTC))
    with written_whole(path, force=force) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return len(rows)
