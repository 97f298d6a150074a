"""Exports: blinded until unblinding, safe in spreadsheets, all or nothing on disk."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services import dataset, exports, lock, plot_data, unblinding
from services.context import App
from services.errors import PermissionDenied, Refused
from tests.cli_helpers import cli
from tests.importers.helpers import MRIQC
from tests.lock_helpers import ACTORS, PASSPHRASE, password, ready_app, record

BLINDED_WORDS = ("PBO", "MDMA80", "MDMA120", "Placebo", "MDMA 80 mg", "MDMA 120 mg", "dose_mg")
FORMULA_FILE = '=HYPERLINK("http://x.invalid","open")'


@pytest.fixture
def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """A study ready to lock, plus a value imported from a file named like a formula."""
    application = ready_app(db_url, tmp_path_factory)
    record(application, ACTORS["cora"], [("P001", "dose1", "tsnr", 58.5)], FORMULA_FILE)
    yield application
    application.close()


def _all_text(folder: Path) -> str:
    """Every file's text, XLSX cells included, to scan for what must not be there."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".xlsx":
            book = load_workbook(path)
            parts += [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row]
        elif path.is_file():
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def _export_all(app: App, folder: Path) -> list[exports.ExportResult]:
    cora = ACTORS["cora"]
    return [exports.export(app, cora, folder / "long.csv"),
            exports.export(app, cora, folder / "long.tsv", "long"),
            exports.export(app, cora, folder / "long.xlsx", "long"),
            exports.export(app, cora, folder / "wide.csv", "wide"),
            exports.export(app, cora, folder / "wide.xlsx", "wide"),
            exports.export(app, cora, folder / "bids", "bids")]


def _csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder for the exports (the SQLite database lives in tmp_path)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("stage", ["running", "locked"])
def test_before_unblinding_exports_carry_dose_codes_and_no_condition(
        app: App, out: Path, stage: str) -> None:
    """Locked is still blinded: the data are final, the key is still sealed."""
    if stage == "locked":
        lock.lock(app, ACTORS["ivan"], "final", password(ACTORS["ivan"]))
    results = _export_all(app, out)
    assert all(not r.unblinded and r.as_dict()["blinded"] for r in results)
    text = _all_text(out)
    for word in BLINDED_WORDS:
        assert word not in text, word
    with app.read() as s:
        data = dataset.load(s, app.protocol)
    assert not data.unblinded and not data.conditions
    plots = [plot_data.participant_plots(app, ACTORS["cora"], 1),
             plot_data.group_plot(app, ACTORS["cora"], "amygdala_threat")]
    assert not any(p.unblinded for p in plots)
    assert not any(word in repr(p) for p in plots for word in BLINDED_WORDS)
    rows = _csv(out / "long.csv")
    assert "condition" not in rows[0] and rows[0].keys() >= {
        "participant", "visit", "dose_code", "measure", "value", "import_id", "import_file"}
    dose1 = next(r for r in rows if (r["participant"], r["visit"]) == ("P001", "dose1"))
    assert dose1["dose_code"] and dose1["period"] == "1" and dose1["import_file"] == "scans.csv"
    assert len(rows) == 10 and results[0].rows == 10
    dictionary = {r["column"]: r for r in _csv(out / "long_dictionary.csv")}
    assert set(dictionary) >= set(rows[0])
    assert dictionary["measure = amygdala_threat"]["unit"] == "beta"
    assert dictionary["measure = amygdala_threat"]["range"] == "[-10, 10]"
    book = load_workbook(out / "wide.xlsx")
    assert book.sheetnames == ["data", "dictionary"]
    header = [c.value for c in next(book["data"].iter_rows())]
    described = {row[0].value for row in book["dictionary"].iter_rows(min_row=2)}
    assert set(header) <= described and "dose1_dose_code" in header
    sessions = _csv(out / "bids" / "sub-001" / "sub-001_sessions.tsv", "\t")
    assert [s["session_id"] for s in sessions] == ["ses-01", "ses-02", "ses-03", "ses-04"]
    assert sessions[0]["dose_code"] == "n/a" and sessions[1]["dose_code"] == dose1["dose_code"]
    sidecar = json.loads((out / "bids" / "sessions.json").read_text())
    assert sidecar["amygdala_threat"]["Units"] == "beta"
    assert (out / "bids" / "participants.json").exists()
    assert (out / "bids" / "dataset_description.json").exists()


def test_after_unblinding_exports_show_conditions(app: App, out: Path) -> None:
    lock.lock(app, ACTORS["ivan"], "final", password(ACTORS["ivan"]))
    unblinding.unblind_study(app, ACTORS["stella"], "analysis", PASSPHRASE,
                             password(ACTORS["stella"]))
    results = _export_all(app, out)
    assert all(r.unblinded for r in results)
    rows = _csv(out / "long.csv")
    dosing = [r for r in rows if r["period"]]
    labels = {"PBO": ("Placebo", "0"), "MDMA80": ("MDMA 80 mg", "80"),
              "MDMA120": ("MDMA 120 mg", "120")}
    assert dosing and all((r["condition_label"], r["dose_mg"]) == labels[r["condition"]]
                          for r in dosing)
    assert all(r["condition"] == "" for r in rows if not r["period"])
    wide = {r["participant"]: r for r in _csv(out / "wide.csv")}
    p001 = [r for r in dosing if r["participant"] == "P001" and r["measure"] ==
            "amygdala_threat"]
    assert [wide["P001"][f"{r['visit']}_condition"] for r in p001] == [
        r["condition"] for r in p001]
    people = _csv(out / "bids" / "participants.tsv", "\t")
    assert sorted(people[0]["sequence"].split(",")) == ["MDMA120", "MDMA80", "PBO"]


