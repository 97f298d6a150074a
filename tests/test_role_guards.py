"""Every service function refuses the roles its permission does not name.

Driven from trialcore/roles.py: for each (function, permission) pair below, every role
PERMISSIONS does not give the permission to (and a role TrialDesk does not know) is
refused with PermissionDenied, and nothing is written. Two guards keep the table whole:
every permission has a function here, and every public service function taking
(app, actor) is listed, so a new permission or a new use case cannot be forgotten.
The arguments are ones the call would accept from an allowed role: a missing role
check then shows as a call that goes through, not as some other refusal.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import services
from db.audit import head_hash
from importers.mapping import Mapping
from services import (
    accounts,
    allocation,
    analysis,
    audit_check,
    audit_trail,
    calendar_export,
    codes,
    dashboard,
    enrolment,
    exports,
    imports,
    lock,
    participants,
    plot_data,
    study,
    unblinding,
    visits,
)
from services.context import Actor, App
from services.errors import PermissionDenied
from tests.lock_helpers import EMERGENCY, PASSPHRASE, REG, TODAY, ready_to_lock
from trialcore.roles import PERMISSIONS, ROLES

Call = Callable[[App, Actor, Path], object]
SECRET = "whatever the role typed"  # a refused role's password is never checked

GUARDED: dict[str, tuple[str, Call]] = {
    "accounts.add_user": ("users.manage", lambda app, a, _: accounts.add_user(
        app, a, "newcomer", "coordinator", "a long and unusual passphrase 9")),
    "accounts.list_users": ("users.manage", lambda app, a, _: accounts.list_users(app, a)),
    "participants.add": ("participants.write", lambda app, a, _: participants.add(
        app, a, 40, stratum="NTNA+", registered_on=REG)),
    "participants.edit": ("participants.write", lambda app, a, _: participants.edit(
        app, a, 1, {"notes": "seen"}, "typo")),
    "participants.withdraw": ("participants.write", lambda app, a, _: participants.withdraw(
        app, a, 2, "moved away", REG + dt.timedelta(days=90))),
    "enrolment.enrol": ("enrol", lambda app, a, _: enrolment.enrol(
        app, a, 3, on=REG + dt.timedelta(days=10))),
    "visits.book": ("visits.write", lambda app, a, _: visits.book(
        app, a, 1, "dose3", TODAY, today=TODAY)),
    "visits.log": ("visits.write", lambda app, a, _: visits.log(
        app, a, 1, "dose3", date=TODAY, status="missed", reason="ill", today=TODAY)),
    "codes.check": ("codes.check", lambda app, a, _: codes.check(app, a, 1, "dose1", "XXXX")),
    "imports.preview": ("imports.write", lambda app, a, tmp: imports.preview(
        app, a, "scans", _scans(tmp))),
    "imports.commit": ("imports.write", lambda app, a, tmp: imports.commit(
        app, a, imports.ImportOptions(kind="scans", path=str(_scans(tmp))))),
    "imports.save_profile": ("imports.write", lambda app, a, _: imports.save_profile(
        app, a, "site", "scans", Mapping())),
    "allocation.preview": ("allocation.generate", lambda app, a, _: allocation.preview(app, a)),
    "allocation.preflight": ("allocation.generate",
                             lambda app, a, _: allocation.preflight(app, a)),
    "allocation.generate": ("allocation.generate", lambda app, a, _: allocation.generate(
        app, a, PASSPHRASE, EMERGENCY, replace=True, reason="redo")),
    "allocation.report": ("allocation.report",
                          lambda app, a, _: allocation.report(app, a, PASSPHRASE)),
    "allocation.dispensing": ("allocation.dispensing", lambda app, a, tmp: allocation.dispensing(
        app, a, PASSPHRASE, tmp / "dispensing.csv")),
    "lock.lock": ("study.lock", lambda app, a, _: lock.lock(app, a, "final", SECRET)),
    "lock.unlock": ("study.lock", lambda app, a, _: lock.unlock(app, a, "query", SECRET)),
    "unblinding.unblind_study": ("study.unblind", lambda app, a, _: unblinding.unblind_study(
        app, a, "analysis", PASSPHRASE, SECRET)),
    "unblinding.emergency": ("emergency.unblind", lambda app, a, _: unblinding.emergency(
        app, a, 1, "allergic reaction", EMERGENCY, SECRET)),
    "analysis.tidy_frame": ("analysis.run", lambda app, a, _: analysis.tidy_frame(app, a)),
    "analysis.run": ("analysis.run", lambda app, a, _: analysis.run(app, a)),
    "exports.export": ("data.export", lambda app, a, tmp: exports.export(
        app, a, tmp / "long.csv")),
    "audit_trail.verify": ("audit.read", lambda app, a, _: audit_trail.verify(app, a)),
    "audit_trail.entries": ("audit.read", lambda app, a, _: audit_trail.entries(app, a)),
    "audit_trail.export": ("audit.read", lambda app, a, tmp: audit_trail.export(
        app, a, tmp / "audit.csv")),
    "audit_check.verify": ("audit.read", lambda app, a, _: audit_check.verify(
        app, a, lambda: False)),
    "calendar_export.export_calendar": ("study.read", lambda app, a, tmp:
                                        calendar_export.export_calendar(
                                            app, a, tmp / "visits.ics", today=TODAY)),
    "dashboard.summary": ("study.read", lambda app, a, _: dashboard.summary(app, a, TODAY)),
    "enrolment.proposed_stratum": ("study.read",
                                   lambda app, a, _: enrolment.proposed_stratum(app, a, 3)),
    "imports.profiles": ("study.read", lambda app, a, _: imports.profiles(app, a)),
    "imports.list_imports": ("study.read", lambda app, a, _: imports.list_imports(app, a)),
    "imports.provenance": ("study.read", lambda app, a, _: imports.provenance(app, a, 1)),
    "lock.checklist": ("study.read", lambda app, a, _: lock.checklist(app, a)),
    "lock.history": ("study.read", lambda app, a, _: lock.history(app, a)),
    "lock.certificate": ("study.read", lambda app, a, _: lock.certificate(app, a)),
    "participants.list_participants": ("study.read",
                                       lambda app, a, _: participants.list_participants(app, a)),
    "participants.statuses": ("study.read", lambda app, a, _: participants.statuses(app, a)),
    "participants.get": ("study.read", lambda app, a, _: participants.get(app, a, 1)),
    "plot_data.participant_plots": ("study.read", lambda app, a, _:
                                    plot_data.participant_plots(app, a, 1, today=TODAY)),
    "plot_data.group_plot": ("study.read",
                             lambda app, a, _: plot_data.group_plot(app, a, "amygdala_threat")),
    "study.show": ("study.read", lambda app, a, _: study.show(app, a)),
    "visits.list_visits": ("study.read",
                           lambda app, a, _: visits.list_visits(app, a, 1, today=TODAY)),
}
# Public (app, actor) functions that check no permission, and why.
UNGUARDED = {
    "accounts.confirm_password": "re-entering one's own password for a signature",
}
STRANGER = "visitor"  # a role TrialDesk does not know is refused everything


def _scans(folder: Path) -> Path:
    path = folder / "scans.csv"
    path.write_text("participant,visit,tsnr\nP001,dose1,58.5\n", encoding="utf-8")
    return path


def _service_functions() -> set[str]:
    """module.function of every public function in services/ whose first two
    parameters are app and actor: the use cases the CLI and GUI call."""
    found = set()
    for path in Path(services.__file__).parent.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") \
                    and [a.arg for a in node.args.args[:2]] == ["app", "actor"]:
                found.add(f"{path.stem}.{node.name}")
    return found


def test_every_service_function_taking_an_actor_is_listed() -> None:
    assert _service_functions() == set(GUARDED) | set(UNGUARDED)


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_every_permission_guards_a_listed_function(permission: str) -> None:
    assert any(p == permission for p, _ in GUARDED.values()), (
        f"add the service functions that require {permission!r} to GUARDED")


def test_every_listed_permission_exists() -> None:
    assert {p for p, _ in GUARDED.values()} <= set(PERMISSIONS)


@pytest.fixture(scope="module")
def running(module_db_url: str) -> Iterator[App]:
    """An allocated study with participants, shared: refused calls write nothing."""
    app = App(module_db_url)
    ready_to_lock(app)
    yield app
    app.close()


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_the_roles_without_the_permission_are_refused(running: App, name: str,
                                                      tmp_path: Path) -> None:
    permission, call = GUARDED[name]
    refused = [r for r in ROLES if r not in PERMISSIONS[permission]] + [STRANGER]
    holders = ", ".join(r for r in ROLES if r in PERMISSIONS[permission])
    with running.read() as s:
        before = head_hash(s)
    for role in refused:
        with pytest.raises(PermissionDenied, match=f"{permission} is for {holders}$"):
            call(running, Actor(f"a {role}", role), tmp_path)
    with running.read() as s:
        assert head_hash(s) == before, "a refused call wrote to the audit trail"
    assert {p.name for p in tmp_path.iterdir()} <= {"scans.csv"}, "a refused call wrote a file"
