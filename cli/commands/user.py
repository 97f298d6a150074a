"""`user add NAME --role ROLE`."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import accounts
from trialcore.roles import ROLES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="accounts")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add an account (its password: TRIALDESK_NEW_PASSWORD "
                             "or a prompt)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(handler=handle_add)
    actions.add_parser("list", help="list accounts").set_defaults(handler=handle_list)


def handle_add(cli: Cli) -> Result:
    actor = cli.actor
    password = cli.secret("TRIALDESK_NEW_PASSWORD", f"Password for the new user {cli.args.name}")
    accounts.add_user(cli.app, actor, cli.args.name, cli.args.role, password)
    return Result({"user": cli.args.name, "role": cli.args.role},
                  f"Added {cli.args.name} ({cli.args.role})")


def handle_list(cli: Cli) -> Result:
    users = accounts.list_users(cli.app, cli.actor)
    return Result({"users": users}, "\n".join(f"{u['user']:<16} {u['role']}" for u in users))
