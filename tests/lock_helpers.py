"""A study whose visits are all resolved, ready to lock: shared by the lock, unblinding,
export and analysis tests.

Scan values are written the way an import writes them (an ImportRecord and its
observations in one unit of work), so exports have provenance to show. Generating
the allocation list costs two scrypt derivations, so on SQLite the study is built
once per test session and copied for each test (ready_app).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from db.models import (
    AuditEntry,
    DoubleEntry,
    ImportRecord,
    Observation,
    Participant,
    ResponseSet,
    RevealedCondition,
    Study,
    StudyLock,
    Unblinding,
)
from importers.mapping import Mapping
from services import (
    accounts,
    adverse_events,
    allocation,
    enrolment,
    imports,
    lock,
    participants,
    queries,
    sdv,
    unblinding,
    visits,
)
from services.context import Actor, App
from tests.conftest import PASSWORDS, ROLES, make_study
from trialcore import response_sets

PASSPHRASE = "test sealing passphrase"
EMERGENCY = "test emergency passphrase"
DISPENSING = "test dispensing passphrase"
REG = dt.date(2026, 1, 5)
TODAY = dt.date(2026, 6, 1)
VISITS = ("baseline", "dose1", "dose2", "dose3")
ENTERED = dt.datetime(2026, 2, 1, 9, 30)

ACTORS = {name: Actor(name, ROLES[name])
          for name in ("admin", "cora", "ivan", "stella", "phil", "rita")}
_TEMPLATES: dict[str, Path] = {}

Value = tuple[str, str, str, float | None]  # participant label, visit, measure, value


def allocated(app: App) -> dict[str, Actor]:
    """The reference study with its sealed list; stage running."""
    actors = make_study(app, ("cora", "ivan", "stella", "phil", "rita"))
    allocation.generate(app, actors["rita"], PASSPHRASE, EMERGENCY,
                        dispensing_passphrase=DISPENSING, confirm_unbalanced=True)
    return actors


def password(actor: Actor) -> str:
    return PASSWORDS[actor.name]


def enrol(app: App, cora: Actor, number: int, stratum: str) -> dict[str, str]:
    """Register and enrol one participant; their kit codes per dosing visit."""
    participants.add(app, cora, number, stratum=stratum, registered_on=REG)
    return enrolment.enrol(app, cora, number, on=REG + dt.timedelta(days=10)).codes


def log_all(app: App, cora: Actor, number: int, codes: dict[str, str],
            upto: Iterable[str] = VISITS) -> None:
    """Log visits as done on their target dates, in protocol order."""
    for visit in upto:
        row = next(r for r in visits.list_visits(app, cora, number, today=TODAY)
                   if r.visit == visit)
        visits.log(app, cora, number, visit, date=row.target, code=codes.get(visit),
                   today=TODAY)


def record(app: App, actor: Actor, values: Iterable[Value], file_name: str = "scans.csv"
           ) -> None:
    """Stands in for an import: one ImportRecord and its observations, one unit of work."""
    values = list(values)
    with app.write(actor, "import.scans") as s:
        ids = dict(s.execute(select(Participant.label, Participant.id)).all())
        imp = ImportRecord(kind="scans", file_name=file_name,
                           sha256=hashlib.sha256(file_name.encode()).hexdigest(), size=100,
                           format="csv", options="{}", by=actor.name, rows=len(values),
                           inserted=len(values), updated=0, unchanged=0)
        s.add(imp)
        s.flush()
        s.add_all(Observation(participant_id=ids[p], visit=v, measure=m, value=x,
                              import_id=imp.id) for p, v, m, x in values)


def ready_to_lock(app: App) -> dict[str, Actor]:
    """Three participants: P001 (NTNA+) and P002 (NTNA-) done, P003 withdrawn after baseline."""
    actors = allocated(app)
    cora = actors["cora"]
    for number, stratum in ((1, "NTNA+"), (2, "NTNA-")):
        log_all(app, cora, number, enrol(app, cora, number, stratum))
    codes = enrol(app, cora, 3, "NTNA+")
    log_all(app, cora, 3, codes, upto=("baseline",))
    participants.withdraw(app, cora, 3, "moved abroad", REG + dt.timedelta(days=12))
    record(app, cora, [(f"P00{n}", v, "amygdala_threat", 0.25 * n - 0.5 * i)
                       for n in (1, 2) for i, v in enumerate(VISITS)]
           + [("P003", "baseline", "amygdala_threat", 0.75)])
    return actors


def state(app: App) -> tuple[object, ...]:
    """Stage, audit head and the lock/unblinding rows: equal before and after = nothing written.

    The head is that of the last entry other than a sign-in's: a refused signature is a
    failed sign-in, recorded (and counted towards a lockout) on purpose."""
    with app.read() as s:
        counts = tuple(s.scalar(select(func.count()).select_from(m))
                       for m in (StudyLock, Unblinding, RevealedCondition))
        head = s.scalar(select(AuditEntry.hash).where(AuditEntry.action.not_like("sign_in%"))
                        .order_by(AuditEntry.seq.desc()).limit(1))
        return s.scalar(select(Study.stage)), head, counts


def ready_app(db_url: str, tmp: pytest.TempPathFactory) -> App:
    """`ready_to_lock` opened on db_url; on SQLite copied from one built per test session."""
    if not db_url.startswith("sqlite:///"):
        app = App(db_url)
        ready_to_lock(app)
        return app
    if "ready" not in _TEMPLATES:
        template = tmp.mktemp("ready") / "study.sqlite"
        built = App(f"sqlite:///{template}")
        ready_to_lock(built)
        built.close()
        _TEMPLATES["ready"] = template
    shutil.copy(_TEMPLATES["ready"], db_url.removeprefix("sqlite:///"))
    return App(db_url)


def every_table_filled(app: App, stage: str) -> dict[str, Actor]:
    """A study at `stage` ("locked" or "unblinded") with at least one row in every table,
    so a raw UPDATE or DELETE has a row to act on (SQLite's triggers fire per row).

    Beyond ready_to_lock: a mapping profile, one participant's questionnaire answers,
    a monitor (mona) with a data query (opened, answered, closed: an open one would stop
    the lock), a source-data verification mark, an adverse event, an agreed double data
    entry (an open one would stop the lock too), an emergency
    unblinding (while running), the lock and, for "unblinded", the study
    unblinding. A locked study has no revealed conditions yet: one is written
    while locked, which the triggers allow (the unblinding writes them then), on a
    non-dosing visit the unblinding never writes.
    """
    actors = ready_to_lock(app)
    cora, ivan = actors["cora"], actors["ivan"]
    imports.save_profile(app, cora, "site scans", "scans", Mapping(columns={}))
    accounts.add_user(app, actors["admin"], "mona", ROLES["mona"], PASSWORDS["mona"])
    mona = actors["mona"] = Actor("mona", ROLES["mona"])
    query = queries.open_query(app, mona, 1, "baseline", "amygdala_threat", "is this right?")
    queries.answer(app, cora, query.id, "checked against the scan log")
    queries.close(app, mona, query.id, "agreed")
    sdv.mark(app, mona, 1, "baseline")
    adverse_events.add(app, cora, 1, term="headache", onset=REG + dt.timedelta(days=11),
                       severity="mild", serious="no", related="possible")
    with app.write(cora, "import.questionnaires") as s:
        number = s.scalar(select(Participant.id).where(Participant.number == 1))
        s.add(ResponseSet(participant_id=number, visit="dose1",
                          answers=response_sets.encode({"anx_1": (2.0, None)})))
        # as two coordinators' agreeing entries leave it (a hand entry's bulk-written
        # values would leave audit verify unable to name a raw edit's row in their tables)
        s.add(DoubleEntry(participant=s.get(Participant, number), visit="dose1",
                          name="lik_angry_1", status="agreed", first_value="3",
                          first_by="cora", first_at=ENTERED, second_value="3",
                          second_by="dora", second_at=ENTERED))
    unblinding.emergency(app, ivan, 3, "allergic reaction", EMERGENCY, password(ivan))
    lock.lock(app, ivan, "final", password(ivan))
    if stage == "unblinded":
        stella = actors["stella"]
        unblinding.unblind_study(app, stella, "analysis", PASSPHRASE, password(stella))
    else:
        with app.write(ivan, "test.seed") as s:
            s.add(RevealedCondition(participant_id=number, visit="baseline", period=0,
                                    condition="PBO"))
    return actors
