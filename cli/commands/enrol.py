"""`enrol ID [--stratum S] [--reason R] [--date D]`."""

from __future__ import annotations

import argparse

from cli.commands.participants import parse_date
from cli.runner import Cli, Result
from services import enrolment


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("enrol", help="give a participant the next slot of the stratum and "
                       "its dose codes; schedules the dosing visits")
    p.add_argument("id", help="participant ID in any form: 7, P7, P007, sub-007")
    p.add_argument("--stratum", help="stratum entered by hand (needs --reason)")
    p.add_argument("--reason", help="why the stratum is entered by hand")
    p.add_argument("--date", help="enrolment date (YYYY-MM-DD; default today)")
    p.set_defaults(handler=handle)


def handle(cli: Cli) -> Result:
    a = cli.args
    result = enrolment.enrol(cli.app, cli.actor, a.id, stratum=a.stratum, reason=a.reason,
                             on=parse_date(a.date, "--date"))
    codes = ", ".join(f"{visit} {code}" for visit, code in result.codes.items())
    return Result(result.as_dict(),
                  f"Enrolled {result.label} on {result.enrolled_on} in {result.stratum} "
                  f"(slot {result.position}; {result.stratum_reason}). Kit codes: {codes}")
