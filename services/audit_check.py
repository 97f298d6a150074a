"""Verifying the audit trail in a child process, so the window stays quick meanwhile.

The check hashes every row of every audited table: about a minute for three million
observations, pure Python all along. In a thread of the GUI process it would hold the
interpreter lock that long and every click would wait for it; a child process runs
on its own and the waiting thread sleeps. The database URL (it may carry a password)
goes through the environment, never the command line.

    TRIALDESK_VERIFY_URL=URL python -m services.audit_check   # prints one JSON line
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from db import audit
from services.context import Actor, App, require
from services.errors import Refused

ENV = "TRIALDESK_VERIFY_URL"
ROOT = Path(__file__).resolve().parents[1]
POLL = 0.2  # seconds between checks for a cancel while the child works


def in_memory(url: str) -> bool:
    return url.startswith("sqlite") and url.rstrip("/").endswith((":memory:", "sqlite:"))


def verify(app: App, actor: Actor, cancelled: Callable[[], bool]) -> audit.VerifyResult:
    """audit_trail.verify's result, computed by a child process (killed if cancelled)."""
    require(actor, "audit.read")
    if in_memory(app.url):  # another process cannot see it
        with app.read() as s:
            return audit.verify(s)
    env = {**os.environ, ENV: app.url,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-m", "services.audit_check"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while True:
        try:
            out, err = child.communicate(timeout=POLL)
            break
        except subprocess.TimeoutExpired:
            if cancelled():
                child.kill()
                child.communicate()
                raise Refused("the audit check was cancelled") from None
    if child.returncode:
        why = err.strip().splitlines()[-1] if err.strip() else f"exit {child.returncode}"
        raise Refused(f"the audit check failed: {why}")
    found = json.loads(out.strip().splitlines()[-1])
    return audit.VerifyResult(found["entries"], found["head"], found["problems"])


def main() -> None:
    app = App(os.environ[ENV])
    try:
        with app.read() as s:
            result = audit.verify(s)
    finally:
        app.close()
    print(json.dumps({"entries": result.entries, "head": result.head,
                      "problems": result.problems}), flush=True)


if __name__ == "__main__":
    main()
