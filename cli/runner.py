"""Parse, dispatch to a command module, print one result; map refusals to exit codes.

Exit 0: done. Exit 1: refused (bad input, a study rule, a wrong credential),
nothing written. Exit 2: usage. With --json, stdout carries exactly one JSON
document, errors included.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import cli.commands
from cli.hints import worded
from services.accounts import login
from services.context import Actor, App
from services.errors import Refused


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


@dataclass
class Result:
    """What a command hands back: data for --json, text for people, an exit code."""

    data: dict[str, Any]
    text: str = ""
    exit_code: int = 0
    warnings: list[str] = field(default_factory=list)


class Cli:
    """What a command may ask for: the database, the logged-in user, secrets."""

    def __init__(self, args: argparse.Namespace):
        self.args = args

    @cached_property
    def app(self) -> App:
        return App(self.args.db)

    @cached_property
    def actor(self) -> Actor:
        name = self.args.user or os.environ.get("TRIALDESK_USER")
        if not name:
            raise Refused("no user: pass --user NAME or set TRIALDESK_USER")
        return login(self.app, name, self.secret("TRIALDESK_PASSWORD", f"Password for {name}"))

    def secret(self, variable: str, prompt: str) -> str:
        """From the environment, else a prompt on the terminal; never from arguments."""
        value = os.environ.get(variable)
        if value:
            return value
        if not sys.stdin.isatty():
            raise Refused(f"{prompt}: set {variable} or run in a terminal to be asked")
        return getpass.getpass(f"{prompt}: ")

    def passphrase(self) -> str:
        return self.secret("TRIALDESK_PASSPHRASE", "Statistician's sealing passphrase")

    def emergency_passphrase(self) -> str:
        return self.secret("TRIALDESK_EMERGENCY_PASSPHRASE", "Investigator's emergency passphrase")


Handler = Callable[[Cli], Result]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trialdesk", description="TrialDesk: run a randomized, "
                     "double-blind trial. With no command, opens the window.")
    parser.add_argument("--db", help="SQLAlchemy database URL or SQLite file (TRIALDESK_DB)")
    parser.add_argument("--user", help="acting user (TRIALDESK_USER)")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON document")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(cli.commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"cli.commands.{info.name}").register(sub)
    return parser


def _emit(args_json: bool, result: Result) -> None:
    if args_json:
        data = dict(result.data)
        if result.warnings:
            data.setdefault("warnings", result.warnings)
        print(json.dumps(data, indent=2, default=str))
    elif result.text:
        print(result.text, file=sys.stdout if result.exit_code == 0 else sys.stderr)
    if not args_json:
        for w in result.warnings:
            print(f"warning: {w}", file=sys.stderr)


def _fail(as_json: bool, message: str, details: Sequence[Any] = ()) -> None:
    if as_json:
        print(json.dumps({"error": message, "details": list(details)}, indent=2, default=str))
    else:
        print(f"error: {message}", file=sys.stderr)
        for d in details:
            print(f"  {d}", file=sys.stderr)


def run(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        _fail(as_json, str(exc), [parser.format_usage().strip()])
        return 2
    if args.command is None:
        from gui.app import run_gui

        return run_gui(args.db, args.user)
    handler: Handler = args.handler
    cli = Cli(args)
    try:
        result = handler(cli)
    except Refused as exc:
        _fail(args.json, worded(exc), exc.details)
        return 1
    except KeyboardInterrupt:
        _fail(args.json, "interrupted; nothing was written")
        return 1
    finally:
        if "app" in cli.__dict__:
            cli.app.close()
    _emit(args.json, result)
    return result.exit_code
