"""The analysis after unblinding: the demo's synthetic effect is found, the tables export."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats
from sqlalchemy import select

from db.models import Participant, RevealedCondition
from services import allocation, analysis, demo, exports, lock, plot_data, unblinding, visits
from services.context import Actor, App
from services.errors import PermissionDenied, Refused
from tests.cli_helpers import cli
from tests.conftest import make_study
from tests.lock_helpers import ACTORS, PASSPHRASE, VISITS, password, ready_app


def _contrast(result: dict, measure: str, stratum: str, condition: str) -> dict:
    m = next(m for m in result["measures"] if m["measure"] == measure)
    return next(c for c in m["contrasts"]
                if (c["stratum"], c["condition"], c["versus"]) == (stratum, condition, "PBO"))


def _paired_by_hand(long_csv: Path, measure: str, stratum: str) -> tuple[float, float, float]:
    """MDMA120 − PBO from the exported long table: mean and 95% t interval, with numpy;
    visits whose mean framewise displacement is above 0.5 mm left out."""
    with long_csv.open(newline="") as fh:
        table = list(csv.DictReader(fh))
    moved = {(r["participant"], r["visit"]) for r in table
             if r["measure"] == "fd_mean" and float(r["value"]) > 0.5}
    rows = [r for r in table if r["measure"] == measure and r["stratum"] == stratum
            and r["condition"] and (r["participant"], r["visit"]) not in moved]
    by = {(r["participant"], r["condition"]): float(r["value"]) for r in rows}
    people = sorted({p for p, c in by if c == "MDMA120"} & {p for p, c in by if c == "PBO"})
    d = np.array([by[p, "MDMA120"] - by[p, "PBO"] for p in people])
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def _counts_by_hand(long_csv: Path, measure: str) -> dict[tuple[str, str], int]:
    with long_csv.open(newline="") as fh:
        table = list(csv.DictReader(fh))
    moved = {(r["participant"], r["visit"]) for r in table
             if r["measure"] == "fd_mean" and float(r["value"]) > 0.5}
    out: dict[tuple[str, str], int] = {}
    for r in table:
        if r["measure"] == measure and r["condition"] and r["value"] \
                and (r["participant"], r["visit"]) not in moved:
            out[r["stratum"], r["condition"]] = out.get((r["stratum"], r["condition"]), 0) + 1
    return out


def test_the_demo_analysis_finds_the_effect_and_exports_its_tables(
        app: App, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    built = demo.build(app, "unblinded")
    stella = built.actor("statistician")
    result = analysis.run(app, stella)
    assert [m["measure"] for m in result["measures"]] == [m.name for m in app.protocol.measures]
    high = _contrast(result, "amygdala_threat", "NTNA+", "MDMA120")
    low = _contrast(result, "amygdala_threat", "NTNA-", "MDMA120")
    assert high["diff"] < 0 and high["ci_high"] < 0
    assert low["ci_low"] < 0 < low["ci_high"]

    exports.export(app, stella, tmp_path / "long.csv")
    by_hand = _paired_by_hand(tmp_path / "long.csv", "amygdala_threat", "NTNA+")
    assert (high["diff"], high["ci_low"], high["ci_high"]) == pytest.approx(by_hand)
    cells = next(m for m in result["measures"] if m["measure"] == "amygdala_threat")["cells"]
    assert {(e["participant"], e["measure"]) for e in result["excluded"]} == {
        (p, "fd_mean") for p in ("P003", "P006", "P013")}  # the demo's moving scanners
    assert {(c["stratum"], c["condition"]): c["n"] for c in cells} == _counts_by_hand(
        tmp_path / "long.csv", "amygdala_threat")  # an excluded scan: one value fewer
    terms = [t["term"] for t in result["measures"][0]["mixed_model"]]
    assert {"condition[MDMA120]", "condition[MDMA120]:stratum[NTNA-]", "period"} <= set(terms)

    r = cli(capsys, monkeypatch, db_url, "--json", "analysis", "--out",
            str(tmp_path / "tables.xlsx"), user="stella", password="demo-statistician")
    assert r.code == 0, r.out
    assert r.json["measures"] == result["measures"]
    book = load_workbook(tmp_path / "tables.xlsx")
    assert book.sheetnames == ["cells", "contrasts", "mixed_model", "qc_excluded"]
    header = [c.value for c in next(book["contrasts"].iter_rows())]
    assert header == ["measure", "stratum", "condition", "versus", "diff", "ci_low", "ci_high",
                      "p"]
    r = cli(capsys, monkeypatch, db_url, "analysis", "--out", str(tmp_path / "tables.csv"),
            user="ivan", password="demo-investigator")
    assert r.code == 0 and "MDMA120 − PBO" in r.out
    with (tmp_path / "tables.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["table"] for r in rows} == {"cells", "contrasts", "mixed_model", "qc_excluded"}
    row = next(r for r in rows if r["table"] == "contrasts" and r["stratum"] == "NTNA+"
               and r["condition"] == "MDMA120" and r["measure"] == "amygdala_threat")
    assert float(row["diff"]) == pytest.approx(high["diff"])


def test_the_analysis_waits_for_unblinding_and_the_right_role(
        db_url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    app = ready_app(db_url, tmp_path_factory)
    stella: Actor = ACTORS["stella"]
    with pytest.raises(Refused, match="the study is running: the analysis runs only after"):
        analysis.run(app, stella)
    lock.lock(app, ACTORS["ivan"], "final", password(ACTORS["ivan"]))
    with pytest.raises(Refused, match="the study is locked"):
        analysis.run(app, stella)
    for who in ("cora", "phil", "admin"):
        with pytest.raises(PermissionDenied,
                           match=r"analysis\.run is for investigator, statistician"):
            analysis.run(app, ACTORS[who])
    with pytest.raises(Refused, match=r"\.csv or \.xlsx"):
        analysis.write({"measures": []}, tmp_path_factory.mktemp("out") / "tables.txt")
    app.close()


def test_only_the_synthetic_demo_may_fix_the_allocation_seed(app: App) -> None:
    """The demo's fixed list makes its analysis reproducible; a real list never is fixed."""
    actors = make_study(app, ("rita",))
    with pytest.raises(Refused, match="for the synthetic demo only"):
        allocation.generate(app, actors["rita"], "a sealing passphrase", "an emergency passphrase",
                            confirm_unbalanced=True, demo_seed=demo.ALLOCATION_SEED)


