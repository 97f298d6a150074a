"""Scan-summary imports through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from db.models import ImportRecord
from services import audit_trail, imports, participants, visits
from services.context import App
from services.errors import Conflict, PermissionDenied, Refused
from tests.importers.files import write_csv
from tests.importers.helpers import MRIQC, baseline_study, counts, stored, today, verified

SCAN_HEADER = ["participant", "visit", "amygdala_threat", "fd_mean", "tsnr"]


def _options(path: Path, **kw: object) -> imports.ImportOptions:
    return imports.ImportOptions("scans", str(path), **kw)  # type: ignore[arg-type]


def _known_rows(tmp_path: Path, numbers: set[int]) -> Path:
    """The real table cut down to the demo's people (the real file stays where it is)."""
    table = pd.read_csv(MRIQC, sep="\t", dtype=str)
    keep = table["bids_name"].str.extract(r"sub-(\d+)")[0].astype(int).isin(numbers)
    path = tmp_path / "mriqc_known.tsv"
    table[keep].to_csv(path, sep="\t", index=False)
    return path


def test_real_mriqc_table_names_unknown_ids_and_guards_the_blind(app: App,
                                                                 tmp_path: Path) -> None:
    actors = baseline_study(app)
    cora = actors["cora"]
    subjects = pd.read_csv(MRIQC, sep="\t")["bids_name"].str.extract(r"(sub-\d+)")[0]
    expected = sorted({s for s in subjects if int(s[4:]) > 16})
    before = counts(app)
    report = imports.preview(app, cora, "scans", MRIQC, _options(MRIQC, visit="baseline"))
    assert report.rows == 135 and not report.committed
    assert report.unknown_participants == expected and len(expected) == 122
    listed = next(e for e in report.errors if e.row is None and e.column == "bids_name")
    assert ", ".join(expected) in listed.message and listed.option == "only_registered"
    unknown_rows = sorted(e.row for e in report.errors if "no participant" in e.message)
    assert len(unknown_rows) == 122 and all(e.column == "bids_name" for e in report.errors
                                            if e.row is not None)
    guard = [e for e in report.errors if e.column == "group"]
    assert len(guard) == 1 and "could reveal which treatment" in guard[0].message
    assert (guard[0].option, guard[0].value) == ("drop_column", "group")
    assert {w.column for w in report.warnings} >= {"aor", "dvars_std", "snr"}
    assert imports.commit(app, cora, report).committed is False
    assert counts(app) == before

    dropped = imports.preview(app, cora, "scans", MRIQC,
                              _options(MRIQC, visit="baseline", drop_columns=("group",)))
    assert not [e for e in dropped.errors if e.column == "group"]
    assert dropped.unknown_participants == expected

    known = _known_rows(tmp_path, set(range(1, 17)))
    done = imports.commit(app, cora, _options(known, visit="baseline", drop_columns=("group",)))
    assert done.committed and done.ok and done.inserted == done.rows == 13
    values = stored(app)
    real = pd.read_csv(known, sep="\t")
    assert values[("P001", "baseline", "fd_mean")] == real["fd_mean"].iloc[0]
    assert values[("P001", "baseline", "tsnr")] == real["tsnr"].iloc[0]
    assert len(values) == 26
    record = imports.list_imports(app, cora)[0]
    assert record["options"]["dropped_columns"] == ["group"]
    assert record["format"] == "tsv, BIDS names" and record["rows"] == 13
    shown = imports.list_imports(app, cora, options=False)  # what the Imports tab lists
    assert shown == [{k: v for k, v in r.items() if k != "options"}
                     for r in imports.list_imports(app, cora)]
    assert shown[0]["file"] == known.name and shown[0]["at"].endswith("Z")
    entry = next(e for e in audit_trail.entries(app, cora) if e["action"] == "import.scans")
    assert "group" in json.loads(json.loads(entry["after"])["options"])["dropped_columns"]
    assert verified(app, cora)


def test_a_file_without_sessions_needs_the_visit(app: App) -> None:
    cora = baseline_study(app, [1])["cora"]
    report = imports.preview(app, cora, "scans", MRIQC, _options(MRIQC, drop_columns=("group",)))
    assert report.errors[0].option == "visit" and report.errors[0].row is None
    assert "say which visit all rows belong to" in report.errors[0].message
    report = imports.preview(app, cora, "scans", MRIQC, _options(MRIQC, visit="week 9"))
    assert "the protocol has no visit 'week 9'" in report.errors[0].message


