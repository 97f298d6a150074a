"""`import scans FILE` / `import questionnaire FILE` / `import list` / `import values`.

Both imports print the CLI.md import JSON; any error means exit 1, committed
false and nothing written. --dry-run only checks.
"""

from __future__ import annotations

import argparse
import sys

from cli.runner import Cli, Result
from services import imports
from services.errors import Refused

# How the command line words the choice a problem points to (importers.problems.OPTIONS).
FLAGS = {
    "drop_column": "--drop-column {value}", "participant_column": "--participant-column C",
    "visit_column": "--visit-column C", "visit": "--visit V or --visit-column C",
    "update": "--update --reason TEXT", "keep_test": "--include-test-responses",
    "decimal": "--decimal {value}", "only_registered": "--only-registered",
    "bids_filter": "--task T, --run N or --bids-filter KEY=VALUE",
    "format": "--format FORMAT",
}


def flag(problem: imports.Problem) -> str:
    """The flag that resolves `problem`, as a command-line user types it ('' if none)."""
    if problem.option is None:
        return ""
    return FLAGS.get(problem.option, "").format(value=problem.value or "")


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for text in values or []:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise Refused(f"{what} {text!r}: write it as NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="CSV, TSV or XLSX file")
    p.add_argument("--visit", help="the visit every row belongs to (files without visits)")
    p.add_argument("--participant-column", help="the column that holds the participant")
    p.add_argument("--visit-column", help="the column that holds the visit")
    p.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    p.add_argument("--update", action="store_true",
                   help="allow changing stored values (needs --reason)")
    p.add_argument("--reason", help="why stored values change (with --update)")
    p.add_argument("--drop-column", action="append", default=[], metavar="COLUMN",
                   help="leave this column out (e.g. one that could reveal treatment)")
    p.add_argument("--map", action="append", metavar="COLUMN=NAME",
                   help="the column holds this measure or item (empty NAME: ignore it)")
    p.add_argument("--map-visit", action="append", metavar="LABEL=VISIT",
                   help="the file's visit, session or event label means this visit")
    p.add_argument("--profile", help="use a saved column mapping")
    p.add_argument("--save-profile", metavar="NAME", help="save this import's mapping")
    p.add_argument("--sheet", help="the workbook sheet to read (default: the first)")
    p.add_argument("--decimal", choices=(",", "."),
                   help="the decimal mark of the file's numbers (default: a comma in "
                        "semicolon-separated files, else a point)")
    p.add_argument("--only-registered", action="store_true",
                   help="skip (and list) rows of participants not in the register instead "
                        "of refusing the file")
    p.add_argument("--progress", action="store_true", help="report progress on stderr")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import scan summaries or questionnaires")
    kinds = p.add_subparsers(dest="action", required=True, metavar="KIND")
    scans = kinds.add_parser("scans", help="scan summaries (CSV, TSV, XLSX; MRIQC; BIDS names)")
    _common(scans)
    scans.add_argument("--task", help="only scans of this BIDS task (task-<label>)")
    scans.add_argument("--run", help="only scans of this BIDS run (run-<index>)")
    scans.add_argument("--bids-filter", action="append", metavar="KEY=VALUE",
                       help="only scans whose BIDS name has this entity (acq=hi, ses=01...)")
    scans.set_defaults(handler=handle_import, kind="scans", format="auto", value_label=None,
                       include_test_responses=False)
    q = kinds.add_parser("questionnaire", help="REDCap, Qualtrics, long or wide tables")
    _common(q)
    q.add_argument("--format", choices=imports.FORMATS_CHOICES, default="auto")
    q.add_argument("--value-label", action="append", metavar="TEXT=NUMBER",
                   help="an answer exported as text means this number")
    q.add_argument("--include-test-responses", action="store_true",
                   help="import Qualtrics preview, test and spam responses too")
    q.set_defaults(handler=handle_import, kind="questionnaire", task=None, run=None,
                   bids_filter=None)
    kinds.add_parser("list", help="the import records").set_defaults(handler=handle_list)
    values = kinds.add_parser("values", help="each stored value or answer and the import "
                                             "that wrote it")
    values.add_argument("--participant", help="only this participant (e.g. P007 or 7)")
    values.set_defaults(handler=handle_values)


def _options(a: argparse.Namespace) -> imports.ImportOptions:
    labels = {}
    for text, number in _pairs(a.value_label, "--value-label").items():
        try:
            labels[text] = float(number)
        except ValueError as exc:
            raise Refused(f"--value-label {text}={number}: {number!r} is not a number") from exc
    bids = _pairs(a.bids_filter, "--bids-filter")
    for entity in ("task", "run"):
        if getattr(a, entity) is not None:
            bids[entity] = getattr(a, entity)
    return imports.ImportOptions(
        kind=a.kind, path=a.file, format=a.format, visit=a.visit,
        participant_column=a.participant_column, visit_column=a.visit_column,
        drop_columns=tuple(a.drop_column), columns=_pairs(a.map, "--map"),
        visits=_pairs(a.map_visit, "--map-visit"), value_labels=labels, profile=a.profile,
        save_profile=a.save_profile, update=a.update, sheet=a.sheet, decimal=a.decimal,
        keep_test=a.include_test_responses, only_registered=a.only_registered,
        bids_filter=bids)


def _progress(enabled: bool) -> imports.Progress:
    def show(fraction: float, text: str) -> None:
        print(f"progress {fraction:4.0%} {text}", file=sys.stderr, flush=True)

    return show if enabled else imports.no_progress


def handle_import(cli: Cli) -> Result:
    a = cli.args
    options = _options(a)
    if a.reason and not a.update:
        raise Refused("--reason is for --update: give both to change stored values")
    if a.dry_run:
        report = imports.preview(cli.app, cli.actor, a.kind, a.file, options,
                                 progress=_progress(a.progress))
    else:
        report = imports.commit(cli.app, cli.actor, options, a.reason,
                                progress=_progress(a.progress))
    lines = [report.summary()]
    lines += [f"error: {p.text(report.file_name, flag(p))}"
              for p in report.errors[:imports.MAX_LISTED]]
    if report.unknown_participants:
        lines.append("unknown participants: " + ", ".join(report.unknown_participants))
    if a.dry_run and a.save_profile:
        report.warnings.append(imports.Problem(None, None, "a dry run saves no profile"))
    return Result(report.to_json(flag), "\n".join(lines), exit_code=0 if report.ok else 1,
                  warnings=[p.text(report.file_name, flag(p))
                            for p in report.warnings[:imports.MAX_LISTED]])


def handle_list(cli: Cli) -> Result:
    rows = imports.list_imports(cli.app, cli.actor)
    text = "\n".join(f"{r['id']:>4} {r['at'][:19]} {r['by']:<8} {r['kind']:<13} {r['file']} "
                     f"({r['rows']} rows: {r['inserted']} new, {r['updated']} updated, "
                     f"{r['unchanged']} unchanged)" for r in rows)
    return Result({"imports": rows}, text or "no imports yet")


def handle_values(cli: Cli) -> Result:
    rows = imports.provenance(cli.app, cli.actor, cli.args.participant)
    text = "\n".join(f"{r['participant']:<6} {r['visit']:<12} {r['name']:<24} "
                     f"{r['missing_code'] or ('' if r['value'] is None else r['value']):>8}  "
                     f"{'entered' if r['import_id'] is None else 'import ' + str(r['import_id'])}"
                     f"{'' if r['file'] is None else ' (' + r['file'] + ')'}" for r in rows)
    return Result({"values": rows}, text or "no values stored")
