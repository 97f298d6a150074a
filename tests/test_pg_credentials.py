"""PostgreSQL: a password never has to be on the command line or printed, and the app can
run as a role that owns nothing, so it cannot drop the triggers that guard the data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from services import accounts, participants
from services.context import App
from services.errors import PasswordNeeded
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS, make_study

ONLY_PG = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
APP_ROLE, APP_PASSWORD = "trialdesk_app", "trialdesk_app"  # made by .ci/run


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in this process only."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.stored: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.stored.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.stored[service, username] = password

    def delete_password(self, service: str, username: str) -> None:
        self.stored.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    old = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(old)


def _without_password(url: str) -> tuple[str, str | None]:
    parsed = make_url(url)
    return parsed._replace(password=None).render_as_string(hide_password=False), parsed.password


@ONLY_PG
def test_the_password_comes_from_the_keyring(db_url: str, memory_keyring: MemoryKeyring
                                             ) -> None:
    bare, password = _without_password(db_url)
    parsed = make_url(db_url)
    memory_keyring.set_password("trialdesk", f"{parsed.username}@{parsed.host}",
                                password or "unused: the server trusts this user")
    app = App(bare)
    make_study(app)
    assert accounts.login(app, "cora", PASSWORDS["cora"]).name == "cora"
    app.close()


@ONLY_PG
def test_the_password_comes_from_pgpass(db_url: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        memory_keyring: MemoryKeyring) -> None:
    bare, password = _without_password(db_url)
    parsed = make_url(db_url)
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"{parsed.host}:{parsed.port or 5432}:*:{parsed.username}:"
                      f"{password or 'trusted'}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    app = App(bare)
    assert not app.has_study()
    app.close()


@ONLY_PG
def test_demo_never_prints_the_password(db_url: str, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    secret = make_url(db_url).password
    r = cli(capsys, monkeypatch, db_url, "demo", "--stage", "setup")
    assert r.code == 0, r.err
    assert "Open it with: python main.py --db postgresql+psycopg://" in r.out
    if secret:  # a server that trusts its user (a throwaway one) has no password to mask
        assert f":{secret}@" not in r.out + r.err and "***" in r.out
    r = cli(capsys, monkeypatch, db_url, "--json", "demo", "--stage", "setup")
    assert r.code == 0 and f":{secret}@" not in r.out


def _app_role_url(db_url: str) -> str:
    parsed = make_url(db_url)
    return parsed.set(username=APP_ROLE, password=APP_PASSWORD).render_as_string(
        hide_password=False)


def _ensure_app_role(admin_url: str) -> None:
    """.ci/run makes the role; a throwaway server's superuser test user can make it here."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                            {"r": APP_ROLE}).scalar():
            try:
                conn.execute(text(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}'"))
            except DBAPIError as exc:
                pytest.fail(f"the role {APP_ROLE} is missing and cannot be made by the test "
                            f"user: create it as .ci/run does ({exc.orig})")
    engine.dispose()


@ONLY_PG
def test_an_app_role_without_ownership_cannot_remove_the_guards(db_url: str) -> None:
    owner = App(db_url)  # the owner role runs the migrations
    actors = make_study(owner, ("cora",))
    participants.add(owner, actors["cora"], 1)
    _ensure_app_role(db_url)
    schema = next(o.split("=", 1)[1] for o in
                  make_url(db_url).query["options"].replace("%3D", "=").split()
                  if o.startswith("-csearch_path"))
    with owner.engine.begin() as conn:
        for grant in (f"GRANT USAGE ON SCHEMA {schema} TO {APP_ROLE}",
                      f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} "
                      f"TO {APP_ROLE}",
                      f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {APP_ROLE}"):
            conn.execute(text(grant))
    owner.close()
    app = App(_app_role_url(db_url))
    cora = accounts.login(app, "cora", PASSWORDS["cora"])
    participants.add(app, cora, 2)  # the app works as this role
    for sql in ("ALTER TABLE audit_log DISABLE TRIGGER USER",
                "DROP TRIGGER append_only_audit_log ON audit_log",
                "DROP FUNCTION trialdesk_append_only() CASCADE",
                "UPDATE audit_log SET reason = 'rewritten' WHERE seq = 2"):
        with pytest.raises(DBAPIError) as refused, app.engine.begin() as conn:
            conn.execute(text(sql))
        assert any(m in str(refused.value.orig) for m in ("must be owner", "append-only")), sql
    app.close()


@ONLY_PG
def test_without_any_password_the_message_says_where_to_keep_one(
        db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    bare, password = _without_password(db_url)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    if password is None:  # a throwaway server trusts its test user: nothing to ask
        App(bare).close()
        return
    with pytest.raises(PasswordNeeded, match=r"OS keyring .*'trialdesk'.* ~/\.pgpass"):
        App(bare)
    r = cli(capsys, monkeypatch, bare, "--json", "study", "show")
    assert r.code == 1 and "PGPASSFILE" in r.json["error"]


@ONLY_PG
def test_the_window_asks_for_a_database_password_nothing_else_gave(
        qtbot, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
        memory_keyring: MemoryKeyring) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox

    from gui.accounts.database_password import DatabasePasswordDialog
    from gui.accounts.login_dialog import LoginDialog
    from gui.window.launcher import Launcher

    owner = App(db_url)
    make_study(owner)
    owner.close()
    bare, password = _without_password(db_url)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    launcher = Launcher("cora")
    launcher.open(bare)
    dialog = launcher.dialog
    if password is None:  # a throwaway server trusts its test user: nothing to ask
        assert isinstance(dialog, LoginDialog)
        return
    assert isinstance(dialog, DatabasePasswordDialog) and dialog.isVisible()
    qtbot.keyClicks(dialog.password, password)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    login = launcher.dialog
    assert isinstance(login, LoginDialog) and login.isVisible()
    with qtbot.waitSignal(launcher.quit_requested):
        qtbot.keyClick(login, Qt.Key.Key_Escape)
