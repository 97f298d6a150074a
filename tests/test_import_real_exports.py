"""Real export shapes import exactly: each value lands where the file put it, and every
row read is accounted for as imported, skipped (with its reason) or rejected.

Each fixture is written the way the tool writes it (tests/importers/files.py); the
stored values are read back and compared, and the row accounting is checked on all.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import pytest

from services import imports
from services.context import Actor, App
from tests import conftest
from tests.importers.files import (
    ANX,
    qualtrics_insights,
    qualtrics_legacy,
    redcap,
    redcap_dictionary,
    redcap_repeating,
    workbook_with_formula,
    write_csv,
)
from tests.importers.helpers import MRIQC, answers, baseline_study, counts, stored, verified


def _q(path: Path, **kw: Any) -> imports.ImportOptions:
    return imports.ImportOptions("questionnaire", str(path), **kw)


def _s(path: Path, **kw: Any) -> imports.ImportOptions:
    return imports.ImportOptions("scans", str(path), **kw)


def accounted(report: imports.ImportReport) -> dict[str, Any]:
    """The identity every import keeps: read = imported + skipped + rejected."""
    acc = report.accounting
    assert acc["read"] == report.rows
    assert acc["read"] == acc["imported"] + sum(acc["skipped"].values()) + acc["rejected"]
    assert report.to_json()["accounting"] == acc
    return acc


def _check(app: App, actor: Actor, options: imports.ImportOptions) -> imports.ImportReport:
    report = imports.preview(app, actor, options.kind, options.path, options)
    accounted(report)
    return report


@pytest.fixture
def cora(app: App) -> Actor:
    return baseline_study(app, [1, 2, 3, 5, 7])["cora"]


# -- Qualtrics ------------------------------------------------------------------------------

LEGACY_ROWS = [
    {"ResponseID": "R_1", "ExternalDataReference": "P001", "Status": "0", "Finished": "1",
     "anx_1": 1, "anx_2": 2, "anx_3": 3, "anx_4": 4},
    {"ResponseID": "R_2", "ExternalDataReference": "P002", "Status": "1", "Finished": "1",
     "anx_1": 5, "anx_2": 5, "anx_3": 5, "anx_4": 5},
    {"ResponseID": "R_3", "ExternalDataReference": "P003", "Status": "0", "Finished": "1",
     "anx_1": 2, "anx_2": 3, "anx_3": 4, "anx_4": 1},
]


@pytest.mark.parametrize("fmt", ["auto", "qualtrics"])
def test_a_legacy_qualtrics_export_keeps_its_first_response(app: App, cora: Actor,
                                                           tmp_path: Path, fmt: str) -> None:
    path = qualtrics_legacy(tmp_path / "legacy.csv", LEGACY_ROWS, questions=ANX)
    report = imports.commit(app, cora, _q(path, format=fmt, visit="baseline"))
    assert report.committed and report.format == "qualtrics csv", report.errors
    assert accounted(report) == {"read": 3, "imported": 2, "rejected": 0, "skipped": {
        "Qualtrics preview, test or spam response": 1}}
    got = answers(app)
    assert {k: v for k, v in got.items() if k[0] == "P001"} == {
        ("P001", "baseline", i): float(v) for i, v in zip(ANX, [1, 2, 3, 4], strict=True)}
    assert {k: v for k, v in got.items() if k[0] == "P003"} == {
        ("P003", "baseline", i): float(v) for i, v in zip(ANX, [2, 3, 4, 1], strict=True)}
    assert not any(k[0] == "P002" for k in got)
    assert any(w.option == "keep_test" and "1 preview" in w.message and "row 4" not in
               w.message and w.message.endswith("rows 4") for w in report.warnings)
    assert verified(app, cora)


@pytest.mark.parametrize("single_quotes", [False, True])
def test_insights_export_status_codes_and_keeping_tests(app: App, cora: Actor, tmp_path: Path,
                                                        single_quotes: bool) -> None:
    rows = [{"Status": s, "Finished": "True", "ExternalReference": f"P00{n}",
             **dict.fromkeys(ANX, min(n, 5))}
            for n, s in [(1, "0"), (2, "2"), (3, "8"), (5, "4"), (7, "Survey Preview")]]
    path = qualtrics_insights(tmp_path / "insights.csv", rows, single_quotes=single_quotes)
    report = _check(app, cora, _q(path, visit="baseline"))
    assert report.ok and report.format == "qualtrics csv", report.errors
    assert report.inserted == 2 and report.skipped_by_reason == {
        "Qualtrics preview, test or spam response": 3}
    report = imports.commit(app, cora, _q(path, visit="baseline", keep_test=True))
    assert accounted(report) == {"read": 5, "imported": 5, "rejected": 0, "skipped": {}}
    assert {k[0] for k in answers(app)} == {"P001", "P002", "P003", "P005", "P007"}
    assert answers(app)[("P005", "baseline", "anx_2")] == 5.0


# -- column identity and participant IDs ---------------------------------------------------

def test_columns_that_differ_only_in_punctuation_stay_apart(app: App, cora: Actor,
                                                            tmp_path: Path) -> None:
    path = write_csv(tmp_path / "q.csv", ["participant", "visit", "Q2_-1", "Q2_1"],
                     [["P001", "baseline", 5, 1], ["P002", "baseline", 4, 2]])
    options = _q(path, drop_columns=("Q2_-1",), columns={"Q2_1": "anx_1"})
    report = imports.commit(app, cora, options)
    assert report.committed and accounted(report)["imported"] == 2
    assert answers(app) == {("P001", "baseline", "anx_1"): 1.0,
                            ("P002", "baseline", "anx_1"): 2.0}
    assert report.mapping.drop_columns == ["Q2_-1"]
    before = counts(app)
    near = _check(app, cora, _q(path, columns={"q2_1": "anx_2"}))
    assert [e.message for e in near.errors] == [
        "there is no column named exactly 'q2_1' to map; did you mean Q2_-1 or Q2_1?"]
    both = write_csv(tmp_path / "two.csv", ["Participant", "participant", "visit", "anx_1"],
                     [["P001", "P002", "baseline", 3]])
    report = imports.commit(app, cora, _q(both))
    assert not report.committed and "Participant and participant" in report.errors[0].message
    assert counts(app) == before


def test_sentinel_participant_ids_are_errors_naming_the_row(app: App, cora: Actor,
                                                            tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ids.csv", ["participant", "visit", "fd_mean"], [
        ["P001", "baseline", "0.2"], ["-16", "baseline", "0.3"], ["0", "baseline", "0.3"],
        ["999999999999999999999", "baseline", "0.3"], ["sub-", "baseline", "0.3"]])
    before = counts(app)
    report = imports.commit(app, cora, _s(path))
    assert not report.committed and counts(app) == before
    assert accounted(report) == {"read": 5, "imported": 1, "rejected": 4, "skipped": {}}
    assert [(e.row, e.column) for e in report.errors] == [(3, "participant"),
                                                          (4, "participant"),
                                                          (5, "participant"),
                                                          (6, "participant")]
    assert "signed number" in report.errors[0].message
    assert "placeholder" in report.errors[2].message
    assert report.unknown_participants == []


# -- spreadsheets, decimal commas, encodings -----------------------------------------------

def test_a_formula_without_its_result_is_refused_naming_the_cell(app: App, cora: Actor,
                                                                 tmp_path: Path) -> None:
    header = ["participant", "visit", "fd_mean", "tsnr"]
    rows = [["P001", "baseline", 0.1, 55.5], ["P002", "baseline", "=0.1*2", 60.25]]
    bare = workbook_with_formula(tmp_path / "bare.xlsx", header, rows)
    report = imports.commit(app, cora, _s(bare))
    assert not report.committed and report.errors[0].message.startswith("cell Sheet!C3 holds")
    assert stored(app) == {}
    cached = workbook_with_formula(tmp_path / "cached.xlsx", header, rows,
                                   cached={"C3": 0.2})
    report = imports.commit(app, cora, _s(cached))
    assert report.committed and accounted(report)["imported"] == 2
    assert stored(app) == {("P001", "baseline", "fd_mean"): 0.1,
                           ("P001", "baseline", "tsnr"): 55.5,
                           ("P002", "baseline", "fd_mean"): 0.2,
                           ("P002", "baseline", "tsnr"): 60.25}


def test_decimal_commas_are_suggested_then_read_when_chosen(app: App, cora: Actor,
                                                            tmp_path: Path) -> None:
    path = write_csv(tmp_path / "eu.tsv", ["participant", "visit", "fd_mean", "tsnr"],
                     [["P001", "baseline", "0,25", "61,5"], ["P002", "baseline", "0,3", "60"]],
                     delimiter="\t")
    report = _check(app, cora, _s(path))
    assert not report.ok and report.rejected == 2
    hint = [w for w in report.warnings if w.option == "decimal"]
    assert len(hint) == 1 and hint[0].value == "," and "'0,25'" in hint[0].message
    report = imports.commit(app, cora, _s(path, decimal=","))
    assert report.committed and accounted(report)["imported"] == 2
    assert stored(app) == {("P001", "baseline", "fd_mean"): 0.25,
                           ("P001", "baseline", "tsnr"): 61.5,
                           ("P002", "baseline", "fd_mean"): 0.3,
                           ("P002", "baseline", "tsnr"): 60.0}


TEXT = "participant,visit,fd_mean\r\nP001,baseline,0.125\r\nP002,baseline,0.5\r\n"


@pytest.mark.parametrize("raw, read", [
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), True),
    (TEXT.encode("utf-16-be"), True),
    (TEXT.encode("utf-16-le"), True),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le") + b"\n", True),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le")[:-5], False),
    (codecs.BOM_UTF8[:2] + TEXT.encode(), False),
    (codecs.BOM_UTF8 + TEXT.replace("P002", "P\xe9").encode("cp1252"), False),
    (codecs.BOM_UTF8 + codecs.BOM_UTF8 + TEXT.encode(), True),
])
def test_utf16_and_broken_byte_order_marks(app: App, cora: Actor, tmp_path: Path,
                                           raw: bytes, read: bool) -> None:
    path = tmp_path / "enc.csv"
    path.write_bytes(raw)
    report = imports.commit(app, cora, _s(path, visit=None))
    if read:
        assert report.committed, report.errors
        assert accounted(report)["imported"] == 2
        assert stored(app) == {("P001", "baseline", "fd_mean"): 0.125,
                               ("P002", "baseline", "fd_mean"): 0.5}
    else:
        assert not report.committed and report.errors[0].row is None
        assert "enc.csv: " in report.errors[0].text(report.file_name)
        assert any(w in report.errors[0].message for w in ("UTF-16", "byte-order mark"))
        assert stored(app) == {}


# -- more people and more scans than the study --------------------------------------------

def test_only_registered_rows_of_the_real_mriqc_table(app: App, cora: Actor) -> None:
    options = _s(MRIQC, visit="baseline", drop_columns=("group",))
    refused = _check(app, cora, options)
    assert not refused.ok and len(refused.unknown_participants) == 131
    report = imports.commit(app, cora, _s(MRIQC, visit="baseline", drop_columns=("group",),
                                          only_registered=True))
    assert report.committed, report.errors
    assert accounted(report) == {"read": 135, "imported": 4, "rejected": 0, "skipped": {
        "participant not in the register": 131}}
    assert len(report.skipped_participants) == 131 and "sub-008" in report.skipped_participants
    table = MRIQC.read_text().splitlines()
    names = table[0].split("\t")
    first = dict(zip(names, table[1].split("\t"), strict=True))
    assert first["bids_name"] == "sub-001_task-rest_bold"
    got = stored(app)
    assert got[("P001", "baseline", "fd_mean")] == float(first["fd_mean"])
    assert got[("P001", "baseline", "tsnr")] == float(first["tsnr"])
    assert {k[0] for k in got} == {"P001", "P002", "P005", "P007"}
    record = imports.list_imports(app, cora)[0]
    assert record["options"]["skipped_participants"] == report.skipped_participants
    assert verified(app, cora)


def test_runs_and_tasks_are_chosen_not_guessed(app: App, cora: Actor, tmp_path: Path) -> None:
    rows = [["sub-001_ses-baseline_task-rest_run-1_bold", "0.11"],
            ["sub-001_ses-baseline_task-rest_run-2_bold", "0.12"],
            ["sub-001_ses-baseline_task-faces_run-1_bold", "0.13"],
            ["sub-002_ses-baseline_task-rest_run-01_bold", "0.21"]]
    path = write_csv(tmp_path / "group_bold.tsv", ["bids_name", "fd_mean"], rows,
                     delimiter="\t")
    report = _check(app, cora, _s(path))
    assert [(e.option, e.message) for e in report.errors] == [(
        "bids_filter", "the file has several scans per participant and session that differ "
        "in task, run (task: faces, rest; run: 01, 1, 2); choose which to import")]
    wrong = _check(app, cora, _s(path, bids_filter={"task": "nback"}))
    assert "the task labels are faces, rest" in wrong.errors[0].message
    report = imports.commit(app, cora, _s(path, bids_filter={"task": "rest", "run": "1"}))
    assert report.committed, report.errors
    assert accounted(report) == {"read": 4, "imported": 2, "rejected": 0, "skipped": {
        "not the chosen scans (task-rest run-1)": 2}}
    assert stored(app) == {("P001", "baseline", "fd_mean"): 0.11,
                           ("P002", "baseline", "fd_mean"): 0.21}


# -- REDCap ---------------------------------------------------------------------------------

def test_a_redcap_data_dictionary_is_not_data(app: App, cora: Actor, tmp_path: Path) -> None:
    for kind in ("questionnaire", "scans"):
        report = imports.commit(app, cora, imports.ImportOptions(
            kind, str(redcap_dictionary(tmp_path / "dictionary.csv"))))
        assert not report.committed and "REDCap data dictionary" in report.errors[0].message
        accounted(report)
    assert answers(app) == {}


def test_redcap_repeating_instruments_and_status_columns(app: App, cora: Actor,
                                                         tmp_path: Path) -> None:
    path = redcap_repeating(tmp_path / "repeat.csv", [
        ("1", "baseline_arm_1", "", "", ["", "", "", ""]),
        ("1", "baseline_arm_1", "subjective_effects", 1, [1, 2, 3, 4]),
        ("2", "baseline_arm_1", "", "", [2, 2, 2, 2])])
    report = imports.commit(app, cora, _q(path))
    assert report.committed, report.errors
    assert accounted(report) == {"read": 3, "imported": 2, "rejected": 0,
                                 "skipped": {"nothing to import": 1}}
    assert answers(app) == {**{("P001", "baseline", i): float(v)
                               for i, v in zip(ANX, [1, 2, 3, 4], strict=True)},
                            **{("P002", "baseline", i): 2.0 for i in ANX}}
    twice = redcap_repeating(tmp_path / "twice.csv", [
        ("3", "baseline_arm_1", "subjective_effects", 1, [1, 1, 1, 1]),
        ("3", "baseline_arm_1", "subjective_effects", 2, [2, 2, 2, 2])])
    report = _check(app, cora, _q(twice))
    assert not report.ok and {e.row for e in report.errors} == {3}
    assert "also given in row 2" in report.errors[0].message


def test_every_existing_fixture_shape_is_accounted_for(app: App, cora: Actor,
                                                      tmp_path: Path) -> None:
    path = redcap(tmp_path / "redcap.csv", [("1", "baseline_arm_1", [1, 2, 5, 4]),
                                            ("2", "baseline_arm_1", [1, "x", "", 4]),
                                            ("3", "screening_arm_1", ["", "", "", ""])])
    report = _check(app, cora, _q(path))
    assert accounted(report) == {"read": 3, "imported": 1, "rejected": 1,
                                 "skipped": {"nothing to import": 1}}


# -- missing-data codes ---------------------------------------------------------------------

@pytest.fixture
def coded(app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Actor:
    """The reference study whose protocol declares -99 study-wide and NA, UNK for the
    anxiety scale."""
    text = Path(conftest.REFERENCE).read_text(encoding="utf-8")
    text = text.replace("skip_weekends = false",
                        'skip_weekends = false\nmissing_codes = ["-99"]', 1)
    text = text.replace('items = ["anx_1", "anx_2", "anx_3", "anx_4"]',
                        'items = ["anx_1", "anx_2", "anx_3", "anx_4"]\n'
                        'missing_codes = ["NA", "UNK"]', 1)
    protocol = tmp_path / "coded.toml"
    protocol.write_text(text, encoding="utf-8")
    monkeypatch.setattr(conftest, "REFERENCE", str(protocol))
    return baseline_study(app, [1, 2, 3])["cora"]


def test_missing_codes_are_stored_as_missing_with_their_code(app: App, coded: Actor,
                                                            tmp_path: Path) -> None:
    path = redcap(tmp_path / "coded.csv", [("1", "baseline_arm_1", [1, -99, "NA", 4]),
                                           ("2", "baseline_arm_1", ["UNK", "UNK", 2, 2]),
                                           ("3", "baseline_arm_1", [-99, "", "", ""])])
    report = imports.commit(app, coded, _q(path))
    assert report.committed, report.errors
    assert accounted(report) == {"read": 3, "imported": 3, "rejected": 0, "skipped": {}}
    assert answers(app) == {("P001", "baseline", "anx_1"): 1.0,
                            ("P001", "baseline", "anx_2"): None,
                            ("P001", "baseline", "anx_3"): None,
                            ("P001", "baseline", "anx_4"): 4.0,
                            ("P002", "baseline", "anx_1"): None,
                            ("P002", "baseline", "anx_2"): None,
                            ("P002", "baseline", "anx_3"): 2.0,
                            ("P002", "baseline", "anx_4"): 2.0,
                            ("P003", "baseline", "anx_1"): None}
    codes = {(r["participant"], r["name"]): r["missing_code"]
             for r in imports.provenance(app, coded) if r["table"] == "item_responses"}
    assert {k: c for k, c in codes.items() if c} == {
        ("P001", "anx_2"): "-99", ("P001", "anx_3"): "NA", ("P002", "anx_1"): "UNK",
        ("P002", "anx_2"): "UNK", ("P003", "anx_1"): "-99"}
    assert stored(app) == {}  # two of four answered: no score, not a sum over codes
    again = imports.commit(app, coded, _q(path))
    assert again.nothing_to_change and again.unchanged == 3
    other = redcap(tmp_path / "other.csv", [("1", "baseline_arm_1", [1, "UNK", "NA", 4])])
    changed = _check(app, coded, _q(other))
    assert [e.message for e in changed.errors] == [
        "P001 baseline anx_2: the missing code -99 is stored (from import 1), the file has "
        "the missing code UNK; to change it, allow updates and give a reason"]
    assert verified(app, coded)


def test_a_code_of_another_measure_is_still_a_number_or_blank(app: App, coded: Actor,
                                                             tmp_path: Path) -> None:
    from tests.importers.files import LIK

    path = redcap(tmp_path / "lik.csv", [("1", "baseline_arm_1", [-99, "NA", 5, 6])],
                  items=LIK)
    report = imports.commit(app, coded, _q(path))
    assert report.committed, report.errors
    got = {k: v for k, v in answers(app).items()}
    assert got == {("P001", "baseline", "lik_angry_1"): None,
                   ("P001", "baseline", "lik_angry_3"): 5.0,
                   ("P001", "baseline", "lik_angry_4"): 6.0}
    anx = redcap(tmp_path / "anx.csv", [("2", "baseline_arm_1", [-98, 1, 1, 1])])
    refused = _check(app, coded, _q(anx))
    assert [e.message for e in refused.errors] == ["-98 is outside the range of anx_1 (1 to 5)"]
