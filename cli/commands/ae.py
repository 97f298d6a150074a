"""`ae add|update|list|table`: adverse events (coordinator, investigator write)."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import adverse_events


def _fields(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument("--term", required=required, help="the event as reported (verbatim)")
    p.add_argument("--onset", required=required, help="YYYY-MM-DD")
    p.add_argument("--severity", required=required, choices=adverse_events.SEVERITIES)
    p.add_argument("--serious", required=required, choices=("yes", "no"))
    p.add_argument("--related", required=required, choices=adverse_events.RELATEDNESS)
    p.add_argument("--visit", help="the visit it is linked to")
    p.add_argument("--resolved", help="YYYY-MM-DD")
    p.add_argument("--outcome")
    p.add_argument("--action", dest="ae_action", help="action taken")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ae", help="adverse events")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="report an adverse event")
    add.add_argument("id", help="participant ID")
    _fields(add, required=True)
    add.set_defaults(handler=handle_add)
    update = actions.add_parser("update", help="change a reported event (needs --reason)")
    update.add_argument("number", type=int, help="adverse event number")
    _fields(update, required=False)
    update.add_argument("--reason")
    update.set_defaults(handler=handle_update)
    listed = actions.add_parser("list", help="adverse events")
    listed.add_argument("--participant")
    listed.set_defaults(handler=handle_list)
    actions.add_parser("table", help="participants with an AE by condition (after "
                                     "unblinding)").set_defaults(handler=handle_table)


def _given(a: argparse.Namespace) -> dict[str, object]:
    names = ("term", "onset", "severity", "serious", "related", "visit", "resolved", "outcome")
    return {**{n: getattr(a, n) for n in names}, "action": a.ae_action}


def line(r: adverse_events.AeRow) -> str:
    serious = " SERIOUS" if r.serious else ""
    resolved = f", resolved {r.resolved}" if r.resolved else ""
    return (f"AE {r.id:>3} {r.participant} {r.term} (onset {r.onset}, {r.severity}{serious}, "
            f"{r.related}{resolved})")


def _one(r: adverse_events.AeRow, verb: str) -> Result:
    return Result(r.as_dict(), f"{verb} {line(r)}",
                  warnings=[r.emergency] if r.emergency else [])


def handle_add(cli: Cli) -> Result:
    return _one(adverse_events.add(cli.app, cli.actor, cli.args.id, **_given(cli.args)),
                "Reported")


def handle_update(cli: Cli) -> Result:
    a = cli.args
    given = {k: v for k, v in _given(a).items() if v is not None}
    return _one(adverse_events.update(cli.app, cli.actor, a.number, a.reason, **given),
                "Updated")


def handle_list(cli: Cli) -> Result:
    rows = adverse_events.list_events(cli.app, cli.actor, cli.args.participant)
    return Result({"adverse_events": [r.as_dict() for r in rows]},
                  "\n".join(line(r) for r in rows) or "no adverse events")


def handle_table(cli: Cli) -> Result:
    out = adverse_events.table(cli.app, cli.actor)
    text = "\n".join(f"{r['condition']:<28} {r['by']:<9} {r['value']:<10} {r['participants']}"
                     for r in out["rows"])
    return Result(out, text or "no adverse events")
