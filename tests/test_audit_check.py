"""The window's audit check runs in a child process: same verdict as in process, and a
cancel stops the child."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from sqlalchemy import text

from services import audit_check, audit_trail
from services.context import Actor, App
from services.errors import Refused
from tests.importers.helpers import baseline_study


def test_the_child_gives_the_verdict_of_the_process(app: App) -> None:
    cora = baseline_study(app, [1, 2])["cora"]
    here, there = audit_trail.verify(app, cora), audit_check.verify(app, cora, lambda: False)
    assert there.ok and (there.entries, there.head) == (here.entries, here.head)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE participants SET notes = 'behind its back' WHERE number = 2"))
    here, there = audit_trail.verify(app, cora), audit_check.verify(app, cora, lambda: False)
    assert not there.ok and there.problems == here.problems
    assert "participants" in there.problems[0]


def test_a_cancel_kills_the_child_and_the_role_check_still_applies(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    cora = baseline_study(app, [1])["cora"]
    started: list[subprocess.Popen[str]] = []

    def spawn(*args: Any, **kwargs: Any) -> subprocess.Popen[str]:
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    real_popen = subprocess.Popen
    monkeypatch.setattr(audit_check.subprocess, "Popen", spawn)
    with pytest.raises(Refused, match="cancelled"):
        audit_check.verify(app, cora, lambda: True)
    [child] = started
    assert child.returncode == -signal.SIGKILL  # killed, and reaped
    with pytest.raises(ProcessLookupError):
        os.kill(child.pid, 0)  # no such process any more
    with pytest.raises(Refused):
        audit_check.verify(app, Actor("phil", "pharmacist"), lambda: False)


def test_an_in_memory_database_is_checked_in_process() -> None:
    assert audit_check.in_memory("sqlite://") and audit_check.in_memory("sqlite:///:memory:")
    assert not audit_check.in_memory("sqlite:////tmp/study.sqlite")


def test_the_child_ends_when_its_parent_is_gone() -> None:
    """A window that exits at once must not leave a check hashing rows for nobody: the
    child stops when the pipe only its parent writes to reaches end-of-file."""
    lifeline, held = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-c", "import os, sys, time; from services import audit_check; "
         "audit_check.exit_with_parent(int(sys.argv[1])); time.sleep(60)", str(lifeline)],
        cwd=audit_check.ROOT, pass_fds=(lifeline,))
    os.close(lifeline)
    try:
        time.sleep(1)
        assert child.poll() is None  # alive while the parent's end is open
        os.close(held)  # what the parent's exit does
        assert child.wait(timeout=10) == 1
    finally:
        child.kill()


def test_the_child_checks_at_a_lower_priority_than_the_window(app: App) -> None:
    """The check yields the processors to the window: its niceness is the window's plus
    NICENESS (as far as the scheduler allows)."""
    baseline_study(app, [1])
    lifeline, held = os.pipe()
    try:
        done = subprocess.run([*audit_check.child_command(), str(lifeline)],
                              cwd=audit_check.ROOT, pass_fds=(lifeline,), capture_output=True,
                              text=True, timeout=120, check=True,
                              env={**os.environ, audit_check.ENV: app.url})
    finally:
        os.close(lifeline)
        os.close(held)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["problems"] == []
    assert found["niceness"] == min(19, os.nice(0) + audit_check.NICENESS)
