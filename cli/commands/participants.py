"""`participants list|add|edit|withdraw`."""

from __future__ import annotations

import argparse
import datetime as dt

from cli.runner import Cli, Result
from services import participants
from services.errors import Refused
from trialcore.limits import date_problem


def parse_date(text: str | None, what: str = "date") -> dt.date | None:
    if text is None:
        return None
    try:
        value = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise Refused(f"{what} {text!r} is not a date (use YYYY-MM-DD)") from exc
    problem = date_problem(value, what)
    if problem:
        raise Refused(problem)
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("participants", help="the participant register")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="all participants").set_defaults(handler=handle_list)
    add = actions.add_parser("add", help="register a participant")
    add.add_argument("id", help="participant ID in any form: 7, P7, P007, sub-007")
    add.add_argument("--stratum", help="stratum entered by hand")
    add.add_argument("--date", help="registration date (YYYY-MM-DD; default today)")
    add.add_argument("--notes", default="")
    add.set_defaults(handler=handle_add)
    edit = actions.add_parser("edit", help="change a participant's details (with a reason)")
    edit.add_argument("id")
    edit.add_argument("--notes")
    edit.add_argument("--registered-on")
    edit.add_argument("--reason")
    edit.add_argument("--expected-version", type=int,
                      help="the version you saw (participants list); refused if someone "
                      "changed the participant since")
    edit.set_defaults(handler=handle_edit)
    wd = actions.add_parser("withdraw", help="withdraw a participant (with a reason)")
    wd.add_argument("id")
    wd.add_argument("--reason")
    wd.add_argument("--date", help="withdrawal date (default today)")
    wd.set_defaults(handler=handle_withdraw)


def _line(r: participants.ParticipantRow) -> str:
    flag = "  [emergency-unblinded]" if r.emergency_unblinded else ""
    return f"{r.label:<8} {r.status:<11} {r.stratum or '-':<8} {r.registered_on}{flag}"


def handle_list(cli: Cli) -> Result:
    rows = participants.list_participants(cli.app, cli.actor)
    return Result({"participants": [r.as_dict() for r in rows]},
                  "\n".join(_line(r) for r in rows) or "no participants")


def handle_add(cli: Cli) -> Result:
    a = cli.args
    row = participants.add(cli.app, cli.actor, a.id, stratum=a.stratum,
                           registered_on=parse_date(a.date, "--date"), notes=a.notes)
    return Result(row.as_dict(), f"Registered {row.label}")


def handle_edit(cli: Cli) -> Result:
    a = cli.args
    changes: dict[str, object] = {}
    if a.notes is not None:
        changes["notes"] = a.notes
    if a.registered_on is not None:
        changes["registered_on"] = parse_date(a.registered_on, "--registered-on")
    if not changes:
        raise Refused("nothing to change: give --notes or --registered-on")
    row = participants.edit(cli.app, cli.actor, a.id, changes, a.reason,
                            expected_version=a.expected_version)
    return Result(row.as_dict(), f"Updated {row.label}")


def handle_withdraw(cli: Cli) -> Result:
    a = cli.args
    row = participants.withdraw(cli.app, cli.actor, a.id, a.reason,
                                 parse_date(a.date, "--date"))
    return Result(row.as_dict(), f"Withdrew {row.label}: {row.withdrawal_reason}")
