"""`demo [--stage setup|running|locked|unblinded]`."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import demo


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="create the reference study with synthetic data")
    p.add_argument("--stage", choices=demo.STAGES, default="running")
    p.set_defaults(handler=handle, creates_study=True)


def handle(cli: Cli) -> Result:
    built = demo.build(cli.app, cli.args.stage)
    data = built.summary()
    lines = [f"Demo study (synthetic data) at stage {built.stage} in {data['db']}",
             "Accounts (user / role / password):"]
    lines += [f"  {a['user']:<8} {a['role']:<13} {a['password']}" for a in built.accounts]
    reopen = f" --db {cli.app.url_without_password}" if cli.args.db else ""
    lines += [f"Sealing passphrase (randomizer): {demo.PASSPHRASE}",
              f"Dispensing passphrase (pharmacist): {demo.DISPENSING_PASSPHRASE}",
              f"Emergency passphrase (investigator): {demo.EMERGENCY_PASSPHRASE}",
              f"Open it with: python main.py{reopen}"]
    return Result(data, "\n".join(lines))
