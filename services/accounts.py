"""Accounts: signing in (with a lockout after repeated failures) and their administration.

Lockout: MAX_FAILURES failed sign-ins within FAILURE_WINDOW lock the account for
LOCKOUT; while locked even the right password is refused, so guessing costs
MAX_FAILURES tries per LOCKOUT. An admin ends a lockout early by enabling the
account or resetting its password. Every failed sign-in is an audit entry, written
in its own transaction because the sign-in itself is refused. Passwords are judged
by trialcore.passwords.weakness with the account's name as a word to avoid.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.audit import Entry, append_entries
from db.models import User, utcnow
from services.context import Actor, App, need_reason, require
from services.errors import NotFound, Refused, no_study
from trialcore.passwords import check_password, hash_password, weakness
from trialcore.roles import ROLES

MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
# The audit trail's actor for a refused sign-in: nobody has proved who they are.
SIGN_IN = Actor("(sign-in)", "")


def login(app: App, name: str, password: str) -> Actor:
    """The same answer for an unknown name, a disabled account and a wrong password."""
    if not app.has_study():
        raise no_study(app.safe_url)
    with app.read() as s:
        user = s.scalar(select(User).where(User.name == name))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        _record_failure(app, name, "account locked")
        raise Refused(f"the account {name!r} is locked after {MAX_FAILURES} failed sign-ins "
                      f"until {user.locked_until:%H:%M} UTC; an admin can unlock it sooner "
                      "(enable or reset password)")
    if user is None or not user.active or not check_password(password, user.password_hash):
        why = ("unknown user name" if user is None else
               "account disabled" if not user.active else "wrong password")
        locked = _record_failure(app, name, why)
        raise Refused(f"wrong user name or password for {name!r}" + (
            f"; after {MAX_FAILURES} failed sign-ins the account is locked for "
            f"{LOCKOUT.seconds // 60} minutes" if locked else ""))
    if user.failed_logins or user.locked_until is not None:
        with app.write(Actor(user.name, user.role), "sign_in") as s:
            _clear_failures(_user(s, name))
    return Actor(user.name, user.role)


def _record_failure(app: App, name: str, why: str) -> bool:
    """Count the failure and audit it, committed on its own; True if it locked the account."""
    with app.write(SIGN_IN, "sign_in.failed", why) as s:
        user = s.scalar(select(User).where(User.name == name).with_for_update())
        if user is None:
            append_entries(s.connection(), SIGN_IN.name, [Entry(
                action="sign_in.failed", entity="sign_in", entity_key=name[:200], reason=why)])
            return False
        now = utcnow()
        if user.failed_since is None or now - user.failed_since > FAILURE_WINDOW:
            user.failed_since, user.failed_logins = now, 0
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES and (user.locked_until is None
                                                   or user.locked_until <= now):
            user.locked_until = now + LOCKOUT
            return True
        return False


def _clear_failures(user: User) -> None:
    user.failed_logins, user.failed_since, user.locked_until = 0, None, None


def confirm_password(app: App, actor: Actor, password: str) -> None:
    """Re-entered password for a signature (lock, unblinding, emergency envelope)."""
    login(app, actor.name, password)


def _checked_password(name: str, password: str) -> str:
    problem = weakness(password, user_inputs=[name])
    if problem:
        raise Refused(f"password for {name}: {problem}")
    return hash_password(password)


def _new_user(name: str, role: str, password: str) -> User:
    if role not in ROLES:
        raise Refused(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if not name or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise Refused(f"{name!r} is not a valid user name (letters, digits, . _ -)")
    return User(name=name, role=role, password_hash=_checked_password(name, password))


def add_user(app: App, actor: Actor, name: str, role: str, password: str) -> None:
    require(actor, "users.manage")
    user = _new_user(name, role, password)
    with app.write(actor, "user.add") as s:
        if s.scalar(select(User.id).where(func.lower(User.name) == name.lower())):
            raise Refused(f"user {name!r} already exists")
        s.add(user)


def bootstrap_admin(session: Session, name: str, password: str) -> None:
    """The first account, made with the study (there is nobody yet to add it)."""
    session.add(_new_user(name, "admin", password))


def list_users(app: App, actor: Actor) -> list[dict[str, object]]:
    """Every account: its role, whether it is enabled, and a lockout still running."""
    require(actor, "users.manage")
    now = utcnow()
    with app.read() as s:
        return [{"user": u.name, "role": u.role, "active": u.active,
                 "locked_until": (u.locked_until.isoformat() + "Z"
                                  if u.locked_until and u.locked_until > now else None)}
                for u in s.scalars(select(User).order_by(User.name))]


# -- administration -------------------------------------------------------------------

def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name).with_for_update())
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def _keep_an_admin(session: Session, user: User, what: str) -> None:
    """Refuse to leave the study without an enabled admin: nobody could manage accounts."""
    others = session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id)) or 0
    if user.role == "admin" and user.active and not others:
        raise Refused(f"{user.name} is the last enabled admin and cannot be {what}: "
                      "make another account admin first")


def set_active(app: App, actor: Actor, name: str, active: bool, reason: str | None) -> None:
    """Disable (nobody can sign in as it) or enable an account; enabling ends a lockout."""
    require(actor, "users.manage")
    reason = need_reason(reason, f"{'enabling' if active else 'disabling'} {name}")
    with app.write(actor, "user.enable" if active else "user.disable", reason) as s:
        user = _user(s, name)
        if not active:
            _keep_an_admin(s, user, "disabled")
        elif user.active and user.locked_until is None:
            raise Refused(f"{name} is enabled already")
        user.active = active
        if active:
            _clear_failures(user)


def set_role(app: App, actor: Actor, name: str, role: str, reason: str | None) -> None:
    require(actor, "users.manage")
    if role not in ROLES:
        raise Refused(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    reason = need_reason(reason, f"changing the role of {name}")
    with app.write(actor, "user.role", reason) as s:
        user = _user(s, name)
        if user.role == role:
            raise Refused(f"{name} is {role} already")
        if role != "admin":
            _keep_an_admin(s, user, "given another role")
        user.role = role


def reset_password(app: App, actor: Actor, name: str, password: str,
                   reason: str | None) -> None:
    """An admin sets a new password (for a forgotten one); it also ends a lockout."""
    require(actor, "users.manage")
    reason = need_reason(reason, f"resetting the password of {name}")
    hashed = _checked_password(name, password)
    with app.write(actor, "user.reset_password", reason) as s:
        user = _user(s, name)
        user.password_hash = hashed
        _clear_failures(user)


def change_password(app: App, actor: Actor, old: str, new: str) -> None:
    """Your own password: the old one is checked like a sign-in (and counts as one)."""
    login(app, actor.name, old)
    if new == old:
        raise Refused("the new password is the same as the old one")
    hashed = _checked_password(actor.name, new)
    with app.write(actor, "user.password", "changed by the user") as s:
        _user(s, actor.name).password_hash = hashed
