"""`allocation generate|report|dispensing FILE`."""

from __future__ import annotations

import argparse
import os
from typing import Any

from cli.runner import Cli, Result
from services import allocation
from services.errors import Refused


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("allocation", help="the sealed allocation list and dose codes")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    gen = actions.add_parser("generate", help="make the sealed list and the dose codes "
                             "(statistician; sealing and emergency passphrases)")
    gen.add_argument("--confirm-unbalanced", action="store_true",
                     help="generate although the protocol's numbers cannot balance")
    gen.add_argument("--replace", action="store_true",
                     help="replace an existing list nobody is enrolled in (needs --reason)")
    gen.add_argument("--reason")
    gen.set_defaults(handler=handle_generate)
    actions.add_parser("report", help="balance per stratum (passphrase)").set_defaults(
        handler=handle_report)
    disp = actions.add_parser("dispensing", help="code -> condition list for the pharmacist "
                              "(.csv or printable .html; passphrase)")
    disp.add_argument("file")
    disp.set_defaults(handler=handle_dispensing)


def _new_secret(cli: Cli, variable: str, prompt: str) -> str:
    """A passphrase being chosen: typed twice at a prompt, once in the environment."""
    value = cli.secret(variable, prompt)
    if not os.environ.get(variable) and cli.secret(variable, f"{prompt} (again)") != value:
        raise Refused(f"the two entries of the {prompt.lower()} differ; nothing was made")
    return value


def handle_generate(cli: Cli) -> Result:
    a = cli.args
    app, actor = cli.app, cli.actor
    try:
        allocation.preflight(app, actor, confirm_unbalanced=a.confirm_unbalanced,
                             replace=a.replace, reason=a.reason)
    except allocation.Unbalanced as exc:
        raise Refused(f"{exc.message}; to generate it anyway, run again with "
                      "--confirm-unbalanced",
                      exc.details) from exc
    passphrase = _new_secret(cli, "TRIALDESK_PASSPHRASE", "New sealing passphrase")
    emergency = _new_secret(cli, "TRIALDESK_EMERGENCY_PASSPHRASE", "New emergency passphrase")
    made = allocation.generate(app, actor, passphrase, emergency,
                               confirm_unbalanced=a.confirm_unbalanced, replace=a.replace,
                               reason=a.reason)
    warnings = made.pop("warnings")
    strata = ", ".join(f"{s['stratum']} {s['slots']} slots" for s in made["strata"])
    text = (f"Allocation list generated ({made['design']}; {strata}); {made['dose_codes']} "
            f"dose codes, {made['envelopes']} emergency envelopes. The study is "
            f"{made['stage']}. Neither passphrase is stored: keep them safe.")
    return Result(made, text, warnings=warnings)


def _counts(table: dict[str, dict[str, int]]) -> list[str]:
    return [f"      {key:<10} " + "  ".join(f"{c} {n}" for c, n in row.items())
            for key, row in table.items()]


def _balance_lines(title: str, b: dict[str, Any]) -> list[str]:
    verdict = "balanced" if b["period_balanced"] else "NOT balanced"
    lines = [f"    {title} ({b['sequences']} sequences): periods {verdict}"]
    lines += _counts(b["period_counts"])
    if "carryover_counts" in b:
        verdict = "balanced" if b["carryover_balanced"] else "NOT balanced"
        lines.append(f"    {title}: first-order carry-over {verdict} (previous -> next)")
        lines += _counts(b["carryover_counts"])
    return lines


def handle_report(cli: Cli) -> Result:
    app, actor = cli.app, cli.actor
    data = allocation.report(app, actor, cli.passphrase())
    lines = [f"Allocation list ({data['design']}, algorithm {data['algorithm_version']}) by "
             f"{data['generated_by']} at {data['generated_at']}; regenerates from its seed: "
             f"{'yes' if data['regenerates_from_seed'] else 'NO'}"]
    for st in data["strata"]:
        lines.append(f"  {st['stratum']}: {st['slots']} slots, {st['used']} used, "
                     f"{st['free']} free")
        lines += _balance_lines("all slots", st["all"])
        lines += _balance_lines("used slots", st["used_slots"])
    return Result(data, "\n".join(lines))


def handle_dispensing(cli: Cli) -> Result:
    app, actor = cli.app, cli.actor
    data = allocation.dispensing(app, actor, cli.passphrase(), cli.args.file)
    return Result(data, f"Wrote the dispensing list ({data['kits']} kits) to {data['file']}. "
                        "It is unblinded: for the pharmacist only.")