def test_bids_sessions_map_to_visits(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [1, 2])["cora"]
    path = write_csv(tmp_path / "bids.csv", ["filename", "mean_fd", "tSNR", "Amygdala"], [
        ["sub-001_ses-01_task-faces_bold", "0.1", "60", "0.7"],
        ["sub-002_ses-baseline_task-faces_bold", "0.2", "55", "0.3"]])
    report = imports.commit(app, cora, _options(path))
    assert report.committed and report.inserted == 2
    assert any("read as 'baseline'" in w.message for w in report.warnings)
    assert stored(app)[("P002", "baseline", "amygdala_threat")] == 0.3
    assert report.mapping.columns == {"mean_fd": "fd_mean", "tSNR": "tsnr",
                                      "Amygdala": "amygdala_threat"}
    explicit = imports.preview(app, cora, "scans", path,
                               _options(path, visits={"ses-01": "dose1"}))
    assert any("has not happened yet" in e.message for e in explicit.errors)


def test_every_value_problem_names_its_row_and_column(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [1, 2, 3])["cora"]
    path = write_csv(tmp_path / "bad.csv", SCAN_HEADER, [
        ["P001", "baseline", "0.5", "0.2", "60"],
        ["P002", "baseline", "abc", "0.7", "1e9"],
        ["P001", "Baseline fMRI", "0.4", "", ""],
        ["P003", "week 9", "0.1", "0.1", "50"],
        ["X-12", "baseline", "0.1", "0.1", "50"]])
    report = imports.preview(app, cora, "scans", path, _options(path))
    found = {(e.row, e.column, e.message) for e in report.errors}
    assert (3, "amygdala_threat", "'abc' is not a number") in found
    assert (3, "tsnr", "1e+09 is outside the range of tsnr (0 to 1000)") in found
    assert (4, "amygdala_threat",
            "P001 baseline amygdala_threat is also given in row 2") in found
    assert any(r == 5 and c == "visit" and "unknown visit week 9" in m for r, c, m in found)
    assert any(r == 6 and c == "participant" and "'X-12' is not a participant ID" in m
               for r, c, m in found)
    assert any(w.row == 3 and "above the quality limit 0.5" in w.message
               for w in report.warnings)
    assert imports.commit(app, cora, _options(path)).committed is False
    assert stored(app) == {}


def test_visits_that_have_not_happened(app: App, tmp_path: Path) -> None:
    actors = baseline_study(app, [1, 2, 3, 4], done=[1])
    cora = actors["cora"]
    visits.log(app, cora, 3, "baseline", date=today() - dt.timedelta(days=29), status="missed",
               reason="scanner down")
    visits.log(app, cora, 4, "baseline", date=today() - dt.timedelta(days=29))
    participants.withdraw(app, cora, 4, "moved away", on=today() - dt.timedelta(days=20))
    path = write_csv(tmp_path / "v.csv", SCAN_HEADER, [
        ["P001", "dose1", "0.5", "0.2", "60"], ["P002", "baseline", "0.5", "0.2", "60"],
        ["P003", "baseline", "0.5", "0.2", "60"], ["P004", "dose1", "0.5", "0.2", "60"]])
    report = imports.preview(app, cora, "scans", path, _options(path))
    errors = {e.row: e.message for e in report.errors}
    warnings = {w.row: w.message for w in report.warnings}
    assert "P001 dose1 has not happened yet (not scheduled yet)" in errors[2]
    assert "P002 baseline is not logged as done yet" in warnings[3]
    assert "P003 baseline is recorded as missed" in errors[4]
    assert "P004 dose1 is after P004's withdrawal on" in warnings[5]


