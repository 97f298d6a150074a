"""`--version` names app, schema and libraries; an unexpected error leaves a report, not a
traceback, and the report holds no study data."""

from __future__ import annotations

import json
import stat

import pytest

import main as entry
from db.migrate import newest_revision
from tests.cli_helpers import cli


def test_version_names_the_app_the_schema_and_the_libraries(tmp_path, capsys,
                                                            monkeypatch) -> None:
    db = str(tmp_path / "none.sqlite")
    out = cli(capsys, monkeypatch, db, "--version")
    assert out.code == 0
    assert f"database schema {newest_revision()}" in out.out
    assert "SQLAlchemy:" in out.out and "PySide6-Essentials:" in out.out
    as_json = cli(capsys, monkeypatch, db, "--json", "--version")
    doc = as_json.json
    assert doc["schema"] == newest_revision() and doc["trialdesk"]
    assert not (tmp_path / "none.sqlite").exists()  # asking the version opens no study


@pytest.mark.parametrize("as_json", [False, True])
def test_an_unexpected_error_writes_a_report_without_study_data(
        tmp_path, monkeypatch, capsys, as_json: bool) -> None:
    def broken() -> int:
        raise KeyError("P007 amygdala 1.234 secret-reason")

    monkeypatch.setenv("TRIALDESK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr(entry, "run", broken)
    argv = ["trialdesk", *(["--json"] if as_json else []), "participants", "withdraw", "P007",
            "--reason", "moved away"]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as stopped:
        entry.main()
    assert stopped.value.code == 1
    out, err = capsys.readouterr()
    reports = list((tmp_path / "logs").iterdir())
    assert len(reports) == 1
    report = reports[0]
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text()
    for secret in ("P007", "amygdala", "1.234", "moved away", "secret-reason"):
        assert secret not in text
    doc = json.loads(text)
    assert doc["error"] == "KeyError" and doc["versions"]["schema"] == newest_revision()
    assert "--reason" in doc["arguments"] and "withdraw" in doc["arguments"]
    assert any("broken" in frame for frame in doc["frames"])
    if as_json:
        shown = json.loads(out)
        assert shown["details"] == [{"report": str(report)}]
        assert err == ""
    else:
        assert str(report) in err and "Traceback" not in err and out == ""
