"""Accounts and logging in."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import User
from services.context import Actor, App, require
from services.errors import Refused
from trialcore.passwords import check_password, hash_password, password_problem
from trialcore.roles import ROLES


def login(app: App, name: str, password: str) -> Actor:
    """The same answer for an unknown name and a wrong password: no account probing."""
    if not app.has_study():
        raise Refused(f"{app.safe_url} holds no study yet: run `init PROTOCOL.toml` or `demo`")
    with app.read() as s:
        user = s.scalar(select(User).where(User.name == name))
    if user is None or not user.active or not check_password(password, user.password_hash):
        raise Refused(f"wrong user name or password for {name!r}")
    return Actor(user.name, user.role)


def confirm_password(app: App, actor: Actor, password: str) -> None:
    """Re-entered password for a signature (lock, unblinding, emergency envelope)."""
    login(app, actor.name, password)


def _new_user(name: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise Refused(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if not name or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise Refused(f"{name!r} is not a valid user name (letters, digits, . _ -)")
    problem = password_problem(password)
    if problem:
        raise Refused(f"password for {name}: {problem}")
    return User(name=name, role=role, password_hash=hash_password(password))


def add_user(app: App, actor: Actor, name: str, role: str, password: str) -> None:
    require(actor, "users.manage")
    user = _new_user(name, role, password)
    with app.write(actor, "user.add") as s:
        if s.scalar(select(User.id).where(func.lower(User.name) == name.lower())):
            raise Refused(f"user {name!r} already exists")
        s.add(user)


def bootstrap_admin(session, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """The first account, made with the study (there is nobody yet to add it)."""
    session.add(_new_user(name, "admin", password))


def list_users(app: App, actor: Actor) -> list[dict[str, object]]:
    require(actor, "users.manage")
    with app.read() as s:
        return [{"user": u.name, "role": u.role, "active": u.active}
                for u in s.scalars(select(User).order_by(User.name))]
