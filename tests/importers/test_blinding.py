"""The blinding guard: before unblinding, a column that could reveal treatment is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from importers.keys import treatment_columns
from importers.mapping import Mapping
from importers.reading import read_table
from importers.scans import extract_scans
from importers.validation import STORED_COLUMNS, Snapshot, validate
from tests.conftest import REFERENCE
from tests.importers.files import write_csv
from trialcore.protocol import load_protocol

PROTOCOL = load_protocol(REFERENCE)


@pytest.mark.parametrize("name", [
    "group", "Group", "treatment_arm", "DoseLevel", "dose_mg", "kit_code", "KitNumber",
    "randomisation_id", "Randomization", "allocation", "drug", "condition", "arm1",
    "PBO_flag", "sequence", "mdma120", "Treatment group", "study drug"])
def test_names_that_could_reveal_treatment(name: str) -> None:
    assert treatment_columns([name], PROTOCOL) == [name]


@pytest.mark.parametrize("name", [
    "redcap_data_access_group", "fd_mean", "aor", "dummy_trs", "anx_1", "subjective_anxiety",
    "alarm", "groupie", "harmonized", "Progress", "Finished", "ExternalReference",
    "DistributionChannel", "bids_name", "summary_fg_k"])
def test_ordinary_names_pass(name: str) -> None:
    assert treatment_columns([name], PROTOCOL) == []


def _snapshot(stage: str) -> Snapshot:
    people = pd.DataFrame({"id": [1], "number": [1], "label": ["P001"], "status": ["enrolled"],
                           "withdrawn_on": [None]})
    visits = pd.DataFrame({"participant_id": [1], "visit": ["baseline"], "status": ["done"],
                           "actual_date": [dt.date(2026, 1, 5)], "booked_date": [None],
                           "target_date": [None]})
    empty = pd.DataFrame(columns=STORED_COLUMNS)
    return Snapshot(stage, dt.date(2026, 2, 1), people, visits, {"observations": empty})


@pytest.mark.parametrize("stage, refused", [("setup", True), ("running", True),
                                            ("unblinded", False)])
def test_the_guard_holds_until_unblinding(tmp_path: Path, stage: str, refused: bool) -> None:
    path = write_csv(tmp_path / "s.csv", ["participant", "visit", "arm", "fd_mean"],
                     [["P001", "baseline", "B", "0.2"]])
    extract = extract_scans(read_table(path), PROTOCOL, Mapping())
    plan = validate(extract, _snapshot(stage), PROTOCOL, allow_update=False)
    assert [(e.column, e.option, e.value) for e in plan.errors] == (
        [("arm", "drop_column", "arm")] if refused else [])
    assert plan.counts["inserted"] == 1
