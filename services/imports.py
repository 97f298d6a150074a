"""Importing scan summaries and questionnaires: preview first, then commit whole or not at all.

The work is split so a GUI worker thread can run it with progress and cancel:
read the file and find its keys (pure, importers/), take a snapshot of the
study state it needs, validate against that snapshot (pure, vectorized), and
only then write. `commit` validates again against a fresh snapshot inside its
own transaction, so a preview that someone else's save made stale gives a
Conflict instead of a wrong write.

Rules (see importers/validation.py for the visit and blinding rules):
- a blank cell never erases a stored value: to remove data is not an import's job;
- a value that differs from the stored one is an update: it needs --update and a
  reason, and each one gets its own audit entry with old and new value;
- re-importing a file changes nothing and says so (all rows unchanged);
- questionnaire scales are re-scored from the file's answers merged with the
  answers stored earlier for the same participant and visit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from collections.abc import Mapping as MappingType
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from db.models import (
    MappingProfile,
    Observation,
    Participant,
    Study,
    Visit,
    utcnow,
)
from importers.changes import UNCHANGED
from importers.extract import Extract
from importers.keys import participant_numbers
from importers.mapping import Mapping
from importers.problems import FileProblem, Problem
from importers.questionnaires import FORMATS, extract_questionnaire
from importers.reading import read_table
from importers.scans import extract_scans
from importers.validation import STORED_COLUMNS, Plan, Snapshot, validate
from services.answer_store import stored_answers
from services.context import Actor, App, need_reason, require
from services.errors import Conflict, NotFound, Refused
from services.import_records import list_imports, provenance  # noqa: F401 (CLI, tests)
from services.import_store import Cancelled, write
from services.lifecycle import require_open
from services.sdv import clear_marks
from trialcore.protocol import Protocol
from trialcore.wording import counted

KINDS = ("scans", "questionnaire")
FORMATS_CHOICES = FORMATS
IMPORT_LOCK = 0x1A9047  # PostgreSQL: one import at a time, so snapshots cannot go stale
MAX_LISTED = 1000
Progress = Callable[[float, str], None]


def no_progress(_fraction: float, _text: str) -> None:
    return None


def _never() -> bool:
    return False


@dataclass(frozen=True)
class ImportOptions:
    """Everything a user can choose about one import (CLI flags, wizard pages)."""

    kind: str
    path: str
    format: str = "auto"
    visit: str | None = None
    participant_column: str | None = None
    visit_column: str | None = None
    drop_columns: tuple[str, ...] = ()
    columns: MappingType[str, str] = field(default_factory=dict)
    visits: MappingType[str, str] = field(default_factory=dict)
    value_labels: MappingType[str, float] = field(default_factory=dict)
    profile: str | None = None
    save_profile: str | None = None
    update: bool = False
    sheet: str | None = None
    decimal: str | None = None  # "," or "."; None: the delimiter decides
    keep_test: bool = False  # Qualtrics previews, tests and spam are imported too
    only_registered: bool = False  # rows of unregistered participants are skipped, listed
    bids_filter: MappingType[str, str] = field(default_factory=dict)  # task, run, acq...

    def mapping(self) -> Mapping:
        return Mapping(participant_column=self.participant_column,
                       visit_column=self.visit_column, visit=self.visit,
                       columns=dict(self.columns), visits=dict(self.visits),
                       value_labels=dict(self.value_labels),
                       drop_columns=list(self.drop_columns),
                       bids_filter=dict(self.bids_filter))


@dataclass
class ImportReport:
    """The validation report (CLI.md import JSON) and, after a commit, its outcome."""

    options: ImportOptions
    file_name: str
    sha256: str = ""
    size: int = 0
    format: str = ""
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    skipped_participants: list[str] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    unknown_participants: list[str] = field(default_factory=list)
    values: dict[str, dict[str, int]] = field(default_factory=dict)
    committed: bool = False
    import_id: int | None = None
    mapping: Mapping = field(default_factory=Mapping)
    unmatched: list[str] = field(default_factory=list)
    treatment_columns: list[str] = field(default_factory=list)
    extract: Extract | None = field(default=None, repr=False)
    plan: Plan | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def accounting(self) -> dict[str, Any]:
        """Every row read is imported, skipped (by reason) or rejected, exactly once."""
        return {"read": self.rows, "imported": self.inserted + self.updated + self.unchanged,
                "skipped": dict(self.skipped_by_reason), "rejected": self.rejected}

    def to_json(self, hint: Callable[[Problem], str] | None = None) -> dict[str, Any]:
        """The CLI.md import document; `hint` words a problem's option for the reader."""
        return {
            "file": self.file_name, "kind": self.options.kind, "format": self.format,
            "rows": self.rows, "committed": self.committed, "inserted": self.inserted,
            "updated": self.updated, "unchanged": self.unchanged, "skipped": self.skipped,
            "rejected": self.rejected, "accounting": self.accounting,
            "errors": _listed(self.errors, "errors", hint),
            "warnings": _listed(self.warnings, "warnings", hint),
            "unknown_participants": self.unknown_participants,
            "skipped_participants": self.skipped_participants, "values": self.values,
            "import_id": self.import_id, "sha256": self.sha256,
            "mapping": asdict(self.mapping),
        }

    @property
    def nothing_to_change(self) -> bool:
        return self.ok and not any(v["new"] or v["changed"] for v in self.values.values())

    def summary(self) -> str:
        verb = "imported" if self.committed else "would import"
        head = (f"{self.file_name}: {counted(self.rows, 'row')} read; {verb} {self.inserted} new, "
                f"{self.updated} updated, {self.unchanged} unchanged")
        for why, n in self.skipped_by_reason.items():
            head += f", {n} skipped ({why})"
        if self.rejected:
            head += f", {self.rejected} rejected"
        if self.nothing_to_change and self.rows:
            head += ". Everything in it is stored already: nothing to change"
        elif self.errors:
            rows = f" in {counted(self.rejected, 'row')}" if self.rejected else ""
            head += f". {counted(len(self.errors), 'error')}{rows}: nothing was written"
        return head


