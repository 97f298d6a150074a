"""`password`: change your own (old from TRIALDESK_PASSWORD, new from TRIALDESK_NEW_PASSWORD)."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import accounts


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("password", help="change your own password (new one: "
                   "TRIALDESK_NEW_PASSWORD or a prompt)").set_defaults(handler=handle)


def handle(cli: Cli) -> Result:
    actor = cli.actor
    old = cli.secret("TRIALDESK_PASSWORD", f"Current password for {actor.name}")
    accounts.change_password(cli.app, actor, old, cli.new_password(actor.name))
    return Result({"user": actor.name, "password_changed": True},
                  f"Password of {actor.name} changed")
