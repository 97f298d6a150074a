"""The reference study of the brief with synthetic data, at any stage.

Each stage builds on the one before; every later feature adds its step here so
that `demo --stage X` shows what the product can do at X. The title says the
data are synthetic, and a database holding a real study is never replaced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, text

from db.migrate import upgrade
from db.models import Base
from services import (
    accounts,
    adverse_events,
    allocation,
    data_entry,
    double_entry,
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
from services.errors import Refused
from services.scratch import scratch_folder
from services.study import init_study

PROTOCOL = Path(__file__).resolve().parent.parent / "resources" / "reference_protocol.toml"
STAGES = ("setup", "running", "locked", "unblinded")
ACCOUNTS = (
    ("admin", "admin", "demo-administrator"),
    ("cora", "coordinator", "demo-coordinator"),
    # a second coordinator: likability_angry is entered twice (double data entry)
    ("dora", "coordinator", "demo-coordinator-2"),
    ("ivan", "investigator", "demo-investigator"),
    ("mona", "monitor", "demo-monitor"),
    ("phil", "pharmacist", "demo-pharmacist"),
    ("rita", "randomizer", "demo-randomizer"),
    ("stella", "statistician", "demo-statistician"),
)
PASSPHRASE = "demo sealing passphrase"  # the randomizer's
EMERGENCY_PASSPHRASE = "demo emergency passphrase"  # the investigator's
DISPENSING_PASSPHRASE = "demo dispensing passphrase"  # the pharmacist's own
PARTICIPANTS = 16
# The demo's list is the same every time, so its analysis is too: NTNA+ shows the
# effect of 120 mg on amygdala threat reactivity, NTNA- does not (tests/test_analysis.py).
ALLOCATION_SEED = hashlib.sha256(b"TrialDesk synthetic demo allocation").digest()


@dataclass
class DemoStudy:
    app: App
    stage: str
    today: dt.date
    accounts: list[dict[str, str]] = field(default_factory=list)

    def actor(self, role: str) -> Actor:
        name = next(a["user"] for a in self.accounts if a["role"] == role)
        return Actor(name, role)

    def summary(self) -> dict[str, object]:
        return {"db": self.app.safe_url, "stage": self.stage, "accounts": self.accounts,
                "passphrase": PASSPHRASE, "emergency_passphrase": EMERGENCY_PASSPHRASE,
                "dispensing_passphrase": DISPENSING_PASSPHRASE}


def _clear_synthetic(app: App) -> None:
    """Replace an earlier demo; refuse to touch a real study."""
    if not app.has_study():
        return
    with app.read() as s:
        synthetic = s.execute(text("SELECT synthetic FROM study")).scalar()
    if not synthetic:
        raise Refused(f"{app.safe_url} holds a real study; the demo only "
                      "replaces an earlier demo. Use --db to name another database.")
    Base.metadata.drop_all(app.engine)
    with app.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
    upgrade(app.engine)
    app.__dict__.pop("protocol", None)


def build(app: App, stage: str = "running", today: dt.date | None = None) -> DemoStudy:
    if stage not in STAGES:
        raise Refused(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    _clear_synthetic(app)
    demo = DemoStudy(app, stage, today or _clock(stage))
    admin_name, _, admin_password = ACCOUNTS[0]
    init_study(app, PROTOCOL, admin_name, admin_password, synthetic=True)
    admin = Actor(admin_name, "admin")
    demo.accounts.append({"user": admin_name, "role": "admin", "password": admin_password})
    for name, role, password in ACCOUNTS[1:]:
        accounts.add_user(app, admin, name, role, password)
        demo.accounts.append({"user": name, "role": role, "password": password})
    if stage == "setup":
        _register_recent(demo)
    else:
        _register(demo)
    if STAGES.index(stage) >= STAGES.index("running"):
        _allocate_and_enrol(demo)
        _log_past_visits(demo)
        _import_results(demo)
        _double_entry(demo)
        _monitoring(demo)
    if STAGES.index(stage) >= STAGES.index("locked"):
        _finish_visits(demo)
        _import_results(demo)
        _close_queries(demo)
        _resolve_double_entries(demo)
        _lock(demo)
    if stage == "unblinded":
        _unblind(demo)
    return demo


def _register(demo: DemoStudy) -> None:
    """16 people registered over the last eight weeks, half in each stratum."""
    coordinator = demo.actor("coordinator")
    strata = demo.app.protocol.strata
    for i in range(1, PARTICIPANTS + 1):
        participants.add(
            demo.app, coordinator, i,
            stratum=strata[(i - 1) % len(strata)],
            stratum_reason="synthetic demo: stratum from a simulated baseline scan",
            registered_on=demo.today - dt.timedelta(days=60 - 3 * i),
        )


SETUP_PARTICIPANTS = 8
SETUP_SCANNED = 5  # the first five had their baseline scan; the others are booked for it


def _register_recent(demo: DemoStudy) -> None:
    """Setup: no allocation list yet, so a trainer shows the first weeks of recruitment.
    Eight people registered over the last fortnight, one every two days; the five who
    came to their baseline scan have it logged and a stratum from its report, the three
    registered since are booked for it in the coming days, within its window."""
    coordinator = demo.actor("coordinator")
    strata = demo.app.protocol.strata
    for i in range(1, SETUP_PARTICIPANTS + 1):
        registered = demo.today - dt.timedelta(days=2 * (SETUP_PARTICIPANTS - i) + 1)
        scanned = i <= SETUP_SCANNED
        participants.add(
            demo.app, coordinator, i, registered_on=registered,
            stratum=strata[(i - 1) % len(strata)] if scanned else None,
            stratum_reason="synthetic demo: stratum from the baseline scan report")
        if scanned:
            visits.log(demo.app, coordinator, i, "baseline",
                       date=registered + dt.timedelta(days=3), today=demo.today)
        else:
            visits.book(demo.app, coordinator, i, "baseline",
                        registered + dt.timedelta(days=7), today=demo.today)


def _allocate_and_enrol(demo: DemoStudy) -> None:
    """The sealed list (two key derivations), then everyone enrolled ten days after
    registration. The reference targets (8 per stratum, 6 sequences) cannot balance,
    which the demo accepts as the reference study did."""
    allocation.generate(demo.app, demo.actor("randomizer"), PASSPHRASE, EMERGENCY_PASSPHRASE,
                        dispensing_passphrase=DISPENSING_PASSPHRASE, confirm_unbalanced=True,
                        demo_seed=ALLOCATION_SEED)
    coordinator = demo.actor("coordinator")
    for row in participants.list_participants(demo.app, coordinator):
        enrolment.enrol(demo.app, coordinator, row.label,
                        on=row.registered_on + dt.timedelta(days=10))


def _log_past_visits(demo: DemoStudy) -> None:
    """Every visit whose date has passed is logged, each dose with the kit code on its
    label; P003 missed Dosing 2 and P005 came to Dosing 1 late, so the lists and the
    dashboard show a missed visit and a deviation with their reasons."""
    coordinator = demo.actor("coordinator")
    protocol = demo.app.protocol
    for i, p in enumerate(participants.list_participants(demo.app, coordinator)):
        for spec in protocol.visits:
            row = next(r for r in visits.list_visits(demo.app, coordinator, p.label)
                       if r.visit == spec.id)
            if row.target is None or row.window_end is None:
                break
            on = min(row.target + dt.timedelta(days=i % 3), row.window_end)
            if (p.label, spec.id) == ("P005", "dose1"):
                on = row.window_end + dt.timedelta(days=2)
            if on >= demo.today:
                break
            if (p.label, spec.id) == ("P003", "dose2"):
                visits.log(demo.app, coordinator, p.label, spec.id, date=on, status="missed",
                           reason="synthetic demo: participant ill with influenza")
                continue
            visits.log(demo.app, coordinator, p.label, spec.id, date=on, code=row.code,
                       deviation_reason="synthetic demo: scanner out of service for two days"
                       if (p.label, spec.id) == ("P005", "dose1") else None)


SYNTHETIC_SEED = 20240517
DEMO_SCRATCH = "trialdesk-demo-"  # the temporary folder of the synthetic import files


def _visit_conditions(demo: DemoStudy) -> dict[tuple[int, str], tuple[str, int]]:
    """(participant id, dosing visit) -> (condition, period), read from the sealed key:
    only the demo may do this, to make synthetic outcomes that depend on the dose."""
    from db.models import AllocationSlot

    protocol = demo.app.protocol
    opened = allocation.open_key(demo.app, PASSPHRASE)
    with demo.app.read() as s:
        slots = s.execute(select(AllocationSlot.participant_id, AllocationSlot.stratum,
                                 AllocationSlot.position)
                          .where(AllocationSlot.participant_id.is_not(None))).all()
    out = {}
    for pid, stratum, position in slots:
        listed = opened.allocation.slots_for(stratum)[position - 1]
        conditions = allocation.slot_conditions(protocol, listed)
        for period, (visit, condition) in enumerate(conditions.items(), start=1):
            out[(pid, visit)] = (condition, period)
    return out


def _import_results(demo: DemoStudy) -> None:
    """Scan summaries (BIDS-named TSV) and questionnaires (a REDCap export) of every visit
    done so far, written to a temporary folder and imported as a coordinator would."""

    import pandas as pd

    from db.models import Participant, Visit
    from trialcore.synthetic import synthetic_item_responses, synthetic_scan_values

    app, protocol = demo.app, demo.app.protocol
    conditions = _visit_conditions(demo)
    with app.read() as s:
        done = s.execute(select(Participant.id, Participant.label, Participant.stratum,
                                Visit.visit).join(Visit).where(Visit.status == "done")
                         .order_by(Participant.number, Visit.id)).all()
    rows = [{"participant": label, "stratum": stratum, "visit": visit,
             "condition": conditions.get((pid, visit), (None, None))[0],
             "period": conditions.get((pid, visit), (None, None))[1]}
            for pid, label, stratum, visit in done]
    scans = pd.DataFrame(synthetic_scan_values(rows, seed=SYNTHETIC_SEED))
    number = scans.pop("participant").str.removeprefix(protocol.id_prefix)
    scans.insert(0, "bids_name", "sub-" + number + "_ses-" + scans.pop("visit")
                 + "_task-faces_bold")
    scales = [m for m in protocol.measures if m.kind == "questionnaire"]
    answers = pd.DataFrame(synthetic_item_responses(
        [r for r in rows if r["condition"] is not None],
        items={m.name: list(m.items) for m in scales},
        ranges={m.name: (int(m.min), int(m.max)) for m in scales},
        reverse={i for m in scales for i in m.reverse}, seed=SYNTHETIC_SEED))
    answers.insert(0, "record_id", answers.pop("participant"))
    answers.insert(1, "redcap_event_name", answers.pop("visit") + "_arm_1")
    answers["subjective_effects_complete"] = 2
    coordinator = demo.actor("coordinator")
    with scratch_folder(DEMO_SCRATCH) as folder:
        files = {"scans": folder / "scan_summaries.tsv",
                 "questionnaire": folder / "redcap_export.csv"}
        scans.to_csv(files["scans"], sep="\t", index=False)
        answers.to_csv(files["questionnaire"], index=False)
        for kind, path in files.items():
            report = imports.commit(app, coordinator, imports.ImportOptions(kind, str(path)))
            if not report.committed:
                raise Refused(f"demo {kind} import failed: "
                              + "; ".join(p.text(path.name) for p in report.errors[:5]))


# -- locked and unblinded: the trial is over ---------------------------------------------

LAST_DOSE_AGO = 30  # days: even the last participant's last dose lies in the past


def _clock(stage: str) -> dt.date:
    """The demo's "today" for registering and logging: a finished trial started earlier."""
    today = dt.date.today()
    if STAGES.index(stage) >= STAGES.index("locked"):
        return today - dt.timedelta(days=LAST_DOSE_AGO)
    return today