def test_formula_cells_are_neutralised_and_negative_numbers_stay_numbers(
        app: App, out: Path) -> None:
    assert [exports.neutralise(v) for v in ("=1+2", "+1", "-x", "@SUM(A1)", "NTNA-", -2.5, 3)
            ] == ["'=1+2", "'+1", "'-x", "'@SUM(A1)", "NTNA-", -2.5, 3]
    exports.export(app, ACTORS["cora"], out / "long.csv")
    exports.export(app, ACTORS["cora"], out / "long.xlsx")
    rows = _csv(out / "long.csv")
    assert {r["import_file"] for r in rows} == {"scans.csv", "'" + FORMULA_FILE}
    negative = next(r for r in rows if r["value"].startswith("-"))
    assert float(negative["value"]) < 0
    sheet = load_workbook(out / "long.xlsx")["data"]
    header = [c.value for c in next(sheet.iter_rows())]
    file_col, value_col = header.index("import_file"), header.index("value")
    cells = list(sheet.iter_rows(min_row=2))
    formula = next(r[file_col] for r in cells if str(r[file_col].value).startswith("'"))
    assert formula.value == "'" + FORMULA_FILE and formula.data_type == "s"
    numbers = [r[value_col] for r in cells if isinstance(r[value_col].value, float)
               and r[value_col].value < 0]
    assert numbers and all(c.data_type == "n" for c in numbers)


def test_an_unwritable_target_is_refused_and_nothing_is_written(
        app: App, out: Path) -> None:
    cora = ACTORS["cora"]
    blocker = out / "a-file"
    blocker.write_text("not a folder")
    for target, kind in [(out / "missing" / "out.csv", "long"),
                         (blocker / "out.xlsx", "wide"),
                         (out / "missing" / "bids", "bids")]:
        with pytest.raises(Refused, match=f"cannot write to {target.parent}"):
            exports.export(app, cora, target, kind)
    for target, kind, match in [(out / "out.txt", "long", r"\.csv, \.tsv or \.xlsx"),
                                (out / "out.csv", "tidy", "unknown export kind"),
                                (blocker, "bids", "needs a folder")]:
        with pytest.raises(Refused, match=match):
            exports.export(app, cora, target, kind)
    with pytest.raises(PermissionDenied):
        exports.export(app, ACTORS["phil"], out / "out.csv")
    assert [p.name for p in out.iterdir()] == ["a-file"]


def test_a_cancelled_export_leaves_nothing(app: App, out: Path) -> None:
    seen: list[tuple[int, int]] = []
    for target, kind in [(out / "long.csv", "long"), (out / "bids", "bids")]:
        with pytest.raises(Refused, match="cancelled"):
            exports.export(app, ACTORS["cora"], target, kind,
                           progress=lambda done, total, _: seen.append((done, total)),
                           cancelled=lambda: len(seen) > 0)
    assert list(out.iterdir()) == []
    done = []
    exports.export(app, ACTORS["cora"], out / "long.csv",
                   progress=lambda d, t, _: done.append((d, t)))
    assert done[-1] == (10, 10)


def test_export_on_the_command_line(app: App, db_url: str, out: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    r = cli(capsys, monkeypatch, db_url, "--json", "export", str(out / "w.csv"),
            "--kind", "wide", user="cora", password=password(ACTORS["cora"]))
    assert r.code == 0, r.out
    assert r.json["blinded"] is True and r.json["rows"] == 3
    assert r.json["files"] == [str(out / "w.csv"), str(out / "w_dictionary.csv"),
                               str(out / "w_provenance.json")]
    r = cli(capsys, monkeypatch, db_url, "export", str(out / "nowhere" / "x.csv"),
            user="cora", password=password(ACTORS["cora"]))
    assert r.code == 1 and f"cannot write to {out / 'nowhere'}" in r.err


def test_xlsx_keeps_every_real_float_exactly(app: App, out: Path) -> None:
    """Values computed from the real MRIQC table as scores are (the mean of two metrics)
    need 17 significant digits; openpyxl's own writer rounds them to 16."""
    table = MRIQC.read_text().splitlines()
    names = table[0].split("\t")
    rows = [dict(zip(names, line.split("\t"), strict=True)) for line in table[1:9]]
    real = [(float(r[a]) + float(r[b])) / 2 for r in rows
            for a, b in (("aqi", "efc"), ("gcor", "efc"), ("dvars_nstd", "aqi"),
                         ("fd_mean", "gcor"))]
    keys = [(p, v, m) for p in ("P001", "P002") for v in ("baseline", "dose1", "dose2", "dose3")
            for m in ("fd_mean", "sgacc_threat", "amyg_sgacc_conn", "tsnr")
            if (p, v, m) != ("P001", "dose1", "tsnr")]
    values = dict(zip(keys, real, strict=False))
    assert sum(float(f"{x:.16g}") != x for x in values.values()) >= 4  # the case at hand
    record(app, ACTORS["cora"], [(*k, x) for k, x in values.items()], "mriqc.tsv")
    exports.export(app, ACTORS["cora"], out / "long.xlsx")
    sheet = load_workbook(out / "long.xlsx")["data"]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    at = {c: header.index(c) for c in ("participant", "visit", "measure", "value")}
    got = {(r[at["participant"]], r[at["visit"]], r[at["measure"]]): r[at["value"]]
           for r in rows}
    assert {k: got[k] for k in values} == values
