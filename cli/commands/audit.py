"""`audit verify` and `audit export FILE`."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import audit_trail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the hash-chained audit trail")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("verify", help="check the chain and the audited tables") \
        .set_defaults(handler=handle_verify)
    export = actions.add_parser("export", help="write the trail as CSV (secrets as digests)")
    export.add_argument("file")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(handler=handle_export)


def handle_verify(cli: Cli) -> Result:
    r = audit_trail.verify(cli.app, cli.actor)
    data = {"ok": r.ok, "entries": r.entries, "head": r.head, "problems": r.problems}
    if r.ok:
        return Result(data, f"audit trail verified: {r.entries} entries, head {r.head[:16]}…")
    return Result(data, "audit trail FAILED verification:\n  " + "\n  ".join(r.problems),
                  exit_code=1)


def handle_export(cli: Cli) -> Result:
    n = audit_trail.export(cli.app, cli.actor, cli.args.file, force=cli.args.force)
    return Result({"file": cli.args.file, "entries": n}, f"wrote {n} entries to {cli.args.file}")
