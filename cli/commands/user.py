"""`user list|add|disable|enable|role|reset-password` (admin)."""

from __future__ import annotations

import argparse

from cli.runner import Cli, Result
from services import accounts
from trialcore.roles import ROLES


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("user", help="accounts (admin)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="list accounts").set_defaults(handler=handle_list)
    add = actions.add_parser("add", help="add an account (its password: TRIALDESK_NEW_PASSWORD "
                             "or a prompt)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.set_defaults(handler=handle_add)
    for action, helptext in (("disable", "nobody can sign in as this account"),
                             ("enable", "allow the account again; ends a lockout")):
        a = actions.add_parser(action, help=helptext)
        a.add_argument("name")
        a.add_argument("--reason", required=True)
        a.set_defaults(handler=handle_active, active=action == "enable")
    role = actions.add_parser("role", help="give the account another role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    role.add_argument("--reason", required=True)
    role.set_defaults(handler=handle_role)
    reset = actions.add_parser("reset-password", help="set a new password (TRIALDESK_NEW_PASSWORD "
                               "or a prompt); ends a lockout")
    reset.add_argument("name")
    reset.add_argument("--reason", required=True)
    reset.set_defaults(handler=handle_reset)


def handle_add(cli: Cli) -> Result:
    actor = cli.actor
    password = cli.new_password(f"the new user {cli.args.name}")
    accounts.add_user(cli.app, actor, cli.args.name, cli.args.role, password)
    return Result({"user": cli.args.name, "role": cli.args.role},
                  f"Added {cli.args.name} ({cli.args.role})")


def handle_list(cli: Cli) -> Result:
    users = accounts.list_users(cli.app, cli.actor)

    def state(u: dict[str, object]) -> str:
        if not u["active"]:
            return "disabled"
        return f"locked until {u['locked_until']}" if u["locked_until"] else "enabled"

    return Result({"users": users},
                  "\n".join(f"{u['user']:<16} {u['role']:<14} {state(u)}" for u in users))


def handle_active(cli: Cli) -> Result:
    a = cli.args
    accounts.set_active(cli.app, cli.actor, a.name, a.active, a.reason)
    word = "enabled" if a.active else "disabled"
    return Result({"user": a.name, "active": a.active}, f"{a.name} is {word}")


def handle_role(cli: Cli) -> Result:
    a = cli.args
    accounts.set_role(cli.app, cli.actor, a.name, a.role, a.reason)
    return Result({"user": a.name, "role": a.role}, f"{a.name} is now {a.role}")


def handle_reset(cli: Cli) -> Result:
    actor = cli.actor
    password = cli.new_password(cli.args.name)
    accounts.reset_password(cli.app, actor, cli.args.name, password, cli.args.reason)
    return Result({"user": cli.args.name, "password_reset": True},
                  f"The password of {cli.args.name} was reset")
