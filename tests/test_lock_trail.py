"""The lock checklist in two steps (the quick items at once, the audit trail verified in
a child process), and what a role that may not read the trail learns of its check;
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services import lock
from services.context import App
from tests.lock_helpers import ACTORS, ready_app
from tests.tamper import rewrite_audit_log


@pytest.fixture
def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Overrides conftest's empty database: a study ready to lock."""
    application = ready_app(db_url, tmp_path_factory)
    yield application
    application.close()


def test_the_quick_checklist_is_the_checklist_without_the_audit_item(app: App) -> None:
    full = lock.checklist(app, ACTORS["cora"])
    quick = lock.quick_checklist(app, ACTORS["cora"])
    assert quick == [i for i in full if i.key != "audit"]
    trail = lock.verify_trail(app, ACTORS["cora"])
    assert lock.audit_item(trail) == next(i for i in full if i.key == "audit")
    assert trail.ok and trail.entries > 10 and len(trail.head) == 64


def test_a_tampered_trail_fails_with_details_only_for_the_roles_that_may_read_it(
        app: App) -> None:
    rewrite_audit_log(app, "UPDATE audit_log SET reason = 'edited' WHERE seq = 2")
    reader = lock.verify_trail(app, ACTORS["ivan"])
    assert not reader.ok and "audit entry 2" in reader.problems[0]
    for name in ("phil", "rita", "admin"):  # pharmacist, randomizer, admin: no audit.read
        trail = lock.verify_trail(app, ACTORS[name])
        assert (trail.ok, trail.entries, trail.head) == (False, reader.entries, reader.head)
        assert trail.problems == [lock.UNDISCLOSED]
        item = next(i for i in lock.checklist(app, ACTORS[name]) if i.key == "audit")
        assert not item.ok and [p.message for p in item.problems] == [lock.UNDISCLOSED]
