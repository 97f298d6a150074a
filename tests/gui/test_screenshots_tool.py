"""tools/screenshots.py, the run that grabs every screen for looking at (issue 15): two stages
as two roles, so later windows are built after the first is gone, as in the full run."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from gui.window.main_window import MainWindow
from gui.window.tabs import TABS, shown_to
from tools import screenshots

ROOT = Path(__file__).resolve().parents[2]
ROLES = ("coordinator", "pharmacist")
STAGES = ("setup", "running")


def _slug(title: str) -> str:
    return title.lower().replace(" ", "-")


def test_stages_are_shot_in_one_process_every_tab_of_every_role(tmp_path: Path) -> None:
    """Exit 0 (it segfaulted), a PNG for every tab each role sees and for the dialogs its
    buttons and menus open, and none larger than a 1024×700 screen."""
    run = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-m", "tools.screenshots", "--stage", *STAGES,
         "--role", *ROLES, "--width", "1024", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "1024×700" not in run.stderr  # every screen and dialog fits a laptop's
    shot = {path.name for path in tmp_path.glob("*.png")}
    for stage in STAGES:
        for role in ROLES:
            for title, _ in shown_to(role, TABS):
                assert f"{stage}-{role}-{_slug(title)}-1024.png" in shot
        for dialog in ("participants-add", "menu-export-data", "menu-change-my-password"):
            assert f"{stage}-coordinator-{dialog}-dialog.png" in shot
    # Enrol… is disabled until the allocation list exists: a button that cannot be clicked
    assert "setup-coordinator-randomization-enrol-participant-dialog.png" not in shot
    assert "running-coordinator-randomization-enrol-participant-dialog.png" in shot
    assert "running-coordinator-visits-enter-values-dialog.png" in shot
    assert "running-pharmacist-randomization-dispensing-list-dialog.png" in shot
    assert not any(name.endswith("-1400.png") for name in shot)


def test_shooting_destroys_each_window_instead_of_leaving_it_to_the_cycle_collector(
        qtbot: QtBot, tmp_path: Path) -> None:
    """The cause of the segfaults: a dropped window was destroyed whenever the cycle
    collector next ran. With the collector off, no window of the run may be left."""
    gc.disable()
    try:
        screenshots.shoot("setup", tmp_path, ("coordinator",), screenshots.SIZES[:1])
        left = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    finally:
        gc.enable()
    assert left == []
    assert (tmp_path / "setup-coordinator-dashboard-1024.png").exists()
