"""The window's audit check runs in a child process: same verdict as in process, and a
cancel stops the child."""

from __future__ import annotations

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


def test_a_cancel_kills_the_child_and_the_role_check_still_applies(app: App) -> None:
    cora = baseline_study(app, [1])["cora"]
    with pytest.raises(Refused, match="cancelled"):
        audit_check.verify(app, cora, lambda: True)
    with pytest.raises(Refused):
        audit_check.verify(app, Actor("phil", "pharmacist"), lambda: False)


def test_an_in_memory_database_is_checked_in_process() -> None:
    assert audit_check.in_memory("sqlite://") and audit_check.in_memory("sqlite:///:memory:")
    assert not audit_check.in_memory("sqlite:////tmp/study.sqlite")
