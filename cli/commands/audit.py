"""`audit verify [--receipt FILE]`, `audit anchor FILE` and `audit export FILE`."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import anchors, audit_trail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the hash-chained audit trail")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = actions.add_parser("verify", help="check the chain and the audited tables, and "
                                "that the trail still extends every receipt given")
    verify.add_argument("--receipt", action="append", default=[], metavar="FILE",
                        help="a receipt (audit anchor), lock certificate (lock --show --json) "
                        "or export _provenance.json; repeatable")
    verify.set_defaults(handler=handle_verify)
    anchor = actions.add_parser("anchor", help="write a receipt of the trail's head (count, "
                                "hash, time, study) to keep outside the database")
    anchor.add_argument("file")
    anchor.add_argument("--force", action="store_true", help="replace an existing file")
    anchor.set_defaults(handler=handle_anchor)
    export = actions.add_parser("export", help="write the trail as CSV (secrets as digests)")
    export.add_argument("file")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(handler=handle_export)


def handle_verify(cli: Cli) -> Result:
    receipts = anchors.check(cli.app, cli.actor, cli.args.receipt)
    r = audit_trail.verify(cli.app, cli.actor)
    problems = r.problems + [c.problem for c in receipts if c.problem]
    data = {"ok": not problems, "entries": r.entries, "head": r.head, "problems": problems,
            "receipts": [c.as_dict() for c in receipts]}
    if not problems:
        extends = f"; extends {len(receipts)} receipt(s)" if receipts else ""
        return Result(data, f"audit trail verified: {r.entries} entries, head "
                      f"{r.head[:16]}…{extends}")
    return Result(data, "audit trail FAILED verification:\n  " + "\n  ".join(problems),
                  exit_code=1)


def handle_anchor(cli: Cli) -> Result:
    receipt = anchors.anchor(cli.app, cli.actor, cli.args.file, force=cli.args.force)
    return Result({"file": cli.args.file, **receipt},
                  f"wrote a receipt of the audit trail to {cli.args.file}: "
                  f"{receipt['entries']} entries, head {receipt['head'][:16]}…; keep it "
                  "outside the database (audit verify --receipt FILE checks it)")


def handle_export(cli: Cli) -> Result:
    n = audit_trail.export(cli.app, cli.actor, cli.args.file, force=cli.args.force)
    return Result({"file": cli.args.file, "entries": n}, f"wrote {n} entries to {cli.args.file}")
