"""`unblind --emergency ID --reason R` now; `unblind --reason R` (whole study) after lock."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import unblinding


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("unblind", help="one participant's emergency envelope (investigator), "
                       "or the whole study after lock (statistician)")
    p.add_argument("--emergency", metavar="ID", help="open this participant's envelope")
    p.add_argument("--reason", help="why (required)")
    p.set_defaults(handler=handle)


def handle(cli: Cli) -> Result:
    a = cli.args
    if a.emergency is None:
        return handle_study(cli)
    app, actor = cli.app, cli.actor
    password = cli.signature(f"I open the emergency envelope of {a.emergency}")
    opened = unblinding.emergency(app, actor, a.emergency, a.reason,
                                  cli.emergency_passphrase(), password)
    lines = [f"Emergency envelope of {opened['participant']} opened by {opened['opened_by']} "
             f"({opened['reason']}); recorded in the audit trail:"]
    lines += [f"  {v['visit']:<8} {v['code'] or '-':<10} {v['label']} ({v['dose_mg']:g} mg)"
              for v in opened["visits"]]
    return Result(opened, "\n".join(lines))


def handle_study(cli: Cli) -> Result:
    """The whole study: refused before any secret is asked for if it is not locked."""
    unblinding.require_locked(cli.app)
    app, actor = cli.app, cli.actor
    password = cli.signature(unblinding.STUDY_MEANING)
    done = unblinding.unblind_study(app, actor, cli.args.reason, cli.passphrase(), password)
    return Result(done, f"Study unblinded by {done['unblinded_by']} at {done['at']} "
                  f"({done['reason']}): conditions of {done['visits']} dosing visits of "
                  f"{done['participants']} participants revealed. Plots, exports and the "
                  "analysis now show conditions.")