def _password(role: str) -> str:
    return next(password for _, r, password in ACCOUNTS if r == role)


def _finish_visits(demo: DemoStudy) -> None:
    """Every visit still open is logged as done, in protocol order, with its kit code."""
    coordinator = demo.actor("coordinator")
    for i, p in enumerate(participants.list_participants(demo.app, coordinator)):
        for spec in demo.app.protocol.visits:
            row = next(r for r in visits.list_visits(demo.app, coordinator, p.label)
                       if r.visit == spec.id)
            if row.status not in ("scheduled", "booked"):
                continue
            visits.log(demo.app, coordinator, p.label, spec.id,
                       date=min(row.target + dt.timedelta(days=i % 3), row.window_end),
                       code=row.code)


def _lock(demo: DemoStudy) -> None:
    lock.lock(demo.app, demo.actor("investigator"),
              "synthetic demo: every visit resolved and all results imported",
              _password("investigator"))


def _unblind(demo: DemoStudy) -> None:
    unblinding.unblind_study(demo.app, demo.actor("statistician"),
                             "synthetic demo: data locked, analysis plan final", PASSPHRASE,
                             _password("statistician"))


# (participant, visit, measure, question, answer or None: left open, correction)
DEMO_QUERIES = (
    ("P002", "dose1", "amygdala_threat", "Please confirm against the scan report.", None),
    ("P004", "baseline", "fd_mean", "Motion looks high for this session: checked?",
     "Checked with the radiographer's log: the participant moved; value is correct."),
)
# (participant, visit, term, severity, serious, related, resolved after days)
DEMO_EVENTS = (
    ("P001", "dose1", "headache", "mild", "no", "possible", 1),
    ("P006", "dose2", "nausea", "moderate", "no", "probable", 2),
    ("P009", "dose1", "fainting (vasovagal syncope)", "severe", "yes", "unlikely", None),
)


