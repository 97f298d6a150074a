"""`allocation generate|report|handover|dispensing FILE`.

Whose secret is whose: TRIALDESK_PASSPHRASE is the randomizer's sealing passphrase
for generate, report and handover, and the pharmacist's own dispensing passphrase
for dispensing; TRIALDESK_DISPENSING_PASSPHRASE is the pharmacist's new one when
the randomizer seals the pharmacist's copy (generate, handover)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from cli.runner import Cli, Result
from services import allocation
from services.errors import Refused


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("allocation", help="the sealed allocation list and dose codes")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    gen = actions.add_parser("generate", help="make the sealed list and the dose codes "
                             "(randomizer; sealing, emergency and, if given, the "
                             "pharmacist's dispensing passphrase)")
    gen.add_argument("--confirm-unbalanced", action="store_true",
                     help="generate although the protocol's numbers cannot balance")
    gen.add_argument("--replace", action="store_true",
                     help="replace an existing list nobody is enrolled in (needs --reason)")
    gen.add_argument("--reason")
    gen.set_defaults(handler=handle_generate)
    rep = actions.add_parser("report", help="balance per stratum (randomizer; sealing "
                             "passphrase; audited)")
    rep.add_argument("--reason", help="why the key is opened (recorded in the audit trail)")
    rep.set_defaults(handler=handle_report)
    hand = actions.add_parser("handover", help="seal the pharmacist's copy of the key under "
                              "the pharmacist's own passphrase (randomizer; sealing passphrase)")
    hand.add_argument("--reason", help="why (required)")
    hand.set_defaults(handler=handle_handover)
    disp = actions.add_parser("dispensing", help="code -> condition list for the pharmacist "
                              "(.csv or printable .html; the pharmacist's own passphrase)")
    disp.add_argument("file")
    disp.add_argument("--reason", help="why it is printed (required; audited)")
    disp.add_argument("--force", action="store_true", help="replace FILE if it exists")
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
    dispensing = _optional_dispensing(cli)
    made = allocation.generate(app, actor, passphrase, emergency,
                               dispensing_passphrase=dispensing,
                               confirm_unbalanced=a.confirm_unbalanced, replace=a.replace,
                               reason=a.reason)
    warnings = made.pop("warnings")
    strata = ", ".join(f"{s['stratum']} {s['slots']} slots" for s in made["strata"])
    copy = ("the pharmacist's dispensing copy is sealed" if made["dispensing_copy"] else
            "no dispensing copy yet: hand it to the pharmacist with `allocation handover`")
    text = (f"Allocation list generated ({made['design']}; {strata}); {made['dose_codes']} "
            f"dose codes, {made['envelopes']} emergency envelopes; {copy}. The study is "
            f"{made['stage']}. No passphrase is stored: keep them safe.")
    return Result(made, text, warnings=warnings)


def _optional_dispensing(cli: Cli) -> str | None:
    """The pharmacist's new passphrase, typed by the pharmacist; may come later (handover)."""
    variable = "TRIALDESK_DISPENSING_PASSPHRASE"
    if os.environ.get(variable):
        return os.environ[variable]
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass("Pharmacist: new dispensing passphrase (empty: hand over later): ")
    if first and getpass.getpass("Pharmacist: new dispensing passphrase (again): ") != first:
        raise Refused("the two entries of the dispensing passphrase differ; nothing was made")
    return first or None


def handle_handover(cli: Cli) -> Result:
    app, actor = cli.app, cli.actor
    passphrase = cli.passphrase()
    dispensing = _new_secret(cli, "TRIALDESK_DISPENSING_PASSPHRASE",
                             "Pharmacist: new dispensing passphrase")
    done = allocation.handover(app, actor, passphrase, dispensing, cli.args.reason)
    return Result(done, f"The pharmacist's dispensing copy of the key is sealed"
                  f"{' (the earlier copy is replaced)' if done['replaced'] else ''}. Only the "
                  "pharmacist's passphrase opens it; it is not stored.")


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
    data = allocation.report(app, actor, cli.passphrase(), cli.args.reason)
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
    a = cli.args
    passphrase = cli.secret("TRIALDESK_PASSPHRASE", "Pharmacist's dispensing passphrase")
    data = allocation.dispensing(app, actor, passphrase, a.file, a.reason, force=a.force)
    return Result(data, f"Wrote the dispensing list ({data['kits']} kits) to {data['file']}. "
                        "It is unblinded: for the pharmacist only.")
