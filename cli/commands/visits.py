"""`visits list [--participant ID] [--due DAYS]`."""

from __future__ import annotations

import argparse

from cli.arguments import days
from cli.runner import Cli, Result
from services import visits
from services.visits import VisitRow


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("visits", help="the visit schedule")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = actions.add_parser("list", help="targets, windows, bookings and status")
    ls.add_argument("--participant", help="one participant, in any form: 7, P7, P007")
    ls.add_argument("--due", type=days, metavar="DAYS",
                    help="only what needs attention: overdue, open, or due within DAYS days")
    ls.set_defaults(handler=handle_list)


def line(r: VisitRow) -> str:
    """One visit in the terse form coordinators scan: when, window, status, what next."""
    state = r.flag if r.due in (None, "overdue") else f"{r.flag} ({r.due})"
    notes = [f"kit {r.code}" if r.code else "",
             f"deviation {r.deviation_days:+d} d: {r.deviation_reason}" if r.deviation_days
             else "",
             f"{r.status}: {r.reason}" if r.status in ("missed", "cancelled") else "",
             f"→ {r.next_action}" if r.next_action else ""]
    return (f"{r.participant:<6} {r.visit:<9} {r.when or '-'!s:<10}  window "
            f"{r.window or '-':<22} {state:<20} " + "  ".join(n for n in notes if n)).rstrip()


def handle_list(cli: Cli) -> Result:
    a = cli.args
    rows = visits.list_visits(cli.app, cli.actor, participant=a.participant, due_days=a.due)
    empty = "nothing due" if a.due is not None else "no visits"
    return Result({"visits": [r.as_dict() for r in rows]},
                  "\n".join(line(r) for r in rows) or empty)
