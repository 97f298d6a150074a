"""`export FILE [--kind long|wide|bids]`."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import exports


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="the study data (.csv, .tsv or .xlsx; a folder for "
                       "bids): dose codes before unblinding, conditions after")
    p.add_argument("file", help="file to write; for --kind bids the BIDS dataset folder")
    p.add_argument("--kind", choices=exports.KINDS, default="long",
                   help="long: a row per participant, visit and measure; wide: a row per "
                   "participant; bids: participants.tsv and sessions.tsv with sidecars")
    p.add_argument("--force", action="store_true",
                   help="replace the files if they exist (the table and its _dictionary)")
    p.set_defaults(handler=handle)


def handle(cli: Cli) -> Result:
    result = exports.export(cli.app, cli.actor, cli.args.file, cli.args.kind,
                            force=cli.args.force)
    blinding = "blinded: dose codes only" if not result.unblinded else "with conditions"
    lines = [f"Exported {result.rows} rows ({result.kind}, {blinding}):"]
    lines += [f"  {f}" for f in result.files]
    return Result(result.as_dict(), "\n".join(lines))
