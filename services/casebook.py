"""A participant's casebook: one printable document with their register entry, visits,
every value with where it came from, SDV marks, data queries and adverse events.

Built as HTML here (no Qt); the window prints it to PDF (QTextDocument), the command
line writes the HTML. It never holds a condition, dose or allocation: only what a
blinded role may read, so any reader may print it at any stage. Sections the reader
may not see (queries, adverse events) are left out and say so.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from services import adverse_events, data_entry, participants, queries, sdv, visits
from services.context import Actor, App, require
from services.files import written_whole
from trialcore.roles import allowed


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p><i>none</i></p>"
    head = "".join(f"<th align='left'>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if c is None else str(c))}</td>"
                                     for c in r) + "</tr>" for r in rows)
    return f"<table border='1' cellspacing='0' cellpadding='3'><tr>{head}</tr>{body}</table>"


def casebook_html(app: App, actor: Actor, participant: object) -> str:
    """The casebook of one participant as an HTML document. Checked up front: its values
    are outcome data (data.read), so a role that may not read them is refused once,
    before any work, not half-way through."""
    require(actor, "data.read")
    p = participants.get(app, actor, participant)
    title = escape(app.protocol.title)
    parts = [f"<h1>Casebook {escape(p.label)}</h1><p>{title}</p>",
             _table(["status", "stratum", "registered", "enrolled", "withdrawn", "notes"],
                    [[p.status, p.stratum, p.registered_on, p.enrolled_on, p.withdrawn_on,
                      p.notes]])]
    marks = {(r.participant, r.visit): r for r in sdv.list_marks(app, actor)}
    rows = visits.list_visits(app, actor, p.label)
    parts.append("<h2>Visits</h2>" + _table(
        ["visit", "status", "date", "kit code", "deviation", "source-verified"],
        [[v.label, v.status, v.actual or v.booked or v.target, v.code, v.deviation_reason,
          _verified(marks.get((p.label, v.visit)))] for v in rows]))
    values = data_entry.show(app, actor, p.label)
    parts.append("<h2>Values</h2>" + _table(
        ["visit", "name", "value", "source", "by", "at"],
        [[r["visit_label"], r["label"], r["value"], _source(r), r["user"], (r["at"] or "")[:19]]
         for r in values]))
    parts.append("<h2>Data queries</h2>")
    if allowed(actor.role, "queries.read"):
        parts.append(_table(["no.", "visit", "value", "state", "conversation"], [
            [q.id, q.visit_label, q.name_label, q.status,
             " | ".join(f"{m['by']} ({m['kind']}): {m['text']}" for m in q.messages)]
            for q in queries.list_queries(app, actor, participant=p.label)]))
    else:
        parts.append(f"<p><i>not shown to the {escape(actor.role)} role</i></p>")
    parts.append("<h2>Adverse events</h2>")
    if allowed(actor.role, "ae.read"):
        parts.append(_table(["no.", "term", "onset", "severity", "serious", "related", "visit",
                             "resolved", "outcome"], [
            [a.id, a.term, a.onset, a.severity, "yes" if a.serious else "no", a.related,
             a.visit_label, a.resolved, a.outcome]
            for a in adverse_events.list_events(app, actor, p.label)]))
    else:
        parts.append(f"<p><i>not shown to the {escape(actor.role)} role</i></p>")
    return "<html><body>" + "".join(parts) + "</body></html>"


def _verified(mark: sdv.SdvRow | None) -> str:
    return f"yes ({mark.by})" if mark and mark.verified else ""


def _source(r: dict[str, Any]) -> str:
    return "hand entry" if r["source"] == "entry" else f"import {r['import_id']} ({r['file']})"


def write_casebook(app: App, actor: Actor, participant: object, path: str | Path, *,
                   force: bool = False) -> Path:
    """The casebook as an HTML file, written whole or not at all."""
    require(actor, "data.read")
    html = casebook_html(app, actor, participant)
    with written_whole(path, force=force) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)
