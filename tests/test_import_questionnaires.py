"""Questionnaire imports: every format stores its answers and scores the protocol's scales."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from db.models import ResponseSet
from services import audit_trail, imports
from services.context import App
from tests.importers.files import ANX, LIK, qualtrics, redcap, write_csv
from tests.importers.helpers import answers, baseline_study, counts, stored, verified


def _options(path: Path, **kw: object) -> imports.ImportOptions:
    return imports.ImportOptions("questionnaire", str(path), **kw)  # type: ignore[arg-type]


def test_redcap_export_is_stored_and_scored(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [1, 2, 3])["cora"]
    path = redcap(tmp_path / "redcap.csv", [
        ("1", "baseline_arm_1", [1, 2, 5, 4]),
        ("2", "baseline_arm_1", [1, 2, "", 4]),
        ("3", "screening_arm_1", ["", "", "", ""])])
    report = imports.commit(app, cora, _options(path))
    assert report.committed and report.format == "redcap csv"
    assert (report.rows, report.inserted, report.skipped) == (3, 2, 1)
    items = answers(app)
    assert items[("P001", "baseline", "anx_3")] == 5.0 and len(items) == 7
    scores = stored(app)
    assert scores == {("P001", "baseline", "subjective_anxiety"): 8.0}
    assert any(w.row == 3 and "3 of 4 items answered, 4 needed" in w.message
               for w in report.warnings)
    assert report.values == {"item_responses": {"new": 7, "changed": 0, "unchanged": 0},
                             "observations": {"new": 1, "changed": 0, "unchanged": 0}}
    assert verified(app, cora)


def test_later_answers_are_scored_with_the_stored_ones(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [2])["cora"]
    imports.commit(app, cora, _options(redcap(tmp_path / "a.csv",
                                              [("2", "baseline_arm_1", [1, 2, "", 4])])))
    assert stored(app) == {}
    late = redcap(tmp_path / "b.csv", [("2", "baseline_arm_1", ["", "", 1, ""])])
    report = imports.commit(app, cora, _options(late))
    assert report.committed and report.inserted == 1
    assert stored(app) == {("P002", "baseline", "subjective_anxiety"): 12.0}
    assert verified(app, cora)


def test_qualtrics_with_chosen_columns(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [1, 2])["cora"]
    answers = dict(zip(LIK, [3, 4, 5, 6], strict=True))
    path = qualtrics(tmp_path / "q.csv", [
        {"Status": "IP Address", "Finished": "True", "ExternalReference": "sub-001",
         "visit_label": "Baseline fMRI", **answers},
        {"Status": "Survey Preview", "Finished": "True", "ExternalReference": "P777",
         "visit_label": "baseline", **answers}], items=LIK)
    report = imports.commit(app, cora, _options(path, participant_column="externalreference",
                                                visit_column="visit_label"))
    assert report.committed and report.format == "qualtrics csv"
    assert (report.rows, report.inserted, report.skipped) == (2, 1, 1)
    assert stored(app) == {("P001", "baseline", "likability_angry"): 4.5}


def test_long_wide_and_workbook_tables(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [1, 2, 3])["cora"]
    long = write_csv(tmp_path / "long.csv", ["participant", "visit", "item", "value"],
                     [["P1", "baseline", item, v] for item, v in zip(ANX, [1, 1, 5, 1],
                                                                     strict=True)])
    assert imports.commit(app, cora, _options(long)).inserted == 4
    wide = write_csv(tmp_path / "wide.csv", ["participant", "visit", *LIK],
                     [["2", "baseline", 9, 9, 9, 9]], delimiter=";")
    assert imports.commit(app, cora, _options(wide)).inserted == 1
    book = openpyxl.Workbook()
    book.active.append(["subject", "timepoint", *LIK])
    book.active.append(["P003", "baseline", 1, 2, None, 3])
    book.save(tmp_path / "wide.xlsx")
    report = imports.commit(app, cora, _options(tmp_path / "wide.xlsx", format="wide"))
    assert report.committed and report.format == "wide xlsx"
    assert stored(app) == {("P001", "baseline", "subjective_anxiety"): 4.0,
                           ("P002", "baseline", "likability_angry"): 9.0,
                           ("P003", "baseline", "likability_angry"): 2.0}
    assert verified(app, cora)


def test_answers_out_of_range_or_changed(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [1])["cora"]
    path = redcap(tmp_path / "r.csv", [("1", "baseline_arm_1", [1, 2, 7, 4])])
    report = imports.preview(app, cora, "questionnaire", path)
    assert [(e.row, e.column) for e in report.errors] == [(2, "anx_3")]
    assert "7 is outside the range of anx_3 (1 to 5)" in report.errors[0].message
    imports.commit(app, cora, _options(redcap(tmp_path / "ok.csv",
                                              [("1", "baseline_arm_1", [1, 2, 3, 4])])))
    changed = redcap(tmp_path / "new.csv", [("1", "baseline_arm_1", [1, 2, 2, 4])])
    refused = imports.commit(app, cora, _options(changed))
    assert {(e.column, e.row) for e in refused.errors} == {("anx_3", 2),
                                                          ("subjective_anxiety", 2)}
    done = imports.commit(app, cora, _options(changed, update=True), reason="typo fixed")
    assert done.committed and done.values["observations"]["changed"] == 1
    assert stored(app)[("P001", "baseline", "subjective_anxiety")] == 11.0
    assert verified(app, cora)


@pytest.mark.parametrize("column", ["arm", "Treatment group", "kitCode", "dose_mg",
                                    "randomisation"])
def test_treatment_columns_are_refused_until_dropped(app: App, tmp_path: Path,
                                                     column: str) -> None:
    cora = baseline_study(app, [1])["cora"]
    path = write_csv(tmp_path / "w.csv", ["participant", "visit", column, *LIK],
                     [["P001", "baseline", "A", 1, 2, 3, 4]])
    before = counts(app)
    report = imports.commit(app, cora, _options(path))
    assert [e.column for e in report.errors] == [column] and counts(app) == before
    report = imports.commit(app, cora, _options(path, drop_columns=(column,)))
    assert report.committed


def test_each_answer_keeps_its_own_import_and_changes_are_audited(app: App,
                                                                  tmp_path: Path) -> None:
    """Answers of one visit are stored together, yet provenance and the audit trail stay
    per answer: an update names the old and new value of just the answer it changed."""
    cora = baseline_study(app, [1, 2])["cora"]
    first = imports.commit(app, cora, _options(redcap(tmp_path / "a.csv", [
        ("1", "baseline_arm_1", [1, 2, "", 4]), ("2", "baseline_arm_1", [5, 5, 5, 5])])))
    again = imports.commit(app, cora, _options(redcap(tmp_path / "a.csv", [
        ("1", "baseline_arm_1", [1, 2, "", 4]), ("2", "baseline_arm_1", [5, 5, 5, 5])])))
    assert again.ok and again.nothing_to_change and again.unchanged == 2
    fixed = imports.commit(app, cora, _options(redcap(tmp_path / "b.csv", [
        ("1", "baseline_arm_1", [3, "", 1, ""])]), update=True), reason="paper form re-read")
    assert fixed.values["item_responses"] == {"new": 1, "changed": 1, "unchanged": 0}
    assert answers(app) == {**{("P001", "baseline", i): v for i, v in
                               zip(ANX, [3.0, 2.0, 1.0, 4.0], strict=True)},
                            **{("P002", "baseline", i): 5.0 for i in ANX}}
    sources = {(r["participant"], r["name"]): r["import_id"]
               for r in imports.provenance(app, cora, "P001") if r["table"] == "item_responses"}
    assert sources == {("P001", "anx_1"): fixed.import_id, ("P001", "anx_2"): first.import_id,
                       ("P001", "anx_3"): fixed.import_id, ("P001", "anx_4"): first.import_id}
    with app.read() as s:
        versions = dict(s.execute(select(ResponseSet.participant_id, ResponseSet.version)).all())
    assert sorted(versions.values()) == [1, 2]
    changes = [e for e in audit_trail.entries(app, cora) if e["action"] == "import.update"
               and e["entity"] == "item_responses"]
    assert [(c["entity_key"], json.loads(c["before"])["value"],  # type: ignore[arg-type]
             json.loads(c["after"])["value"], c["reason"])  # type: ignore[arg-type]
            for c in changes] == [("P001/baseline/anx_1", 1.0, 3.0, "paper form re-read")]
    assert verified(app, cora)
