"""`init PROTOCOL.toml`: a new study and its first administrator."""

from __future__ import annotations

import argparse
import os

from cli.runner import Cli, Result
from services.study import init_study, read_protocol


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create a study from a protocol file")
    p.add_argument("protocol", help="protocol TOML file (see docs/protocol.md)")
    p.set_defaults(handler=handle, creates_study=True)


def handle(cli: Cli) -> Result:
    read_protocol(cli.args.protocol)  # a bad file is refused before a database is made
    admin = cli.args.user or os.environ.get("TRIALDESK_USER") or "admin"
    password = cli.secret("TRIALDESK_PASSWORD", f"New password for administrator {admin}")
    protocol = init_study(cli.app, cli.args.protocol, admin, password)
    return Result(
        {"db": cli.app.safe_url, "title": protocol.title, "stage": "setup", "admin": admin},
        f"Created {protocol.title!r} in {cli.app.safe_url}; administrator: {admin}",
    )
