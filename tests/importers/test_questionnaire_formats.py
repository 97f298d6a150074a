"""Each export format yields the same long values: participant, visit, item, answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from importers.mapping import Mapping
from importers.questionnaires import detect_format, extract_questionnaire
from importers.reading import read_table
from tests.conftest import REFERENCE
from tests.importers.files import ANX, qualtrics, redcap, write_csv
from trialcore.protocol import load_protocol

PROTOCOL = load_protocol(REFERENCE)


def _values(path: Path, mapping: Mapping | None = None, fmt: str = "auto"):  # type: ignore[no-untyped-def]
    ex = extract_questionnaire(read_table(path), PROTOCOL, mapping or Mapping(), fmt)
    got = {(str(p), v, t, str(r)) for p, v, t, r in
           ex.values[["participant", "visit", "target", "raw"]].itertuples(index=False)}
    return ex, got


def test_redcap_raw_export(tmp_path: Path) -> None:
    path = redcap(tmp_path / "r.csv", [("1", "baseline_arm_1", [1, 2, 3, 4]),
                                       ("1", "dose_1_arm_1", [2, "", 3, 4]),
                                       ("2", "screening_arm_1", ["", "", "", ""])])
    ex, got = _values(path)
    assert ex.format == "redcap" and not ex.errors and not ex.unmatched
    assert ("1", "dose1", "anx_1", "2") in got and len(got) == 7
    assert ex.participant_column == "record_id" and ex.visit_column == "redcap_event_name"


def test_redcap_label_export_and_answer_labels(tmp_path: Path) -> None:
    path = redcap(tmp_path / "r.csv", [("P001", "Dose 1 (Arm 1: Main)",
                                        ["1 - never", "Often", 3, 4])], labels=True)
    ex, got = _values(path, Mapping(value_labels={"often": 4}))
    assert ex.format == "redcap" and ex.visit_column == "Event Name"
    assert {t for _, v, t, _ in got if v == "dose1"} == set(ANX)


def test_redcap_checkbox_group_is_the_checked_code(tmp_path: Path) -> None:
    header = ["record_id", "redcap_event_name", "anx_1___1", "anx_1___2", "anx_1___3", "anx_2"]
    path = write_csv(tmp_path / "c.csv", header, [
        ["1", "baseline_arm_1", "0", "1", "0", "3"],
        ["2", "baseline_arm_1", "Unchecked", "Unchecked", "Checked", "2"],
        ["3", "baseline_arm_1", "1", "1", "0", ""]])
    ex, got = _values(path)
    assert ("1", "baseline", "anx_1", "2") in got and ("2", "baseline", "anx_1", "3") in got
    assert [(e.row, e.column) for e in ex.errors] == [(4, "anx_1")]
    assert "several options" in ex.errors[0].message


def test_qualtrics_three_header_rows_previews_skipped(tmp_path: Path) -> None:
    path = qualtrics(tmp_path / "q.csv", [
        {"Status": "IP Address", "Finished": "True", "ExternalReference": "P001",
         "visit_label": "baseline", "anx_1": 1, "anx_2": 2, "anx_3": 3, "anx_4": 4},
        {"Status": "Survey Preview", "Finished": "True", "ExternalReference": "P999",
         "visit_label": "baseline", "anx_1": 5},
        {"Status": "IP Address", "Finished": "False", "ExternalReference": "P002",
         "visit_label": "baseline", "anx_1": 2}])
    assert detect_format(read_table(path)) == "qualtrics"
    ex, got = _values(path, Mapping(participant_column="ExternalReference",
                                    visit_column="visit_label"))
    assert ex.format == "qualtrics" and not ex.errors and not ex.unmatched
    assert {p for p, *_ in got} == {"P001", "P002"}
    assert ex.skipped_rows.tolist() == [5] and ex.table.rows.tolist() == [4, 6]
    assert any("not finished" in w.message and "6" in w.message for w in ex.warnings)


def test_qualtrics_needs_to_be_told_where_the_visit_is(tmp_path: Path) -> None:
    path = qualtrics(tmp_path / "q.csv", [{"ExternalReference": "P001", "anx_1": 1}])
    ex = extract_questionnaire(read_table(path), PROTOCOL, Mapping(), "auto")
    assert ex.errors[0].option == "visit" and "no visit column" in ex.errors[0].message


def test_long_and_wide_tables(tmp_path: Path) -> None:
    long = write_csv(tmp_path / "long.csv", ["participant", "visit", "item", "value"], [
        ["sub-001", "Dosing 1", "ANX_1", "3"], ["P1", "dose1", "anx_2", "4"],
        ["1", "dose1", "mystery", "5"]])
    ex, got = _values(long)
    assert ex.format == "long" and got == {("sub-001", "dose1", "anx_1", "3"),
                                           ("P1", "dose1", "anx_2", "4")}
    assert "'mystery' is not an item" in ex.warnings[0].message
    wide = write_csv(tmp_path / "wide.csv", ["subject", "session", *ANX, "notes"], [
        ["P001", "2", 1, 2, 3, 4, "fine"]])
    ex, got = _values(wide)
    assert ex.format == "wide" and ex.unmatched == ["notes"]
    assert {v for _, v, _, _ in got} == {"dose1"}
    assert "read as 'dose1'" in ex.warnings[0].message


@pytest.mark.parametrize("fmt", ["long", "wide", "redcap"])
def test_forced_format_without_its_columns_says_what_is_missing(tmp_path: Path,
                                                                fmt: str) -> None:
    path = write_csv(tmp_path / "x.csv", ["who", "when"], [["P1", "dose1"]])
    ex = extract_questionnaire(read_table(path), PROTOCOL, Mapping(), fmt)
    assert ex.errors and ex.values.empty
