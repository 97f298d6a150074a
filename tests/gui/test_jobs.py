"""The long-job pattern: progress, cancellation, refusals and errors, never a frozen window."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from gui.common.jobs import SHOW_DIALOG_AFTER_MS, Cancelled, Job, JobRunner, Progress
from services.errors import Refused


class CountingJob(Job):
    """Counts until cancelled or until `go` lets it finish."""

    title = "Counting"

    def __init__(self, fail: Exception | None = None):
        self.started, self.go = threading.Event(), threading.Event()
        self.fail = fail
        self.results: list[object] = []
        self.steps = 0

    def run(self, progress: Progress, cancelled: Cancelled) -> object:
        self.started.set()
        while not cancelled() and not self.go.is_set():
            self.steps += 1
            progress(self.steps % 100, 100, f"step {self.steps}")
            threading.Event().wait(0.005)
        if self.fail:
            raise self.fail
        return self.steps

    def process_result(self, result: object) -> None:
        self.results.append(result)


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.fixture
def runner(window: QWidget) -> JobRunner:
    return JobRunner(window)


def test_progress_reaches_the_dialog_and_the_result_is_processed(
        qtbot: QtBot, runner: JobRunner) -> None:
    job = CountingJob()
    assert runner.start(job)
    dialog = runner.runs[0].dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.labelText().startswith("step"))
    with qtbot.waitSignal(runner.done, timeout=5000):
        job.go.set()
    assert job.results == [job.steps]
    assert runner.runs == []


def test_cancel_stops_the_job_and_skips_process_result(qtbot: QtBot, runner: JobRunner) -> None:
    job = CountingJob()
    runner.start(job)
    dialog = runner.runs[0].dialog
    qtbot.waitUntil(dialog.isVisible)
    with qtbot.waitSignal(runner.done, timeout=5000):
        qtbot.mouseClick(dialog.findChild(QPushButton), Qt.MouseButton.LeftButton)
    assert job.started.is_set() and job.steps > 0
    assert job.results == []
    assert runner.message is None


def test_an_exception_in_run_is_reported_and_logged(
        qtbot: QtBot, runner: JobRunner, caplog: pytest.LogCaptureFixture) -> None:
    job = CountingJob(fail=ValueError("disk on fire"))
    job.go.set()
    with caplog.at_level(logging.ERROR), qtbot.waitSignal(runner.done, timeout=5000):
        runner.start(job)
    assert job.results == []
    assert runner.message is not None
    assert runner.message.icon() == QMessageBox.Icon.Critical
    assert "ValueError: disk on fire" in runner.message.text()
    assert "disk on fire" in caplog.text


def test_a_refusal_is_shown_as_its_message(qtbot: QtBot, runner: JobRunner) -> None:
    detail = {"row": 3, "column": "fd", "message": "bad"}
    job = CountingJob(fail=Refused("the study is locked", [detail]))
    job.go.set()
    with qtbot.waitSignal(runner.done, timeout=5000):
        runner.start(job)
    assert runner.message.icon() == QMessageBox.Icon.Warning
    assert runner.message.text() == "the study is locked\n• row 3, column fd: bad"


def test_prepare_refuses_before_any_thread_starts(runner: JobRunner) -> None:
    class Unready(CountingJob):
        def prepare(self) -> None:
            raise Refused("choose a file first")

    job = Unready()
    assert not runner.start(job)
    assert not job.started.is_set() and runner.runs == []
    assert runner.message.text() == "choose a file first"


def test_a_job_may_show_its_refusal_itself(qtbot: QtBot, runner: JobRunner) -> None:
    shown: list[str] = []

    class Inline(CountingJob):
        def process_refusal(self, exc: Refused) -> bool:
            shown.append(exc.message)
            return True

    job = Inline(fail=Refused("wrong passphrase"))
    job.go.set()
    with qtbot.waitSignal(runner.done, timeout=5000):
        runner.start(job)
    assert shown == ["wrong passphrase"] and runner.message is None


def test_a_background_job_shows_no_dialog(qtbot: QtBot, runner: JobRunner) -> None:
    job = CountingJob()
    job.background = True
    runner.start(job)
    dialog = runner.runs[0].dialog
    qtbot.wait(SHOW_DIALOG_AFTER_MS * 2)
    assert not dialog.isVisible()
    with qtbot.waitSignal(runner.done, timeout=5000):
        job.go.set()
    assert job.results == [job.steps]


def test_closing_the_window_mid_job_drops_the_result_quietly(qtbot: QtBot) -> None:
    window = QWidget()  # not given to qtbot: the test deletes it
    window.show()
    runner = JobRunner(window)
    job = CountingJob()
    runner.start(job)
    qtbot.waitUntil(lambda: job.steps > 3)
    with qtbot.waitSignal(window.destroyed):
        window.deleteLater()
    job.go.set()
    assert QThreadPool.globalInstance().waitForDone(5000)
    qtbot.wait(50)  # the worker's last signals arrive at nobody
    assert job.results == []


def test_the_gui_never_pumps_events_by_hand() -> None:
    gui = Path(__file__).resolve().parents[2] / "gui"
    offenders = [p.name for p in gui.rglob("*.py") if ".processEvents(" in p.read_text()]
    assert offenders == []
