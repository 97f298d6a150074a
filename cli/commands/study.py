"""`study show`."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import study


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("study", help="describe the study")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("show", help="stage, conditions, strata, visits, measures, counts") \
        .set_defaults(handler=show)


def show(cli: Cli) -> Result:
    d = study.show(cli.app, cli.actor)
    lines = [
        f"{d['title']}", f"  stage: {d['stage']}   design: {d['design']}   "
        f"participants: {d['participants']}",
        "  conditions: " + ", ".join(f"{c['code']} ({c['label']})" for c in d["conditions"]),
        "  strata: " + ", ".join(d["strata"]),
        "  visits: " + ", ".join(v["id"] + ("*" if v["dosing"] else "") for v in d["visits"])
        + "   (* dosing)",
        "  measures: " + ", ".join(f"{m['name']} [{m['unit']}]" for m in d["measures"]),
    ]
    return Result(d, "\n".join(lines))