def _listed(problems: list[Problem], what: str,
            hint: Callable[[Problem], str] | None = None) -> list[dict[str, Any]]:
    """At most MAX_LISTED problems in JSON, then one line that says how many more."""
    out = [p.as_dict() for p in problems[:MAX_LISTED]]
    if hint is not None:
        for d, p in zip(out, problems, strict=False):
            if words := hint(p):
                d["message"] += f" ({words})"
    if len(problems) > MAX_LISTED:
        out.append(Problem(None, None, f"… and {len(problems) - MAX_LISTED} more "
                           f"{what} not listed").as_dict())
    return out


# -- reading and snapshots ----------------------------------------------------------------

def _check_options(options: ImportOptions) -> None:
    if options.kind not in KINDS:
        raise Refused(f"unknown import kind {options.kind!r}; kinds are {', '.join(KINDS)}")
    if options.kind == "questionnaire" and options.format not in FORMATS:
        raise Refused(f"unknown format {options.format!r}; formats are {', '.join(FORMATS)}")
    if not Path(options.path).is_file():
        raise Refused(f"{options.path}: no such file")


def _profile_mapping(session: Session, options: ImportOptions) -> Mapping:
    """A saved profile with the options' explicit choices on top."""
    if options.profile is None:
        return options.mapping()
    profile = session.scalar(select(MappingProfile).where(MappingProfile.name == options.profile))
    if profile is None:
        raise NotFound(f"no mapping profile {options.profile!r}")
    if profile.kind != options.kind:
        raise Refused(f"profile {options.profile!r} is for {profile.kind} imports, not "
                      f"{options.kind}")
    return Mapping.from_json(profile.mapping).overlay(options.mapping())


def read(app: App, options: ImportOptions) -> tuple[Extract | None, ImportReport]:
    """Read the file and find its keys and columns (no validation against the study yet)."""
    _check_options(options)
    path = Path(options.path)
    data = path.read_bytes()
    report = ImportReport(options, path.name, hashlib.sha256(data).hexdigest(), len(data))
    with app.read() as s:
        mapping = _profile_mapping(s, options)
    try:
        keep = app.protocol.missing_codes + tuple(
            c for m in app.protocol.measures for c in m.missing_codes)
        table = read_table(path, sheet=options.sheet, decimal=options.decimal,
                           keep=keep if options.kind == "questionnaire" else ())
    except FileProblem as exc:
        report.errors = [exc.problem]
        report.format = path.suffix.lstrip(".").lower()
        return None, report
    protocol = app.protocol
    if options.kind == "scans":
        extract = extract_scans(table, protocol, mapping)
    else:
        extract = extract_questionnaire(table, protocol, mapping, options.format,
                                        keep_test=options.keep_test)
    report.format = _format_name(extract)
    report.mapping, report.unmatched = extract.mapping, extract.unmatched
    report.treatment_columns, report.extract = extract.treatment, extract
    return extract, report


def _format_name(extract: Extract) -> str:
    fmt = extract.table.format
    if extract.kind == "questionnaire":
        return f"{extract.format} {fmt}"
    return f"{fmt}, BIDS names" if extract.mapping.bids_column else fmt