def _done_on(demo: DemoStudy, label: str, visit: str) -> dt.date | None:
    row = next(r for r in visits.list_visits(demo.app, demo.actor("coordinator"), label)
               if r.visit == visit)
    return row.actual if row.status == "done" else None


def _monitoring(demo: DemoStudy) -> None:
    """A running study's monitoring: an open query and a closed one, SDV marks on the
    first participants' done visits, and a few adverse events (one serious)."""
    monitor, coordinator = demo.actor("monitor"), demo.actor("coordinator")
    for label, visit, name, question, reply in DEMO_QUERIES:
        if _done_on(demo, label, visit) is None:
            continue
        q = queries.open_query(demo.app, monitor, label, visit, name, question)
        if reply:
            queries.answer(demo.app, coordinator, q.id, reply)
            queries.close(demo.app, monitor, q.id, "Thank you: resolved.")
    for label in ("P001", "P002"):
        for spec in demo.app.protocol.visits:
            if _done_on(demo, label, spec.id) is not None:
                sdv.mark(demo.app, monitor, label, spec.id)
    for label, visit, term, severity, serious, related, after in DEMO_EVENTS:
        onset = _done_on(demo, label, visit)
        if onset is None:
            continue
        resolved = onset + dt.timedelta(days=after) if after is not None else None
        adverse_events.add(demo.app, coordinator, label, term=term, onset=onset,
                           severity=severity, serious=serious, related=related, visit=visit,
                           resolved=resolved if resolved and resolved <= demo.today else None,
                           outcome="recovered" if resolved else None)


