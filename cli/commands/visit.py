"""`visit book ID VISIT DATE` and `visit log ID VISIT --date D ...`."""

from __future__ import annotations

import argparse

from cli.commands.participants import parse_date
from cli.commands.visits import line
from cli.runner import Cli, Result
from services import visits


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("visit", help="book or log one visit")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    book = actions.add_parser("book", help="book a visit for a date (warns outside the window)")
    book.add_argument("id", help="participant ID in any form: 7, P7, P007")
    book.add_argument("visit", help="visit id from the protocol, e.g. dose1")
    book.add_argument("date", help="YYYY-MM-DD")
    book.add_argument("--expected-version", type=int,
                      help="the visit version you saw; refused if someone changed it since")
    book.set_defaults(handler=handle_book)
    log = actions.add_parser("log", help="log a visit as done or missed")
    log.add_argument("id")
    log.add_argument("visit")
    log.add_argument("--date", required=True, help="when it happened (YYYY-MM-DD)")
    log.add_argument("--status", choices=visits.LOG_STATUSES, default="done")
    log.add_argument("--code", help="kit code from the label (dosing visits)")
    log.add_argument("--reason", help="why it was missed, or why a logged visit is changed")
    log.add_argument("--deviation-reason", help="why it happened outside its window")
    log.add_argument("--expected-version", type=int)
    log.set_defaults(handler=handle_log)


def _result(saved: visits.Saved, verb: str) -> Result:
    r = saved.row
    return Result(r.as_dict(), f"{verb} {r.participant} {r.visit}\n{line(r)}",
                  warnings=saved.warnings)


def handle_book(cli: Cli) -> Result:
    a = cli.args
    saved = visits.book(cli.app, cli.actor, a.id, a.visit, parse_date(a.date),
                        expected_version=a.expected_version)
    return _result(saved, "Booked")


def handle_log(cli: Cli) -> Result:
    a = cli.args
    saved = visits.log(cli.app, cli.actor, a.id, a.visit, date=parse_date(a.date, "--date"),
                       status=a.status,
                       code=a.code, reason=a.reason, deviation_reason=a.deviation_reason,
                       expected_version=a.expected_version)
    return _result(saved, f"Logged {a.status}:")
