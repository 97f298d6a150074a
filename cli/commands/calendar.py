"""`calendar FILE.ics [--days N]`."""

from __future__ import annotations

import argparse

from cli.arguments import days
from cli.runner import Cli, Result
from services.calendar_export import export_calendar


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calendar", help="booked and upcoming visits as an iCalendar file")
    p.add_argument("file", help="the .ics file to write")
    p.add_argument("--days", type=days, help="only the next N days (default: all upcoming)")
    p.add_argument("--force", action="store_true", help="replace the file if it exists")
    p.set_defaults(handler=handle)


def handle(cli: Cli) -> Result:
    a = cli.args
    n = export_calendar(cli.app, cli.actor, a.file, days=a.days, force=a.force)
    return Result({"file": a.file, "events": n}, f"wrote {n} visits to {a.file}")
