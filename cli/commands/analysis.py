"""`analysis [--out FILE]`: the summary tables, after unblinding."""

from __future__ import annotations

import argparse
from typing import Any

from cli.runner import Cli, Result
from services import analysis


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analysis", help="condition means per stratum, paired differences "
                       "against the reference, a mixed model (after unblinding)")
    p.add_argument("--out", metavar="FILE", help="also write the tables (.csv or .xlsx)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(handler=handle)


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _measure_text(m: dict[str, Any]) -> list[str]:
    lines = [f"{m['measure']}", "  stratum  condition      mean      sd   n"]
    lines += [f"  {c['stratum']:<8} {c['condition']:<10} {_num(c['mean']):>8} "
              f"{_num(c['sd']):>7} {c['n']:>3}" for c in m["cells"]]
    lines += [f"  {c['stratum']:<8} {c['condition']} − {c['versus']}: {_num(c['diff'])} "
              f"[{_num(c['ci_low'])}, {_num(c['ci_high'])}] p={_num(c['p'], 4)}"
              for c in m["contrasts"]]
    lines += [f"  model {t['term']:<36} {_num(t['estimate']):>8} (se {_num(t['se'])}) "
              f"p={_num(t['p'], 4)}" for t in m["mixed_model"]]
    lines += [f"  model note: {n}" for n in m.get("notes", [])]
    return lines


def excluded_text(excluded: list[dict[str, Any]]) -> list[str]:
    """The scans left out by their quality check, one line each."""
    return [f"excluded: {e['participant']} period {e['period']} ({e['condition']}): "
            f"{e['measure']} {e['value']:g} above {e['limit']:g}, its scan measures left out"
            for e in excluded]


def handle(cli: Cli) -> Result:
    if cli.args.out:  # refused before the models run, not after
        analysis.check_out(cli.args.out, force=cli.args.force)
    result = analysis.run(cli.app, cli.actor)
    lines = [line for m in result["measures"] for line in _measure_text(m)]
    lines += excluded_text(result["excluded"])
    if cli.args.out:
        written = analysis.write(result, cli.args.out, force=cli.args.force)
        result = {**result, "out": str(written)}
        lines.append(f"Tables written to {written}")
    return Result(result, "\n".join(lines))
