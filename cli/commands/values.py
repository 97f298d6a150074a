"""`values set ID VISIT NAME=VALUE ... [--reason R]`, `values show ID [--visit V]`,
`values missing`, and double data entry's `values pending` and `values resolve`."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import data_entry, double_entry, missing_values
from services.errors import Refused


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("values", help="enter, correct and show a participant's values")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    put = actions.add_parser("set", help="hand entry of scan values, scale scores or item "
                                         "answers for a done visit")
    put.add_argument("id", help="participant ID in any form: 7, P7, P007")
    put.add_argument("visit", help="visit id from the protocol, e.g. baseline")
    put.add_argument("values", nargs="+", metavar="NAME=VALUE",
                     help="a scan measure, scale or questionnaire item and its value")
    put.add_argument("--reason", help="why a stored value changes (needed to change one)")
    put.set_defaults(handler=handle_set)
    show = actions.add_parser("show", help="each stored value and how it arrived")
    show.add_argument("id")
    show.add_argument("--visit", help="only this visit")
    show.set_defaults(handler=handle_show)
    gaps = actions.add_parser("missing", help="done visits still missing values, per measure")
    gaps.add_argument("--participant")
    gaps.add_argument("--measure", help="only this measure or scale")
    gaps.set_defaults(handler=handle_missing)
    waiting = actions.add_parser("pending", help="double data entry: first entries awaiting "
                                                 "a second person, and mismatches")
    waiting.add_argument("--participant")
    waiting.set_defaults(handler=handle_pending)
    decide = actions.add_parser("resolve", help="decide a double data entry mismatch (or a "
                                                "first entry) with a reason")
    decide.add_argument("id", help="participant ID")
    decide.add_argument("visit")
    decide.add_argument("values", nargs="+", metavar="NAME=VALUE", help="the value decided")
    decide.add_argument("--reason", help="why this value (required)")
    decide.set_defaults(handler=handle_resolve)


def _pairs(texts: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise Refused(f"{text!r}: write each value as NAME=VALUE")
        if name.strip() in out:
            raise Refused(f"{name.strip()} is given twice")
        out[name.strip()] = value.strip()
    return out


DOUBLE_ENTRY = {
    double_entry.WAITING: "kept as a first entry: a second person enters it again "
                          "(double data entry)",
    double_entry.AGREED: "agrees with the first entry: stored",
    double_entry.MISMATCH: "differs from the first entry: listed for a resolver "
                           "(values pending)",
    double_entry.RESOLVED: "resolved: stored",
}


def handle_set(cli: Cli) -> Result:
    a = cli.args
    result = data_entry.set_values(cli.app, cli.actor, a.id, a.visit, _pairs(a.values),
                                   a.reason)
    return _entered(result)


def handle_resolve(cli: Cli) -> Result:
    a = cli.args
    return _entered(data_entry.resolve(cli.app, cli.actor, a.id, a.visit, _pairs(a.values),
                                       a.reason))


def _entered(result: data_entry.EntryResult) -> Result:
    saved = result.entry_id is not None
    lines = [f"{result.participant} {result.visit}: "
             + ("saved" if saved else "nothing stored" if result.double_entry
                else "nothing to change")]
    for v in result.values:
        old = "" if v["old"] is None or v["state"] != "changed" else f" (was {v['old']:g})"
        lines.append(f"  {v['name']:<26} {v['value']:>8g}  {v['state']}{old}")
    if result.sdv_cleared:
        lines.append("  the visit's source-data verification was cleared: a verified value "
                     "changed; it needs verifying again")
    lines += [f"  {d['name']:<26} {DOUBLE_ENTRY[d['status']]}" for d in result.double_entry]
    return Result(result.as_dict(), "\n".join(lines), warnings=result.warnings)


def handle_show(cli: Cli) -> Result:
    rows = data_entry.show(cli.app, cli.actor, cli.args.id, cli.args.visit)
    lines = []
    for r in rows:
        how = (f"entry by {r['user']} at {r['at'][:19]}" if r["source"] == "entry" else
               f"import {r['import_id']} ({r['file']}) by {r['user']} at {(r['at'] or '')[:19]}")
        value = "" if r["value"] is None else f"{r['value']:g}"
        lines.append(f"{r['participant']:<6} {r['visit']:<10} {r['name']:<26} {value:>8}  {how}")
    return Result({"values": rows}, "\n".join(lines) or "no values stored")


def handle_missing(cli: Cli) -> Result:
    a = cli.args
    rows = missing_values.missing(cli.app, cli.actor, a.participant, a.measure)
    lines = [f"{r['participant']:<6} {r['visit']:<10} {r['measure']:<26}"
             + (f" items not answered: {', '.join(r['unanswered_items'])}"
                if r["unanswered_items"] else "") for r in rows]
    return Result({"missing": rows}, "\n".join(lines) or "no values missing at done visits")


def handle_pending(cli: Cli) -> Result:
    rows = double_entry.pending(cli.app, cli.actor, cli.args.participant)
    lines = []
    for r in rows:
        state = (f"first entry by {r.first_by}, waiting for a second person"
                 if r.status == double_entry.WAITING else
                 f"mismatch: {r.first_by} typed {r.first_value}, {r.second_by} typed "
                 f"{r.second_value}")
        lines.append(f"{r.participant:<6} {r.visit:<10} {r.name:<26} {state}")
    return Result({"pending": [r.as_dict() for r in rows]},
                  "\n".join(lines) or "no double data entry open")
