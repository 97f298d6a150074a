"""`import scans|questionnaire|list|values` as scripts use them: the CLI.md JSON and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli.runner import run
from services.context import App
from tests.conftest import PASSWORDS
from tests.importers.files import write_csv
from tests.importers.helpers import MRIQC, baseline_study, counts

KEYS = {"rows", "committed", "inserted", "updated", "unchanged", "errors", "warnings"}


@pytest.fixture
def cli(app: App, db_url: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    baseline_study(app, [1, 2, 5, 7])
    monkeypatch.setenv("TRIALDESK_USER", "cora")
    monkeypatch.setenv("TRIALDESK_PASSWORD", PASSWORDS["cora"])

    def call(*args: str, as_json: bool = True) -> tuple[int, Any, str]:
        code = run(["--db", db_url, *(["--json"] if as_json else []), *args])
        out, err = capsys.readouterr()
        return code, json.loads(out) if as_json else out, err

    return call


def test_real_mriqc_table_is_refused_with_the_reasons(cli, app: App) -> None:  # type: ignore[no-untyped-def]
    before = counts(app)
    code, data, _ = cli("import", "scans", str(MRIQC), "--visit", "baseline")
    assert code == 1 and set(data) >= KEYS and data["committed"] is False
    assert data["rows"] == 135 and data["inserted"] == 4
    assert all(set(e) == {"row", "column", "message"} for e in data["errors"])
    assert any(e["column"] == "group" for e in data["errors"])
    assert len(data["unknown_participants"]) == 131
    code, data, _ = cli("import", "scans", str(MRIQC), "--visit", "baseline", "--drop-column",
                        "group", "--dry-run")
    assert code == 1 and not any(e["column"] == "group" for e in data["errors"])
    assert counts(app) == before


def test_dry_run_commit_reimport_and_update(cli, app: App, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    header = ["participant", "visit", "fd_mean", "tsnr"]
    path = write_csv(tmp_path / "s.csv", header, [["P001", "baseline", "0.2", "60"],
                                                  ["P002", "baseline", "0.3", "61"]])
    before = counts(app)
    code, data, _ = cli("import", "scans", str(path), "--dry-run")
    assert (code, data["committed"], data["inserted"]) == (0, False, 2)
    assert counts(app) == before
    code, data, _ = cli("import", "scans", str(path), "--save-profile", "plain")
    assert (code, data["committed"], data["inserted"], data["import_id"]) == (0, True, 2, 1)
    code, data, _ = cli("import", "scans", str(path), "--profile", "plain")
    assert (code, data["committed"], data["unchanged"], data["rows"]) == (0, False, 2, 2)
    changed = write_csv(tmp_path / "s2.csv", header, [["P001", "baseline", "0.25", "60"]])
    code, data, _ = cli("import", "scans", str(changed))
    assert code == 1 and data["updated"] == 1 and "--update" in data["errors"][0]["message"]
    code, data, _ = cli("import", "scans", str(changed), "--update")
    assert code == 1 and "needs a reason" in data["error"]
    code, data, _ = cli("import", "scans", str(changed), "--update", "--reason", "re-run")
    assert (code, data["committed"], data["updated"]) == (0, True, 1)
    code, data, _ = cli("import", "list")
    assert [r["id"] for r in data["imports"]] == [2, 1]
    code, data, _ = cli("import", "values", "--participant", "1")
    assert code == 0 and {(v["name"], v["value"], v["import_id"], v["file"])
                          for v in data["values"]} == {("fd_mean", 0.25, 2, "s2.csv"),
                                                       ("tsnr", 60.0, 1, "s.csv")}
    code, data, _ = cli("audit", "verify")
    assert code == 0 and data["ok"]


def test_text_output_names_file_row_and_column(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "q.csv", ["participant", "visit", "item", "value"],
                     [["P001", "baseline", "anx_1", "9"], ["P002", "baseline", "anx_2", "x"]])
    code, _, err = cli("import", "questionnaire", str(path), "--format", "long",
                         as_json=False)
    assert code == 1 and "nothing was written" in err
    assert "error: q.csv, row 2, column value: 9 is outside the range of anx_1 (1 to 5)" in err
    assert "error: q.csv, row 3, column value: 'x' is not a number" in err
    code, _, err = cli("import", "questionnaire", str(path), "--format", "csv", as_json=False)
    assert code == 2 and "invalid choice" in err


def test_real_export_options_and_hints_name_the_flags(cli, app: App, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    eu = write_csv(tmp_path / "eu.csv", ["participant", "visit", "fd_mean"],
                   [["P002", "baseline", "0,5"]])
    code, data, err = cli("import", "scans", str(eu), as_json=False)
    assert code == 1 and "decimal comma (--decimal ,)" in err
    code, data, _ = cli("import", "scans", str(eu), "--decimal", ",", "--dry-run")
    assert code == 0 and data["inserted"] == 1, data["errors"]
    code, _, err = cli("import", "scans", str(MRIQC), "--visit", "baseline", "--dry-run",
                       as_json=False)
    assert code == 1 and "(--drop-column group)" in err and "(--only-registered)" in err
    code, data, _ = cli("import", "scans", str(MRIQC), "--visit", "baseline", "--drop-column",
                        "group", "--only-registered")
    assert (code, data["committed"]) == (0, True)
    assert data["accounting"] == {"read": 135, "imported": 4, "rejected": 0,
                                  "skipped": {"participant not in the register": 131}}
    assert len(data["skipped_participants"]) == 131
    runs = write_csv(tmp_path / "runs.tsv", ["bids_name", "fd_mean"], [
        ["sub-001_ses-dose1_task-rest_run-1_bold", "0.5"],
        ["sub-001_ses-dose1_task-rest_run-2_bold", "0.75"]], delimiter="\t")
    code, data, _ = cli("import", "scans", str(runs), "--dry-run")
    assert code == 1 and data["errors"][0]["message"].endswith(
        "(--task T, --run N or --bids-filter KEY=VALUE)")
    code, data, _ = cli("import", "scans", str(runs), "--run", "2", "--dry-run")
    assert code == 1 and "dose1" in data["errors"][0]["message"]  # not done yet: the visit
    assert data["accounting"]["skipped"] == {"not the chosen scans (run-2)": 1}