def test_reimport_changes_nothing_and_an_update_needs_a_reason(app: App,
                                                               tmp_path: Path) -> None:
    cora = baseline_study(app, [1, 2])["cora"]
    rows = [["P001", "baseline", "0.5", "0.2", "60"], ["P002", "baseline", "0.6", "0.3", "61"]]
    path = write_csv(tmp_path / "s.csv", SCAN_HEADER, rows)
    first = imports.commit(app, cora, _options(path))
    assert first.committed and first.inserted == 2
    after_first = counts(app)
    again = imports.commit(app, cora, _options(path))
    assert again.unchanged == again.rows == 2 and again.nothing_to_change
    assert "nothing to change" in again.summary() and not again.committed
    assert counts(app) == after_first

    rows[1][4] = "65.5"
    changed = write_csv(tmp_path / "s2.csv", SCAN_HEADER, rows)
    refused = imports.commit(app, cora, _options(changed))
    assert not refused.committed and refused.updated == 1
    assert refused.errors[0].row == 3 and refused.errors[0].column == "tsnr"
    assert "61 is stored (from import 1), the file has 65.5" in refused.errors[0].message
    with pytest.raises(Refused, match="needs a reason"):
        imports.commit(app, cora, _options(changed, update=True))
    assert counts(app) == after_first
    done = imports.commit(app, cora, _options(changed, update=True), reason="MRIQC re-run")
    assert done.committed and (done.updated, done.unchanged) == (1, 1)
    assert stored(app)[("P002", "baseline", "tsnr")] == 65.5
    entry = next(e for e in audit_trail.entries(app, cora) if e["action"] == "import.update")
    assert entry["entity_key"] == "P002/baseline/tsnr" and entry["reason"] == "MRIQC re-run"
    assert json.loads(entry["before"])["value"] == 61.0
    assert json.loads(entry["after"])["value"] == 65.5
    sources = {(r["participant"], r["name"]): (r["import_id"], r["file"])
               for r in imports.provenance(app, cora)}
    assert sources[("P002", "tsnr")] == (done.import_id, "s2.csv")
    assert sources[("P001", "tsnr")] == (first.import_id, "s.csv")
    assert verified(app, cora)


def test_a_stale_preview_is_a_conflict(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [1])["cora"]
    path = write_csv(tmp_path / "s.csv", SCAN_HEADER, [["P001", "baseline", "0.5", "0.2", "60"]])
    report = imports.preview(app, cora, "scans", path)
    imports.commit(app, cora, _options(path))
    before = counts(app)
    with pytest.raises(Conflict, match="changed since this import was checked"):
        imports.commit(app, cora, report)
    assert counts(app) == before


def test_profiles_save_and_reuse_a_mapping(app: App, tmp_path: Path) -> None:
    cora = baseline_study(app, [1, 2])["cora"]
    header = ["participant", "visit", "roi_01", "roi_02", "motion"]
    first = write_csv(tmp_path / "a.csv", header, [["P001", "baseline", "0.5", "0.1", "0.2"]])
    columns = {"roi_01": "amygdala_threat", "roi_02": "sgacc_threat", "motion": "fd_mean"}
    done = imports.commit(app, cora, _options(first, columns=columns, save_profile="lab ROIs"))
    assert done.committed and done.unmatched == []
    assert imports.profiles(app, cora, "scans")[0]["mapping"]["columns"] == columns
    second = write_csv(tmp_path / "b.csv", header, [["P002", "baseline", "0.7", "0.3", "0.1"]])
    again = imports.commit(app, cora, _options(second, profile="lab ROIs"))
    assert again.committed and stored(app)[("P002", "baseline", "sgacc_threat")] == 0.3
    with pytest.raises(Refused, match="no mapping profile"):
        imports.preview(app, cora, "scans", second, _options(second, profile="nope"))
    with pytest.raises(Refused, match="for scans imports"):
        imports.preview(app, cora, "questionnaire", second,
                        imports.ImportOptions("questionnaire", "", profile="lab ROIs"))
    assert verified(app, cora)


def test_only_coordinators_import(app: App, tmp_path: Path) -> None:
    actors = baseline_study(app, [1])
    path = write_csv(tmp_path / "s.csv", SCAN_HEADER, [["P001", "baseline", "0.5", "0.2", "60"]])
    with pytest.raises(PermissionDenied):
        imports.commit(app, actors["stella"], _options(path))
    with pytest.raises(Refused, match="no such file"):
        imports.preview(app, actors["cora"], "scans", tmp_path / "missing.csv")
    with app.read() as s:
        assert s.query(ImportRecord).count() == 0


def test_a_database_error_mid_write_is_a_refusal(app: App, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import IntegrityError

    cora = baseline_study(app, [1])["cora"]
    path = write_csv(tmp_path / "s.csv", SCAN_HEADER, [["P001", "baseline", "0.5", "0.2", "60"]])
    real_write = imports.write

    def locked_meanwhile(conn, *args, **kw):  # type: ignore[no-untyped-def]
        real_write(conn, *args, **kw)
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: "
                                                     "observations.participant_id"))

    monkeypatch.setattr(imports, "write", locked_meanwhile)
    before = counts(app)
    # a unique key broken mid-write is another user's save meeting ours (services.context)
    with pytest.raises(Refused, match="someone else saved the same record at the same moment"):
        imports.commit(app, cora, _options(path))
    assert counts(app) == before and verified(app, cora)
