"""Every service function refuses the roles its permission does not name.

Driven from trialcore/roles.py: for each (function, permission) pair below, every role
PERMISSIONS does not give the permission to (and a role TrialDesk does not know) is
refused with PermissionDenied, and nothing is written but the audit entry of a refused
opening of the key (`<action>.refused`, one per refused role). Two guards keep the table whole:
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
from sqlalchemy import func, select

import services
from db.models import AuditEntry
from importers.mapping import Mapping
from services import (
    accounts,
    adverse_events,
    allocation,
    analysis,
    anchors,
    audit_check,
    audit_trail,
    calendar_export,
    casebook,
    codes,
    dashboard,
    data_entry,
    double_entry,
    enrolment,
    exports,
    imports,
    lock,
    missing_values,
    participants,
    plot_data,
    queries,
    sdv,
    study,
    unblinding,
    visits,
)
from services.context import Actor, App
from services.errors import PermissionDenied
from tests.conftest import PASSWORDS
from tests.db_digest import digest
from tests.lock_helpers import DISPENSING, EMERGENCY, PASSPHRASE, REG, TODAY, ready_to_lock
from trialcore.roles import PERMISSIONS, ROLES

Call = Callable[[App, Actor, Path], object]
SECRET = "whatever the role typed"  # a refused role's password is never checked

GUARDED: dict[str, tuple[str, Call]] = {
    "accounts.add_user": ("users.manage", lambda app, a, _: accounts.add_user(
        app, a, "newcomer", "coordinator", "a long and unusual passphrase 9")),
    "accounts.list_users": ("users.manage", lambda app, a, _: accounts.list_users(app, a)),
    "accounts.set_active": ("users.manage", lambda app, a, _: accounts.set_active(
        app, a, "phil", False, "left the team")),
    "accounts.set_role": ("users.manage", lambda app, a, _: accounts.set_role(
        app, a, "phil", "coordinator", "new job")),
    "accounts.reset_password": ("users.manage", lambda app, a, _: accounts.reset_password(
        app, a, "phil", "a long and unusual passphrase 9", "forgotten")),
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
    "allocation.report": ("allocation.report", lambda app, a, _: allocation.report(
        app, a, PASSPHRASE, "balance check")),
    "allocation.dispensing": ("allocation.dispensing", lambda app, a, tmp: allocation.dispensing(
        app, a, DISPENSING, tmp / "dispensing.csv", "kits for site 2")),
    "allocation.handover": ("allocation.handover", lambda app, a, _: allocation.handover(
        app, a, PASSPHRASE, "a new pharmacist's own passphrase 7", "new pharmacist")),
    "allocation.overview": ("study.read", lambda app, a, _: allocation.overview(app, a)),
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
    "import_records.list_imports": ("study.read", lambda app, a, _: imports.list_imports(app, a)),
    "import_records.provenance": ("data.read", lambda app, a, _: imports.provenance(app, a, 1)),
    "lock.checklist": ("study.read", lambda app, a, _: lock.checklist(app, a)),
    "lock.quick_checklist": ("study.read", lambda app, a, _: lock.quick_checklist(app, a)),
    "lock.verify_trail": ("study.read", lambda app, a, _: lock.verify_trail(app, a)),
    "lock.history": ("study.read", lambda app, a, _: lock.history(app, a)),
    "lock.certificate": ("study.read", lambda app, a, _: lock.certificate(app, a)),
    "participants.list_participants": ("study.read",
                                       lambda app, a, _: participants.list_participants(app, a)),
    "participants.chooser_rows": ("study.read",
                                  lambda app, a, _: participants.chooser_rows(app, a)),
    "participants.get": ("study.read", lambda app, a, _: participants.get(app, a, 1)),
    "plot_data.participant_plots": ("data.read", lambda app, a, _:
                                    plot_data.participant_plots(app, a, 1, today=TODAY)),
    "plot_data.group_plot": ("data.read",
                             lambda app, a, _: plot_data.group_plot(app, a, "amygdala_threat")),
    "study.show": ("study.read", lambda app, a, _: study.show(app, a)),
    "visits.list_visits": ("study.read",
                           lambda app, a, _: visits.list_visits(app, a, 1, today=TODAY)),
    "dashboard.enrolment_over_time": ("study.read",
                                      lambda app, a, _: dashboard.enrolment_over_time(app, a)),
    "dashboard.flow": ("study.read", lambda app, a, _: dashboard.flow(app, a)),
    "enrolment.target_warning": ("study.read",
                                 lambda app, a, _: enrolment.target_warning(app, a, 3)),
    "missing_values.missing": ("study.read",
                               lambda app, a, _: missing_values.missing(app, a)),
    "sdv.list_marks": ("study.read", lambda app, a, _: sdv.list_marks(app, a)),
    "casebook.casebook_html": ("data.read",
                               lambda app, a, _: casebook.casebook_html(app, a, 1)),
    "casebook.write_casebook": ("data.read", lambda app, a, tmp: casebook.write_casebook(
        app, a, 1, tmp / "casebook.html")),
    "data_entry.set_values": ("values.enter", lambda app, a, _: data_entry.set_values(
        app, a, 1, "baseline", {"tsnr": "50"}, "re-read from the scanner log")),
    "data_entry.show": ("data.read", lambda app, a, _: data_entry.show(app, a, 1)),
    "data_entry.resolve": ("values.resolve", lambda app, a, _: data_entry.resolve(
        app, a, 1, "baseline", {"lik_angry_1": "3"}, "the paper form says 3")),
    "double_entry.pending": ("data.read", lambda app, a, _: double_entry.pending(app, a)),
    "queries.open_query": ("queries.raise", lambda app, a, _: queries.open_query(
        app, a, 1, "baseline", "tsnr", "please check the log")),
    "queries.close": ("queries.raise", lambda app, a, _: queries.close(app, a, OPEN_QUERY)),
    "queries.reopen": ("queries.raise", lambda app, a, _: queries.reopen(
        app, a, ANSWERED_QUERY, "the log says otherwise")),
    "queries.answer": ("queries.answer", lambda app, a, _: queries.answer(
        app, a, OPEN_QUERY, "checked against the log")),
    "queries.list_queries": ("queries.read", lambda app, a, _: queries.list_queries(app, a)),
    "sdv.mark": ("sdv.mark", lambda app, a, _: sdv.mark(app, a, 1, "baseline")),
    "adverse_events.add": ("ae.write", lambda app, a, _: adverse_events.add(
        app, a, 1, term="headache", onset=REG + dt.timedelta(days=20), severity="mild",
        serious=False, related="possible")),
    "adverse_events.update": ("ae.write", lambda app, a, _: adverse_events.update(
        app, a, 1, "resolved since", resolved=REG + dt.timedelta(days=30))),
    "adverse_events.list_events": ("ae.read",
                                   lambda app, a, _: adverse_events.list_events(app, a)),
    "adverse_events.table": ("analysis.run", lambda app, a, _: adverse_events.table(app, a)),
    "anchors.anchor": ("audit.read", lambda app, a, tmp: anchors.anchor(
        app, a, tmp / "new-receipt.json")),
    "anchors.check": ("audit.read", lambda app, a, tmp: anchors.check(app, a, [_receipt(tmp)])),
}
# Public (app, actor) functions that check no permission, and why.
UNGUARDED = {
    "accounts.confirm_password": "re-entering one's own password for a signature",
    "accounts.change_password": "one's own password, the old one checked like a sign-in",
    "allocation.audited_access": "not a use case: the context manager that records the "
                                 "refusals of the key accesses it wraps (each checks its role)",
}
STRANGER = "visitor"  # a role TrialDesk does not know is refused everything
OPEN_QUERY, ANSWERED_QUERY = 1, 2  # made by `running`, with adverse event 1
INPUTS = {"scans.csv", "receipt.json"}  # files the calls read, made by the helpers below


def _scans(folder: Path) -> Path:
    path = folder / "scans.csv"
    path.write_text("participant,visit,tsnr\nP001,dose1,58.5\n", encoding="utf-8")
    return path


def _receipt(folder: Path) -> Path:
    path = folder / "receipt.json"
    path.write_text('{"entries": 1, "head": ""}', encoding="utf-8")
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
    """An allocated study with participants, an open and an answered data query, an
    adverse event and a double data entry's first entry, shared: refused calls write
    nothing but the record of a refused opening of the key."""
    app = App(module_db_url)
    actors = ready_to_lock(app)
    accounts.add_user(app, actors["admin"], "mona", "monitor", PASSWORDS["mona"])
    mona, cora = Actor("mona", "monitor"), actors["cora"]
    for number in (OPEN_QUERY, ANSWERED_QUERY):
        assert queries.open_query(app, mona, 1, "baseline", "tsnr", "is this right?").id == number
    queries.answer(app, cora, ANSWERED_QUERY, "yes")
    adverse_events.add(app, cora, 1, term="nausea", onset=REG + dt.timedelta(days=15),
                       severity="mild", serious=False, related="possible")
    data_entry.set_values(app, cora, 1, "baseline", {"lik_angry_1": "3"})
    yield app
    app.close()


@pytest.mark.parametrize("name", sorted(GUARDED))
def test_the_roles_without_the_permission_are_refused(running: App, name: str,
                                                      tmp_path: Path) -> None:
    permission, call = GUARDED[name]
    refused = [r for r in ROLES if r not in PERMISSIONS[permission]] + [STRANGER]
    holders = ", ".join(r for r in ROLES if r in PERMISSIONS[permission])
    before = digest(running.url, except_attempts=True)
    with running.read() as s:
        last = s.scalar(select(func.max(AuditEntry.seq)))
    for role in refused:
        with pytest.raises(PermissionDenied, match=f"{permission} is for {holders}$"):
            call(running, Actor(f"a {role}", role), tmp_path)
    # A refused opening of the key is audited on purpose (allocation.audited_access), in
    # a transaction of its own: exactly one `<action>.refused` entry per refused role,
    # and nothing else anywhere.
    with running.read() as s:
        added = s.execute(select(AuditEntry.action, AuditEntry.actor)
                          .where(AuditEntry.seq > last).order_by(AuditEntry.seq)).all()
    if added:
        action = added[0].action
        assert action.endswith(".refused"), f"a refused call wrote {action}"
        assert sorted(added) == sorted((action, f"a {r}") for r in refused), (
            "a refused call wrote to the audit trail")
    assert digest(running.url, except_attempts=True) == before, "a refused call wrote data"
    assert {p.name for p in tmp_path.iterdir()} <= INPUTS, "a refused call wrote a file"