def _cells(result: dict, measure: str) -> dict[tuple[str, str], int]:
    m = next(m for m in result["measures"] if m["measure"] == measure)
    return {(c["stratum"], c["condition"]): c["n"] for c in m["cells"]}


def _plot_n(app: App, data: plot_data.GroupPlotData) -> dict[tuple[str, str], int]:
    """n per stratum and condition as the unblinded group plot counts them."""
    codes = {c.label: c.code for c in app.protocol.conditions}
    return {(s.stratum, codes[x]): int(n) for s in data.strata
            for x, n in zip(data.x_labels, s.n, strict=True)}


def test_values_of_a_visit_changed_to_missed_are_kept_but_not_analysed(
        db_url: str, tmp_path_factory: pytest.TempPathFactory,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """P001's dose2 was logged done, its scan imported, then corrected to missed: the
    lock checklist warns, and neither the tables nor the plots count the value."""
    app = ready_app(db_url, tmp_path_factory)
    cora, ivan, stella = ACTORS["cora"], ACTORS["ivan"], ACTORS["stella"]
    done = next(r for r in visits.list_visits(app, cora, 1) if r.visit == "dose2")
    visits.log(app, cora, 1, "dose2", date=done.actual, status="missed",
               reason="kit never taken: logged done by mistake")
    items = {i.key: i for i in lock.checklist(app, ivan)}
    stranded = items["values_on_unresolved_visits"]
    assert stranded.ok and stranded.warning
    assert [(p.participant, p.visit) for p in stranded.problems] == [("P001", "dose2")]
    assert "logged missed" in stranded.problems[0].message
    r = cli(capsys, monkeypatch, db_url, "--json", "lock", "--check", user="ivan",
            password=password(ivan))
    assert r.code == 0 and r.json["ready"] is True
    warned = next(i for i in r.json["items"] if i["key"] == "values_on_unresolved_visits")
    assert warned["warning"] is True and warned["problems"][0]["record"] == "P001/dose2"
    lock.lock(app, ivan, "final", password(ivan))
    unblinding.unblind_study(app, stella, "analysis", PASSPHRASE, password(stella))

    with app.read() as s:
        missed = s.scalar(select(RevealedCondition.condition).join(
            Participant, Participant.id == RevealedCondition.participant_id)
            .where(Participant.label == "P001", RevealedCondition.visit == "dose2"))
    result = analysis.run(app, stella)
    cells = _cells(result, "amygdala_threat")
    assert cells["NTNA+", missed] == 0  # P001 is NTNA+'s only participant
    assert sum(n for (stratum, _), n in cells.items() if stratum == "NTNA+") == 2
    assert sum(n for (stratum, _), n in cells.items() if stratum == "NTNA-") == 3
    group = plot_data.group_plot(app, stella, "amygdala_threat")
    assert _plot_n(app, group) == cells
    assert group.left_out == ("1 value left out: stored on visits logged missed or cancelled",)
    series = plot_data.participant_plots(app, stella, "P001").measures["amygdala_threat"]
    assert series.visit_ids == VISITS and series.given.tolist() == [True, True, False, True]
    assert "visit logged missed: the value is stored but not analysed" in series.tooltips[2]
    app.close()
