"""`casebook ID FILE.html [--force]`: one participant's casebook as a printable HTML file."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import casebook


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("casebook", help="one participant's casebook (visits, values and their "
                                        "sources, queries, adverse events) as HTML")
    p.add_argument("id", help="participant ID")
    p.add_argument("file", help="the .html file to write")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(handler=handle)


def handle(cli: Cli) -> Result:
    a = cli.args
    path = casebook.write_casebook(cli.app, cli.actor, a.id, a.file, force=a.force)
    return Result({"file": str(path)}, f"Wrote the casebook of {a.id} to {path}")
