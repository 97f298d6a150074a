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

from sqlalchemy.exc import DBAPIError

import cli.commands
from cli.hints import worded
from services.accounts import login
from services.context import Actor, App, database_refusal
from services.errors import Busy, Collision, PasswordNeeded, Refused


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
        """The database; a PostgreSQL password the keyring and ~/.pgpass lack is asked for
        on the terminal, never taken from the command line. Only the commands that make
        a study (init, demo) may create a database."""
        try:
            return App(self.args.db, create=self.creates_study)
        except PasswordNeeded:
            if not sys.stdin.isatty():
                raise
            return App(self.args.db, getpass.getpass("Database password: "),
                       create=self.creates_study)

    @property
    def creates_study(self) -> bool:
        return bool(getattr(self.args, "creates_study", False))

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

    def signature(self, meaning: str) -> str:
        """The password re-entered to sign `meaning`: its own variable, never the login's,
        so a script that signs in does not also sign locks and unblindings unasked."""
        return self.secret("TRIALDESK_SIGNATURE_PASSWORD",
                           f"{self.actor.name}, re-enter your password to sign \"{meaning}\"")

    def new_password(self, whose: str) -> str:
        """A new password: TRIALDESK_NEW_PASSWORD, else asked twice on the terminal."""
        if os.environ.get("TRIALDESK_NEW_PASSWORD") or not sys.stdin.isatty():
            return self.secret("TRIALDESK_NEW_PASSWORD", f"New password for {whose}")
        first = getpass.getpass(f"New password for {whose}: ")
        if getpass.getpass("Repeat it: ") != first:
            raise Refused("the two passwords differ; nothing was changed")
        return first

    def passphrase(self) -> str:
        return self.secret("TRIALDESK_PASSPHRASE", "Randomizer's sealing passphrase")

    def emergency_passphrase(self) -> str:
        return self.secret("TRIALDESK_EMERGENCY_PASSPHRASE", "Investigator's emergency passphrase")


Handler = Callable[[Cli], Result]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="trialdesk", description="TrialDesk: run a randomized, "
                     "double-blind trial. With no command, opens the window.")
    parser.add_argument("--db", help="SQLAlchemy database URL or SQLite file (TRIALDESK_DB)")
    parser.add_argument("--user", help="acting user (TRIALDESK_USER)")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON document")
    parser.add_argument("--version", action="store_true",
                        help="print the app, database schema and library versions")
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
    if args.version:
        from cli.about import version_text, versions

        _emit(args.json, Result(data=versions(), text=version_text()))
        return 0
    if args.command is None:
        from gui.app import run_gui

        return run_gui(args.db, args.user)
    handler: Handler = args.handler
    cli = Cli(args)
    try:
        result = _handle(handler, cli)
    except Refused as exc:
        _discard_created(cli)
        _fail(args.json, worded(exc), exc.details)
        return 1
    except KeyboardInterrupt:
        _discard_created(cli)
        _fail(args.json, "interrupted; nothing was written")
        return 1
    finally:
        if "app" in cli.__dict__:
            cli.app.close()
    _emit(args.json, result)
    return result.exit_code


def _handle(handler: Handler, cli: Cli) -> Result:
    """Run the command; a save that lost a race (busy database, a record saved by someone
    else at the same moment) wrote nothing, so it is tried once more, and then answers
    with what is there now."""
    try:
        return _once(handler, cli)
    except (Busy, Collision):
        if cli.creates_study:
            raise
        return _once(handler, cli)


def _once(handler: Handler, cli: Cli) -> Result:
    """The command's result; a database error is a refusal, never a traceback."""
    try:
        return handler(cli)
    except DBAPIError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise database_refusal(exc) or Refused(
            f"the database refused the operation: {detail}; nothing was written") from exc


def _discard_created(cli: Cli) -> None:
    """A failed init or demo removes the database it created, so none is left half made."""
    if cli.creates_study and "app" in cli.__dict__:
        cli.app.discard()
