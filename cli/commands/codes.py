"""`codes check ID VISIT CODE`: exit 0 for ok, 1 for mistyped or wrong kit."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import codes


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("codes", help="dose codes on the kits")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="is this the kit for this participant and "
                               "visit? ok, mistyped or wrong kit")
    check.add_argument("id", help="participant ID in any form")
    check.add_argument("visit", help="dosing visit id, e.g. dose1")
    check.add_argument("code", help="the code on the kit, e.g. 7KQ3-XM9A")
    check.set_defaults(handler=handle_check)


def handle_check(cli: Cli) -> Result:
    a = cli.args
    answer = codes.check(cli.app, cli.actor, a.id, a.visit, a.code)
    return Result(answer, answer["message"], exit_code=0 if answer["result"] == "ok" else 1)