def _frame(conn: Connection, statement: Any, columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(statement).all()
    return pd.DataFrame.from_records(rows, columns=columns)


def snapshot(session: Session, extract: Extract, protocol: Protocol) -> Snapshot:
    """The study state this file's validation needs, read in a handful of queries."""
    conn = session.connection()
    people = _frame(conn, select(Participant.id, Participant.number, Participant.label,
                                 Participant.status, Participant.withdrawn_on),
                    ["id", "number", "label", "status", "withdrawn_on"])
    visits = _frame(conn, select(Visit.participant_id, Visit.visit, Visit.status,
                                 Visit.actual_date, Visit.booked_date, Visit.target_date),
                    ["participant_id", "visit", "status", "actual_date", "booked_date",
                     "target_date"])
    targets = sorted(pd.unique(extract.values["target"].dropna()))
    stored = {}
    if extract.kind == "scans":
        stored["observations"] = _stored(conn, Observation, Observation.measure, targets)
    else:
        scales = [m for m in protocol.measures if set(m.items) & set(targets)]
        items = sorted({i for m in scales for i in m.items})
        stored["item_responses"] = stored_answers(conn, _file_people(extract, people,
                                                                      protocol), items)
        stored["observations"] = _stored(conn, Observation, Observation.measure,
                                         sorted(m.name for m in scales))
    stage = session.scalar(select(Study.stage)) or "setup"
    return Snapshot(stage, dt.date.today(), people, visits, stored)


def _file_people(extract: Extract, people: pd.DataFrame, protocol: Protocol) -> list[int]:
    """Ids of the registered participants the file names (their stored answers are read)."""
    names = pd.Series(pd.unique(extract.values["participant"].dropna()))
    numbers, _ = participant_numbers(names, protocol.id_prefix)
    return sorted(people.loc[people["number"].isin(numbers), "id"].astype(int).tolist())


def _stored(conn: Connection, model: Any, target: Any, names: list[str]) -> pd.DataFrame:
    if not names:
        return pd.DataFrame(columns=STORED_COLUMNS)
    return _frame(conn, select(model.id, model.participant_id, model.visit, target,
                               model.value, model.import_id).where(target.in_(names)),
                  STORED_COLUMNS)


def _fill(report: ImportReport, plan: Plan) -> ImportReport:
    report.plan = plan
    report.rows = plan.rows
    report.errors += plan.errors
    report.warnings += plan.warnings
    report.unknown_participants = plan.unknown_participants
    report.skipped_participants = plan.skipped_participants
    report.values = plan.values
    for key in ("inserted", "updated", "unchanged", "rejected"):
        setattr(report, key, plan.counts[key])
    report.skipped_by_reason = dict(plan.skipped)
    report.skipped = sum(plan.skipped.values())
    return report


# -- the use cases --------------------------------------------------------------------------

def preview(app: App, actor: Actor, kind: str, path: str | Path,
            options: ImportOptions | None = None, progress: Progress = no_progress,
            cancelled: Callable[[], bool] = _never) -> ImportReport:
    """The validation report of an import, writing nothing (CLI --dry-run, wizard page)."""
    require(actor, "imports.write")
    require_open(app)
    options = replace(options or ImportOptions(kind, str(path)), kind=kind, path=str(path))
    progress(0.0, f"reading {Path(path).name}")
    extract, report = read(app, options)
    if extract is None:
        return report
    if cancelled():
        raise Refused("the check was cancelled")
    progress(0.5, "checking the values against the study")
    with app.read() as s:
        snap = snapshot(s, extract, app.protocol)
    plan = validate(extract, snap, app.protocol, allow_update=options.update,
                    only_registered=options.only_registered)
    progress(1.0, "checked")
    return _fill(report, plan)


def commit(app: App, actor: Actor, report_or_options: ImportReport | ImportOptions,
           reason: str | None = None, progress: Progress = no_progress,
           cancelled: Callable[[], bool] = _never) -> ImportReport:
    """Write the import whole in one transaction, or nothing (the report says why not).

    Given a preview's report, the values it showed are written unless the stored
    data changed since (Conflict: preview again). Given options, the file is read
    and validated here.
    """
    require(actor, "imports.write")
    require_open(app)
    if isinstance(report_or_options, ImportReport):
        previewed = report_or_options
        extract, report = previewed.extract, replace(previewed, errors=[], warnings=[],
                                                     plan=None)
        if extract is None or not previewed.ok:
            return previewed
    else:
        previewed = None
        progress(0.0, f"reading {Path(report_or_options.path).name}")
        extract, report = read(app, report_or_options)
        if extract is None:
            return report
    options = report.options
    try:
        with app.write(actor, f"import.{options.kind}", reason) as s:
            conn = s.connection()
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})")
            progress(0.05, "checking the values against the study")
            if cancelled():
                raise Cancelled
            plan = validate(extract, snapshot(s, extract, app.protocol), app.protocol,
                            allow_update=options.update,
                            only_registered=options.only_registered)
            if previewed is not None and _outcome(plan) != _outcome(previewed.plan):
                raise Conflict("the stored data changed since this import was checked "
                               "(someone saved values meanwhile); nothing was written. "
                               "Check the file again and commit the new report.")
            _fill(report, plan)
            if not report.ok:
                return report
            if options.save_profile:
                _save_profile(s, options.save_profile, options.kind, extract.mapping)
            if report.nothing_to_change:
                return report
            changed = sum(v["changed"] for v in plan.values.values())
            if changed:
                reason = need_reason(reason, f"changing {counted(changed, 'stored value')}")
            record = _record(actor, report, extract)
            report.import_id = write(conn, actor.name, record, plan.changes, reason,
                                     lambda f, t: progress(0.1 + 0.85 * f, t), cancelled)
            report.warnings += _clear_verified(s, plan, report.import_id)
    except Cancelled as exc:
        raise Refused("the import was cancelled; nothing was written") from exc
    except DBAPIError as exc:  # a constraint the checks could not foresee: still all or nothing
        why = str(exc.orig).strip().splitlines()[0]
        raise Refused(f"the database refused the import: {why}; nothing was written") \
            from exc
    report.committed = True
    progress(1.0, "imported")
    return report


