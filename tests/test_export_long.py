"""The long export, built from columns, against an expectation computed row by row.

A small synthetic study (benchmarks/study_builder.py) gets rows the builder never
writes: a NULL value, a NaN (PostgreSQL keeps it, SQLite stores NULL), values no
import wrote, measures and visits the protocol does not name, a participant with
no stratum, one registered only, labels and an import file named like formulas.
The expectation is worked out here the plain way, one observation at a time from
ORM queries, and compared cell by cell with the CSV, TSV and XLSX files, before
unblinding and after.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from benchmarks import study_builder
from db.models import (
    AllocationSlot,
    DoseCode,
    ImportRecord,
    Observation,
    Participant,
    RevealedCondition,
    Visit,
)
from services import exports
from services.context import Actor, App

CORA = Actor("cora", "coordinator")
HEADER = ["participant", "stratum", "visit", "visit_label", "period", "visit_date",
          "visit_status", "dose_code", "measure", "value", "unit", "import_id", "import_file",
          "imported_at"]
CONDITIONS = ["condition", "condition_label", "dose_mg"]


def _person(pid: int, number: int, label: str, stratum: str | None, status: str) -> dict:
    return {"id": pid, "number": number, "label": label, "status": status, "stratum": stratum,
            "stratum_source": "manual" if stratum else None, "stratum_reason": None,
            "registered_on": dt.date(2025, 1, 1), "enrolled_on": None, "notes": "",
            "emergency_unblinded": False, "version": 1}


def _value(pid: int, visit: str, measure: str, value: float | None,
           import_id: int | None) -> dict:
    return {"participant_id": pid, "visit": visit, "measure": measure, "value": value,
            "import_id": import_id, "version": 1}


@pytest.fixture
def study(db_url: str, tmp_path: Path) -> App:
    app = App(db_url)
    study_builder.build(app, 9, tmp_path, measures=3)
    with app.engine.begin() as conn:
        other = conn.execute(insert(ImportRecord.__table__).values(
            kind="scans", file_name='=cmd|"x".tsv', sha256="1" * 64, size=0, format="tsv",
            options="{}", by="test", at=dt.datetime(2026, 1, 5, 3, 4, 5, 123456), rows=0,
            inserted=0, updated=0, unchanged=0)).inserted_primary_key[0]
        conn.execute(insert(Participant.__table__), [
            _person(9001, 0, "-B0", "high", "registered"),
            _person(9002, 500, "B500", "low", "withdrawn"),
            _person(9003, 77, "@B77", None, "registered")])
        conn.execute(insert(Visit.__table__).values(
            participant_id=9001, visit="screening", target_date=dt.date(2025, 1, 2),
            window_start=dt.date(2025, 1, 1), window_end=dt.date(2025, 1, 9), status="booked",
            version=1))
        conn.execute(insert(Observation.__table__), [
            _value(9001, "screening", "fd_mean", None, None),
            _value(9001, "screening", "zz_extra", -0.0, other),
            _value(9001, "screening", "aa_extra", 1e-20, other),
            _value(9002, "weird", "roi_01", 3.0, other),
            _value(9002, "another", "roi_02", 1e22, None),
            _value(9002, "another", "roi_01", math.nan, None),
            _value(9002, "dose1", "roi_01", 2.5, other),
            _value(9003, "baseline", "roi_02", 0.1, other),
            _value(1, "dose2", "zz_extra", 7.0, other),
            _value(9002, "weird", "roi_02", -1.5, other),  # unnamed visits: by measure
        ])
    return app


def _expected(app: App, unblinded: bool) -> list[list[Any]]:
    """Every observation's row, one at a time, from the ORM."""
    p = app.protocol
    visit_ids = [v.id for v in p.visits]
    measure_names = [m.name for m in p.measures]
    dosing = [v.id for v in p.dosing_visits]
    with app.read() as s:
        people = {x.id: x for x in s.scalars(select(Participant))}
        visits = {(v.participant_id, v.visit): v for v in s.scalars(select(Visit))}
        codes = {(pid, visit): code for pid, visit, code in s.execute(
            select(AllocationSlot.participant_id, DoseCode.visit, DoseCode.code)
            .join(DoseCode, DoseCode.slot_id == AllocationSlot.id))}
        revealed = {(r.participant_id, r.visit): r.condition
                    for r in s.scalars(select(RevealedCondition))}
        imports = {i.id: i for i in s.scalars(select(ImportRecord))}
        observations = s.scalars(select(Observation).order_by(Observation.id)).all()
    assert bool(revealed) == unblinded

    def place(o: Observation) -> tuple:
        visit = visit_ids.index(o.visit) if o.visit in visit_ids else len(visit_ids)
        measure = (measure_names.index(o.measure) if o.measure in measure_names
                   else len(measure_names))
        return people[o.participant_id].number, visit, measure, o.measure

    rows = []
    for o in sorted(observations, key=place):
        person, spec, m = people[o.participant_id], p.visit(o.visit), p.measure(o.measure)
        logged = visits.get((o.participant_id, o.visit))
        source = imports.get(o.import_id)
        row = [person.label, person.stratum, o.visit, spec.label if spec else None,
               dosing.index(o.visit) + 1 if o.visit in dosing else None,
               logged.actual_date.isoformat() if logged and logged.actual_date else None,
               logged.status if logged else None,
               codes.get((o.participant_id, o.visit)) if o.visit in dosing else None]
        if unblinded:
            given = p.condition(revealed.get((o.participant_id, o.visit), ""))
            dose = given.dose_mg if given else None
            row += [given.code if given else None, given.label if given else None,
                    int(dose) if dose is not None and dose == int(dose) else dose]
        row += [o.measure, o.value, m.unit if m else None, o.import_id,
                source.file_name if source else None,
                source.at.isoformat() + "Z" if source else None]
        rows.append(row)
    return rows


def _safe(cell: Any) -> Any:
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    return repr(cell) if isinstance(cell, float) else str(_safe(cell))


def _check(app: App, folder: Path, unblinded: bool) -> None:
    header = HEADER[:8] + (CONDITIONS if unblinded else []) + HEADER[8:]
    expected = _expected(app, unblinded)
    texts = [[_text(cell) for cell in row] for row in expected]
    for name, delimiter in (("long.csv", ","), ("long.tsv", "\t")):
        result = exports.export(app, CORA, folder / name, "long", force=True)  # again later
        assert result.rows == len(expected) and result.unblinded == unblinded
        with (folder / name).open(newline="", encoding="utf-8") as fh:
            written = list(csv.reader(fh, delimiter=delimiter))
        assert written[0] == header
        assert written[1:] == texts
    exports.export(app, CORA, folder / "long.xlsx", "long", force=True)
    sheet = load_workbook(folder / "long.xlsx")["data"]
    cells = list(sheet.iter_rows(values_only=True))
    assert list(cells[0]) == header
    assert [[_cell(c) for c in row] for row in cells[1:]] == [
        [_cell(_safe(c)) for c in row] for row in expected]


def _cell(value: Any) -> Any:
    """An XLSX cell as compared: floats to 12 digits (the file keeps 15 or so), NaN empty."""
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.12g}")
    return value


def test_the_long_export_matches_a_row_by_row_expectation(study: App, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    _check(study, folder, unblinded=False)
    study_builder.unblind(study)
    _check(study, folder, unblinded=True)
    study.close()
