"""`sdv mark ID VISIT [--undo --reason R]` and `sdv list [--pending]` (monitor)."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import sdv


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sdv", help="source-data verification of done visits")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    mark = actions.add_parser("mark", help="mark a done visit's values as verified (monitor)")
    mark.add_argument("id", help="participant ID")
    mark.add_argument("visit")
    mark.add_argument("--undo", action="store_true", help="remove the mark (needs --reason)")
    mark.add_argument("--reason")
    mark.set_defaults(handler=handle_mark)
    listed = actions.add_parser("list", help="done visits and their verification")
    listed.add_argument("--pending", action="store_true", help="only visits not verified")
    listed.set_defaults(handler=handle_list)


def _line(r: sdv.SdvRow) -> str:
    state = f"verified by {r.by} at {(r.at or '')[:19]}" if r.verified else "not verified"
    return f"{r.participant:<6} {r.visit:<10} {state}"


def handle_mark(cli: Cli) -> Result:
    a = cli.args
    r = sdv.mark(cli.app, cli.actor, a.id, a.visit, undo=a.undo, reason=a.reason)
    return Result(r.as_dict(), ("Unmarked " if a.undo else "Marked ") + _line(r))


def handle_list(cli: Cli) -> Result:
    rows = sdv.list_marks(cli.app, cli.actor, pending=cli.args.pending)
    return Result({"visits": [r.as_dict() for r in rows]},
                  "\n".join(_line(r) for r in rows) or "no done visits to verify")