def _clear_verified(session: Session, plan: Plan, import_id: int) -> list[Problem]:
    """A value added or changed at a source-verified visit clears its SDV mark (say so)."""
    touched: set[tuple[int, str]] = set()
    for frame in plan.changes.values():
        moved = frame[frame["state"].to_numpy() != UNCHANGED]
        touched.update(zip(moved["participant_id"].astype(int).tolist(),
                           moved["visit"].astype(str).tolist(), strict=True))
    cleared = clear_marks(session, touched, f"values changed by import {import_id} after "
                          "source-data verification")
    return [Problem(None, None, f"{v}: source-data verification cleared (values changed "
                    "after it); it needs verifying again") for v in cleared]


def _outcome(plan: Plan | None) -> tuple[Any, ...]:
    if plan is None:
        return ()
    return (len(plan.errors), tuple(sorted(plan.counts.items())),
            json.dumps(plan.values, sort_keys=True))


def _record(actor: Actor, report: ImportReport, extract: Extract) -> dict[str, Any]:
    options = report.options
    chosen = {"format": options.format, "update": options.update, "profile": options.profile,
              "sheet": options.sheet, "mapping": asdict(extract.mapping),
              "dropped_columns": extract.mapping.drop_columns, "decimal": options.decimal,
              "keep_test": options.keep_test, "only_registered": options.only_registered,
              "accounting": report.accounting,
              "skipped_participants": report.skipped_participants}
    return {"kind": options.kind, "file_name": report.file_name[:500], "sha256": report.sha256,
            "size": report.size, "format": report.format[:32],
            "options": json.dumps(chosen, sort_keys=True), "by": actor.name, "at": utcnow(),
            "rows": report.rows, "inserted": report.inserted, "updated": report.updated,
            "unchanged": report.unchanged}


def _save_profile(session: Session, name: str, kind: str, mapping: Mapping) -> None:
    """Named column mappings are plain audited rows (the ORM records them)."""
    profile = session.scalar(select(MappingProfile).where(MappingProfile.name == name))
    if profile is None:
        session.add(MappingProfile(name=name, kind=kind, mapping=mapping.to_json()))
    elif profile.kind != kind:
        raise Refused(f"profile {name!r} is for {profile.kind} imports; choose another name")
    else:
        profile.mapping = mapping.to_json()
    session.flush()


def save_profile(app: App, actor: Actor, name: str, kind: str, mapping: Mapping) -> None:
    require(actor, "imports.write")
    require_open(app)
    require_open(app)
    if not name.strip():
        raise Refused("a profile needs a name")
    with app.write(actor, "import.profile") as s:
        _save_profile(s, name.strip(), kind, mapping)


def profiles(app: App, actor: Actor, kind: str | None = None) -> list[dict[str, Any]]:
    require(actor, "study.read")
    q = select(MappingProfile).order_by(MappingProfile.name)
    if kind:
        q = q.where(MappingProfile.kind == kind)
    with app.read() as s:
        return [{"name": p.name, "kind": p.kind, "mapping": json.loads(p.mapping)}
                for p in s.scalars(q)]
