"""Verifying the audit trail in a child process, so the window stays quick meanwhile.

The check hashes every row of every audited table: seconds for three million
observations, in Python all along. In a thread of the GUI process it would hold the
interpreter lock that long and every click would wait for it; a child process runs
on its own, at a lower priority than the window, and the waiting thread sleeps. The
database URL (it may carry a password) goes through the environment, never the command
line.

    TRIALDESK_VERIFY_URL=URL python -m services.audit_check FD   # prints one JSON line
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from db import audit
from services.context import Actor, App, require
from services.errors import Refused

ENV = "TRIALDESK_VERIFY_URL"
ROOT = Path(__file__).resolve().parents[1]
POLL = 0.2  # seconds between checks for a cancel while the child works
# The child yields the processors to the window (and to anything else the user runs): the
# check is a background courtesy, worth a few seconds more, never a slower click.
NICENESS = 10


def in_memory(url: str) -> bool:
    return url.startswith("sqlite") and url.rstrip("/").endswith((":memory:", "sqlite:"))


def verify(app: App, actor: Actor, cancelled: Callable[[], bool]) -> audit.VerifyResult:
    """audit_trail.verify's result, computed by a child process (killed if cancelled)."""
    require(actor, "audit.read")
    return in_child(app, cancelled)


def in_child(app: App, cancelled: Callable[[], bool]) -> audit.VerifyResult:
    """The verification, problems and all, computed by a child process; for a service
    that checked its caller's role (verify here, services.lock.verify_trail). The child
    holds the read end of a pipe whose write end only this process holds: when this
    process ends, however it ends, the child reads end-of-file and stops."""
    if in_memory(app.url):  # another process cannot see it
        with app.read() as s:
            return audit.verify(s)
    env = {**os.environ, ENV: app.url,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    lifeline, held = os.pipe()
    try:
        child = subprocess.Popen([*child_command(), str(lifeline)],
                                 cwd=ROOT, env=env, pass_fds=(lifeline,),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        os.close(lifeline)
        out, err = _wait(child, cancelled)
    finally:
        os.close(held)
    if child.returncode:
        why = err.strip().splitlines()[-1] if err.strip() else f"exit {child.returncode}"
        raise Refused(f"the audit check failed: {why}")
    found = json.loads(out.strip().splitlines()[-1])
    return audit.VerifyResult(found["entries"], found["head"], found["problems"])


CHILD_FLAG = "--audit-check-child"


def child_command() -> list[str]:
    """How to start the check: `python -m services.audit_check` from a Python install; a
    PyInstaller bundle has no `-m`, so its own executable is started with a flag that
    main.py hands to main() before anything else."""
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_FLAG]
    return [sys.executable, "-m", "services.audit_check"]


def _wait(child: subprocess.Popen[str], cancelled: Callable[[], bool]) -> tuple[str, str]:
    while True:
        try:
            return child.communicate(timeout=POLL)
        except subprocess.TimeoutExpired:
            if cancelled():
                child.kill()
                child.communicate()
                raise Refused("the audit check was cancelled") from None


def exit_with_parent(lifeline: int) -> None:
    """End this process when the pipe `lifeline` reads end-of-file (the parent is gone): an
    orphaned check would hash rows for a minute for nobody."""

    def watch() -> None:
        while os.read(lifeline, 1):
            pass
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def lower_priority() -> int:
    """Lower this process's scheduling priority by NICENESS; the niceness it now has.
    Windows has no os.nice: there the check keeps the normal priority."""
    nice = getattr(os, "nice", None)
    return nice(NICENESS) if nice else 0


def main(lifeline: str | None = None) -> None:
    niceness = lower_priority()
    exit_with_parent(int(lifeline if lifeline is not None else sys.argv[1]))
    app = App(os.environ[ENV])
    try:
        with app.read() as s:
            result = audit.verify(s)
    finally:
        app.close()
    print(json.dumps({"entries": result.entries, "head": result.head,
                      "problems": result.problems, "niceness": niceness}), flush=True)


if __name__ == "__main__":
    main()
