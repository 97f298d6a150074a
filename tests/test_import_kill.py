"""An import process killed in the middle of its commit leaves the database as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from services import accounts, audit_trail, imports, participants, visits
from services.context import Actor, App
from services.study import init_study
from tests.conftest import PASSWORDS, REFERENCE
from tests.importers.files import write_csv
from tests.importers.helpers import counts, registered

MAIN = Path(__file__).resolve().parent.parent / "main.py"
PEOPLE, ITEMS = 40, 5000  # 200,000 answers: four chunks of writes inside one transaction


def _big_protocol(tmp_path: Path) -> Path:
    items = ", ".join(f'"b{i:04d}"' for i in range(ITEMS))
    text = Path(REFERENCE).read_text() + (
        '\n[[measures]]\nname = "big_scale"\nlabel = "Many items"\nkind = "questionnaire"\n'
        f'unit = "sum score"\nmin = 0\nmax = 4\nitems = [{items}]\nscore = "sum"\n')
    path = tmp_path / "big.toml"
    path.write_text(text)
    return path


def test_killed_mid_commit_leaves_the_database_unchanged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'study.sqlite'}"
    app = App(url)
    init_study(app, _big_protocol(tmp_path), "admin", PASSWORDS["admin"])
    accounts.add_user(app, Actor("admin", "admin"), "cora", "coordinator", PASSWORDS["cora"])
    cora = Actor("cora", "coordinator")
    for n in range(1, PEOPLE + 1):
        participants.add(app, cora, n, registered_on=registered())
        visits.log(app, cora, n, "baseline", date=registered())
    path = write_csv(tmp_path / "answers.csv", ["participant", "visit", "item", "value"],
                     [[f"P{p:03d}", "baseline", f"b{i:04d}", (p + i) % 5]
                      for p in range(1, PEOPLE + 1) for i in range(ITEMS)])
    before = counts(app)
    app.close()

    env = {**os.environ, "TRIALDESK_USER": "cora", "TRIALDESK_PASSWORD": PASSWORDS["cora"]}
    proc = subprocess.Popen(
        [sys.executable, str(MAIN), "--db", url, "--json", "import", "questionnaire",
         str(path), "--format", "long", "--progress"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "writing item_responses" in line:  # the first chunk is in, the commit is not
            os.kill(proc.pid, signal.SIGKILL)
            break
    assert proc.wait(timeout=60) == -signal.SIGKILL, "".join(seen)

    with sqlite3.connect(tmp_path / "study.sqlite") as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    app = App(url)
    assert counts(app) == before
    result = audit_trail.verify(app, cora)
    assert result.ok, result.problems
    report = imports.commit(app, cora, imports.ImportOptions("questionnaire", str(path),
                                                             format="long"))
    assert report.committed and report.inserted == PEOPLE * ITEMS
    app.close()