# (participant, the first coordinator's paper form answers, the second's) at baseline,
# whose questionnaire is typed from paper (the file imports hold the dosing visits')
DEMO_DOUBLE_ENTRY = (
    ("P001", {"lik_angry_1": "4", "lik_angry_2": "5", "lik_angry_3": "3", "lik_angry_4": "6"},
     {"lik_angry_1": "4", "lik_angry_2": "5", "lik_angry_3": "3", "lik_angry_4": "6"}),
    ("P002", {"lik_angry_1": "7", "lik_angry_2": "6", "lik_angry_3": "6", "lik_angry_4": "5"},
     {"lik_angry_1": "1", "lik_angry_2": "6", "lik_angry_3": "6", "lik_angry_4": "5"}),
)


def _double_entry(demo: DemoStudy) -> None:
    """Baseline likability forms typed by both coordinators: P001's agree (stored), P002's
    first item differs (a mismatch left open for a resolver)."""
    first, second = (Actor(name, role) for name, role, _ in ACCOUNTS[1:3])
    for label, typed_first, typed_second in DEMO_DOUBLE_ENTRY:
        if _done_on(demo, label, "baseline") is None:
            continue
        data_entry.set_values(demo.app, first, label, "baseline", typed_first)
        data_entry.set_values(demo.app, second, label, "baseline", typed_second)


def _resolve_double_entries(demo: DemoStudy) -> None:
    """Before the lock the investigator decides each open double entry from the paper form
    (the checklist demands none open)."""
    investigator = demo.actor("investigator")
    for row in double_entry.pending(demo.app, investigator):
        data_entry.resolve(demo.app, investigator, row.participant, row.visit,
                           {row.name: row.first_value}, "checked against the paper form")


def _close_queries(demo: DemoStudy) -> None:
    """Before the lock every query is answered and closed (the checklist demands it)."""
    monitor, coordinator = demo.actor("monitor"), demo.actor("coordinator")
    for q in queries.list_queries(demo.app, monitor):
        if q.status == "open":
            queries.answer(demo.app, coordinator, q.id, "Confirmed against the source.")
        if q.status != "closed":
            queries.close(demo.app, monitor, q.id, "Resolved before lock.")
