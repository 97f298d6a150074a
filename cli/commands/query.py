"""`query open|answer|close|reopen|list`: data queries on one value (CLI.md)."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import queries


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("query", help="data queries: raise, answer, close, list")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    opened = actions.add_parser("open", help="raise a query on one value (monitor)")
    opened.add_argument("id", help="participant ID")
    opened.add_argument("visit")
    opened.add_argument("name", help="scan measure, scale or questionnaire item")
    opened.add_argument("--text", required=True, help="the question")
    opened.set_defaults(handler=handle_open)
    answer = actions.add_parser("answer", help="answer a query (coordinator)")
    answer.add_argument("number", type=int, help="query number")
    answer.add_argument("--text", required=True)
    answer.add_argument("--value", help="correct the value in the same step")
    answer.add_argument("--reason", help="why the value changes (with --value)")
    answer.set_defaults(handler=handle_answer)
    close = actions.add_parser("close", help="close a query (monitor)")
    close.add_argument("number", type=int)
    close.add_argument("--text")
    close.set_defaults(handler=handle_close)
    reopen = actions.add_parser("reopen", help="re-open an answered or closed query (monitor)")
    reopen.add_argument("number", type=int)
    reopen.add_argument("--text", required=True, help="why it is re-opened")
    reopen.set_defaults(handler=handle_reopen)
    listed = actions.add_parser("list", help="queries with their conversation")
    listed.add_argument("--open", action="store_true",
                        help="only queries not closed yet (open or answered)")
    listed.add_argument("--status", choices=queries.STATUSES, help="only this state")
    listed.add_argument("--participant")
    listed.set_defaults(handler=handle_list)


def line(q: queries.QueryRow) -> str:
    return f"query {q.id:>3} {q.status:<8} {q.participant} {q.visit} {q.name}: {q.text}"


def _one(q: queries.QueryRow, verb: str) -> Result:
    return Result(q.as_dict(), f"{verb} {line(q)}")


def handle_open(cli: Cli) -> Result:
    a = cli.args
    return _one(queries.open_query(cli.app, cli.actor, a.id, a.visit, a.name, a.text), "Opened")


def handle_answer(cli: Cli) -> Result:
    a = cli.args
    q, corrected = queries.answer(cli.app, cli.actor, a.number, a.text, a.value, a.reason)
    data = {**q.as_dict(), "correction": corrected.as_dict() if corrected else None}
    text = f"Answered {line(q)}"
    if corrected and corrected.sdv_cleared:
        text += "\nthe visit's source-data verification was cleared: it needs verifying again"
    return Result(data, text, warnings=corrected.warnings if corrected else [])


def handle_close(cli: Cli) -> Result:
    return _one(queries.close(cli.app, cli.actor, cli.args.number, cli.args.text), "Closed")


def handle_reopen(cli: Cli) -> Result:
    a = cli.args
    return _one(queries.reopen(cli.app, cli.actor, a.number, a.text), "Re-opened")


def handle_list(cli: Cli) -> Result:
    a = cli.args
    rows = queries.list_queries(cli.app, cli.actor, status=a.status,
                                participant=a.participant, not_closed=a.open)
    text = "\n".join(line(q) for q in rows)
    return Result({"queries": [q.as_dict() for q in rows]}, text or "no queries")
