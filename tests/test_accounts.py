"""Accounts: lockout after failed sign-ins, administration with reasons, own password."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import AuditEntry, utcnow
from services import accounts, audit_trail
from services.context import Actor, App
from services.errors import PermissionDenied, Refused
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS

STRONG = "velvet-orbit-canyon-42"


def _failures(app: App, name: str) -> list[str]:
    with app.read() as s:
        return list(s.scalars(select(AuditEntry.reason).where(
            AuditEntry.action == "sign_in.failed", AuditEntry.entity_key == name)
            .order_by(AuditEntry.seq)))


def test_five_failures_lock_the_account_for_fifteen_minutes(
        app: App, study: dict[str, Actor], monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    monkeypatch.setattr(accounts, "utcnow", lambda: now)
    for attempt in range(1, 6):
        with pytest.raises(Refused, match="wrong user name or password") as refused:
            accounts.login(app, "cora", "not-her-password")
        assert ("locked for 15 minutes" in refused.value.message) == (attempt == 5)
    with pytest.raises(Refused, match="is locked after 5 failed sign-ins"):
        accounts.login(app, "cora", PASSWORDS["cora"])  # the right password, all the same
    assert _failures(app, "cora") == ["wrong password"] * 5 + ["account locked"]
    with pytest.raises(Refused, match="wrong user name"):
        accounts.login(app, "nobody", "whatever-it-is")
    assert _failures(app, "nobody") == ["unknown user name"]
    monkeypatch.setattr(accounts, "utcnow", lambda: now + dt.timedelta(minutes=15, seconds=1))
    assert accounts.login(app, "cora", PASSWORDS["cora"]) == study["cora"]
    assert audit_trail.verify(app, study["ivan"]).ok


def test_failures_spread_over_more_than_the_window_do_not_lock(
        app: App, study: dict[str, Actor], monkeypatch: pytest.MonkeyPatch) -> None:
    start = utcnow()
    for minutes in (0, 4, 8, 12, 16):  # the fifth is 16 minutes after the first
        monkeypatch.setattr(accounts, "utcnow",
                            lambda m=minutes: start + dt.timedelta(minutes=m))
        with pytest.raises(Refused):
            accounts.login(app, "cora", "not-her-password")
    assert accounts.login(app, "cora", PASSWORDS["cora"]) == study["cora"]


def test_admin_ends_a_lockout_by_enabling_or_resetting(app: App,
                                                       study: dict[str, Actor]) -> None:
    admin = study["admin"]
    for _ in range(5):
        with pytest.raises(Refused):
            accounts.login(app, "cora", "not-her-password")
    [cora] = [u for u in accounts.list_users(app, admin) if u["user"] == "cora"]
    assert cora["locked_until"] is not None and cora["active"]
    accounts.set_active(app, admin, "cora", True, "she called the help desk")
    assert accounts.login(app, "cora", PASSWORDS["cora"]) == study["cora"]
    for _ in range(5):
        with pytest.raises(Refused):
            accounts.login(app, "ivan", "not-his-password")
    accounts.reset_password(app, admin, "ivan", STRONG, "forgotten")
    assert accounts.login(app, "ivan", STRONG) == study["ivan"]


def test_disable_enable_and_role_need_a_reason_and_are_audited(
        app: App, study: dict[str, Actor]) -> None:
    admin = study["admin"]
    with pytest.raises(Refused, match="needs a reason"):
        accounts.set_active(app, admin, "cora", False, " ")
    accounts.set_active(app, admin, "cora", False, "left the site")
    with pytest.raises(Refused, match="wrong user name or password"):
        accounts.login(app, "cora", PASSWORDS["cora"])
    with pytest.raises(Refused, match="enabled already"):
        accounts.set_active(app, admin, "ivan", True, "why not")
    accounts.set_active(app, admin, "cora", True, "back")
    accounts.set_role(app, admin, "cora", "investigator", "promoted")
    assert accounts.login(app, "cora", PASSWORDS["cora"]) == Actor("cora", "investigator")
    with pytest.raises(Refused, match="unknown role"):
        accounts.set_role(app, admin, "cora", "boss", "promoted")
    with pytest.raises(PermissionDenied, match=r"users\.manage"):
        accounts.set_active(app, study["ivan"], "cora", False, "I said so")
    entries = audit_trail.entries(app, study["ivan"], audit_trail.AuditFilter(action="user."))
    assert [(e["action"], e["reason"]) for e in reversed(entries)][-3:] == [
        ("user.disable", "left the site"), ("user.enable", "back"), ("user.role", "promoted")]


def test_the_last_enabled_admin_is_kept(app: App, study: dict[str, Actor]) -> None:
    admin = study["admin"]
    with pytest.raises(Refused, match="last enabled admin"):
        accounts.set_active(app, admin, "admin", False, "tidying up")
    with pytest.raises(Refused, match="last enabled admin"):
        accounts.set_role(app, admin, "admin", "coordinator", "tidying up")
    accounts.set_role(app, admin, "ivan", "admin", "second admin")
    accounts.set_role(app, admin, "admin", "coordinator", "ivan administers now")
    with pytest.raises(Refused, match="ivan is the last enabled admin"):
        accounts.set_active(app, Actor("ivan", "admin"), "ivan", False, "oops")


@pytest.mark.parametrize("password, reason", [
    ("short", "at least 8 characters"),
    ("cora", "at least 8 characters"),
    ("cora2026", "too easy to guess"),
    ("password123", "too easy to guess"),
])
def test_weak_passwords_are_refused_with_the_reason(app: App, study: dict[str, Actor],
                                                   password: str, reason: str) -> None:
    admin = study["admin"]
    with pytest.raises(Refused, match=reason):
        accounts.add_user(app, admin, "corabell", "coordinator", password)
    with pytest.raises(Refused, match=reason):
        accounts.reset_password(app, admin, "cora", password, "forgotten")
    with pytest.raises(Refused, match=reason):
        accounts.change_password(app, study["cora"], PASSWORDS["cora"], password)


def test_a_password_equal_to_the_user_name_is_refused(app: App,
                                                      study: dict[str, Actor]) -> None:
    with pytest.raises(Refused, match="must not be the user name"):
        accounts.add_user(app, study["admin"], "marguerite", "coordinator", "Marguerite")


def test_own_password_change_checks_the_old_one(app: App, study: dict[str, Actor]) -> None:
    cora = study["cora"]
    with pytest.raises(Refused, match="wrong user name or password"):
        accounts.change_password(app, cora, "not-her-password", STRONG)
    assert _failures(app, "cora") == ["wrong password"]
    with pytest.raises(Refused, match="same as the old one"):
        accounts.change_password(app, cora, PASSWORDS["cora"], PASSWORDS["cora"])
    accounts.change_password(app, cora, PASSWORDS["cora"], STRONG)
    assert accounts.login(app, "cora", STRONG) == cora
    with pytest.raises(Refused):
        accounts.login(app, "cora", PASSWORDS["cora"])


def test_accounts_on_the_command_line(app: App, study: dict[str, Actor], db_url: str,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def run(user: str, *args: str, **env: str):  # type: ignore[no-untyped-def]
        return cli(capsys, monkeypatch, db_url, *args, user=user, password=PASSWORDS[user],
                   **env)

    r = run("admin", "--json", "user", "add", "nina", "--role", "coordinator",
            TRIALDESK_NEW_PASSWORD="nina2026")
    assert r.code == 1 and "too easy to guess" in r.json["error"]
    r = run("admin", "--json", "user", "add", "nina", "--role", "coordinator",
            TRIALDESK_NEW_PASSWORD=STRONG)
    assert r.code == 0
    r = run("admin", "--json", "user", "disable", "nina")
    assert r.code == 2
    r = run("admin", "--json", "user", "disable", "nina", "--reason", "on leave")
    assert r.code == 0 and r.json == {"user": "nina", "active": False}
    r = run("admin", "user", "list")
    assert r.code == 0 and "nina" in r.out and "disabled" in r.out
    r = run("admin", "--json", "user", "enable", "nina", "--reason", "back")
    assert r.code == 0
    r = run("admin", "--json", "user", "role", "nina", "investigator", "--reason", "promoted")
    assert r.code == 0 and r.json["role"] == "investigator"
    r = run("admin", "--json", "user", "role", "admin", "coordinator", "--reason", "x")
    assert r.code == 1 and "last enabled admin" in r.json["error"]
    r = run("admin", "--json", "user", "reset-password", "nina", "--reason", "forgotten")
    assert r.code == 1 and "TRIALDESK_NEW_PASSWORD" in r.json["error"]
    r = run("admin", "--json", "user", "reset-password", "nina", "--reason", "forgotten",
            TRIALDESK_NEW_PASSWORD=STRONG + "!")
    assert r.code == 0
    r = run("cora", "--json", "user", "list")
    assert r.code == 1 and "users.manage" in r.json["error"]
    r = run("cora", "--json", "password", TRIALDESK_NEW_PASSWORD="cora")
    assert r.code == 1 and "at least 8 characters" in r.json["error"]
    r = run("cora", "--json", "password", TRIALDESK_NEW_PASSWORD=STRONG)
    assert r.code == 0 and r.json["password_changed"] is True
    assert accounts.login(app, "cora", STRONG) == study["cora"]
    assert STRONG not in r.out
