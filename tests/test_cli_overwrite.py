"""Files TrialDesk writes never replace an existing file unasked: `export` (and its
`_dictionary` neighbour), `analysis --out` and `calendar` refuse before any work unless
--force; scratch files (the demo's import files, openpyxl's sheet spools) are gone on
every exit path."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import pytest

from services import analysis, demo, exports, imports
from services.errors import Refused
from services.scratch import STALE_AFTER_SECONDS, sweep_stale
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS
from tests.test_cli_databases import with_participant

CORA = {"user": "cora", "password": PASSWORDS["cora"]}


@pytest.fixture
def study_db(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return with_participant(db_url, tmp_path_factory)


def refused_exists(out: str, path: Path) -> bool:
    doc = json.loads(out)
    return doc["error"].startswith(f"{path} already exists") and "--force" in doc["error"]


@pytest.mark.parametrize("existing", ["long.csv", "long_dictionary.csv", "long.xlsx"])
def test_export_refuses_to_replace_any_file_it_would_write(study_db: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           capsys, monkeypatch,
                                                           existing: str) -> None:
    out = tmp_path / "out"  # beside the SQLite study file: a folder of its own
    out.mkdir()
    (out / existing).write_text("mine\n")
    target = out / ("long.xlsx" if existing.endswith(".xlsx") else "long.csv")
    r = cli(capsys, monkeypatch, study_db, "--json", "export", str(target), **CORA)
    assert r.code == 1 and refused_exists(r.out, out / existing)
    assert (out / existing).read_text() == "mine\n"
    assert sorted(p.name for p in out.iterdir()) == [existing]  # nothing staged
    r = cli(capsys, monkeypatch, study_db, "--json", "export", str(target), "--force", **CORA)
    assert r.code == 0, r.out
    assert (out / existing).read_bytes() != b"mine\n"


def test_a_bids_export_refuses_to_replace_its_tables(study_db: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                     capsys, monkeypatch) -> None:
    root = tmp_path / "bids"
    root.mkdir()
    (root / "participants.tsv").write_text("mine\n")
    r = cli(capsys, monkeypatch, study_db, "--json", "export", str(root), "--kind", "bids",
            **CORA)
    assert r.code == 1 and refused_exists(r.out, root / "participants.tsv")
    r = cli(capsys, monkeypatch, study_db, "export", str(root), "--kind", "bids", "--force",
            **CORA)
    assert r.code == 0, r.err
    assert (root / "participants.tsv").read_text() != "mine\n"


def test_calendar_refuses_to_replace_unless_forced(study_db: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                   capsys, monkeypatch) -> None:
    target = tmp_path / "visits.ics"
    target.write_text("mine\n")
    r = cli(capsys, monkeypatch, study_db, "--json", "calendar", str(target), **CORA)
    assert r.code == 1 and refused_exists(r.out, target)
    assert target.read_text() == "mine\n"
    r = cli(capsys, monkeypatch, study_db, "--json", "calendar", str(target), "--force",
            **CORA)
    assert r.code == 0 and target.read_text().startswith("BEGIN:VCALENDAR")


def test_analysis_out_is_refused_before_the_analysis_runs(study_db: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                          capsys, monkeypatch) -> None:
    target = tmp_path / "tables.xlsx"
    target.write_text("mine\n")
    ran = []
    monkeypatch.setattr(analysis, "run", lambda *a: ran.append(a))
    r = cli(capsys, monkeypatch, study_db, "--json", "analysis", "--out", str(target),
            user="stella", password=PASSWORDS["stella"])
    assert r.code == 1 and refused_exists(r.out, target) and not ran
    assert target.read_text() == "mine\n"


@pytest.mark.parametrize("name", ["tables.csv", "tables.xlsx"])
def test_analysis_tables_replace_only_when_forced(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_text("mine\n")
    with pytest.raises(Refused, match="already exists"):
        analysis.write({"measures": []}, target)
    assert target.read_text() == "mine\n"
    assert analysis.write({"measures": []}, target, force=True) == target
    assert target.read_bytes() != b"mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


# -- scratch files ----------------------------------------------------------------------

@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The system's temporary folder, as a folder of its own for this test."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_demo_leaves_no_scratch_files(scratch: Path, tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                      monkeypatch) -> None:
    r = cli(capsys, monkeypatch, str(tmp_path / "demo.sqlite"), "--json", "demo")
    assert r.code == 0, r.out
    assert list(scratch.iterdir()) == []


def test_a_failed_demo_leaves_no_scratch_files(scratch: Path, tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                               monkeypatch) -> None:
    def broken(*_args: object) -> None:
        assert any(scratch.glob(f"{demo.DEMO_SCRATCH}*/*.tsv"))  # the files were there
        raise Refused("disk unplugged")

    monkeypatch.setattr(imports, "commit", broken)
    path = tmp_path / "demo.sqlite"
    r = cli(capsys, monkeypatch, str(path), "--json", "demo")
    assert r.code == 1 and "disk unplugged" in r.out
    assert list(scratch.iterdir()) == [] and not path.exists()


def test_what_a_killed_demo_left_is_swept_by_the_next(scratch: Path) -> None:
    orphan = scratch / f"{demo.DEMO_SCRATCH}orphan"
    orphan.mkdir()
    (orphan / "scan_summaries.tsv").write_text("x")
    old = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(orphan, (old, old))
    running = scratch / f"{demo.DEMO_SCRATCH}running"  # another demo building right now
    running.mkdir()
    sweep_stale(demo.DEMO_SCRATCH)
    assert [p.name for p in scratch.iterdir()] == [running.name]


def test_a_cancelled_workbook_export_leaves_no_spool_files(study_db: str, scratch: Path,
                                                           tmp_path: Path) -> None:
    from services.context import Actor, App

    app = App(study_db)
    try:
        with pytest.raises(Refused, match="cancelled"):
            exports.export(app, Actor("cora", "coordinator"), tmp_path / "long.xlsx",
                           cancelled=lambda: True)  # after the rows, before the save
    finally:
        app.close()
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "long.xlsx").exists()
