"""Adverse events, and the new tables after lock: services refuse, the database refuses raw SQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services import (
    accounts,
    adverse_events,
    audit_trail,
    data_entry,
    lock,
    queries,
    sdv,
    unblinding,
)
from services.context import Actor, App
from services.errors import PermissionDenied, Refused
from tests.conftest import PASSWORDS
from tests.lock_helpers import ACTORS, EMERGENCY, PASSPHRASE, password, ready_app

MONA = Actor("mona", "monitor")
CORA, IVAN, STELLA = ACTORS["cora"], ACTORS["ivan"], ACTORS["stella"]
ONSET = dt.date(2026, 1, 20)
RAW_WRITES = [
    "INSERT INTO queries (participant_id, visit, name, status, opened_by, opened_at, version) "
    "SELECT id, 'dose1', 'tsnr', 'open', 'mona', '2026-06-01', 1 FROM participants "
    "WHERE number = 1",
    "UPDATE queries SET status = 'open'",
    "INSERT INTO query_messages (query_id, kind, text, by, at) SELECT id, 'answer', 'x', "
    "'cora', '2026-06-01' FROM queries",
    "UPDATE query_messages SET text = 'rewritten'",
    "INSERT INTO sdv_marks (participant_id, visit, by, at) SELECT id, 'dose2', 'mona', "
    "'2026-06-01' FROM participants WHERE number = 2",
    "UPDATE sdv_marks SET by = 'mallory'",
    "INSERT INTO adverse_events (participant_id, term, onset, severity, serious, related, "
    "reported_by, reported_at, version) SELECT id, 'rash', '2026-01-20', 'mild', false, "
    "'possible', 'cora', '2026-06-01', 1 FROM participants WHERE number = 1",
    "UPDATE adverse_events SET severity = 'mild'",
    "DELETE FROM adverse_events",
]


@pytest.fixture
def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Overrides conftest's empty database: a study ready to lock, with a monitor."""
    application = ready_app(db_url, tmp_path_factory)
    accounts.add_user(application, ACTORS["admin"], "mona", "monitor", PASSWORDS["mona"])
    yield application
    application.close()


def _ae(app: App, actor: Actor, serious: str = "no", **more: object) -> adverse_events.AeRow:
    fields = {"term": "headache", "onset": ONSET, "severity": "mild", "serious": serious,
              "related": "possible", **more}
    return adverse_events.add(app, actor, 1, **fields)


def test_adverse_events_add_update_list_and_roles(app: App) -> None:
    plain = _ae(app, CORA)
    assert plain.emergency is None and plain.severity == "mild"
    serious = _ae(app, ACTORS["ivan"], serious="yes", visit="dose1")
    assert "emergency envelope" in serious.emergency and "P001" in serious.emergency
    for bad, message, fields in [({"severity": "awful"}, "severity 'awful'", ("severity",)),
                                 ({"related": "maybe"}, "related 'maybe'", ("related",)),
                                 ({"onset": "yesterday"}, "onset 'yesterday'", ("onset",)),
                                 ({"resolved": "2026-01-01"}, "before the onset",
                                  ("resolved", "onset"))]:
        with pytest.raises(Refused, match=message) as refused:
            _ae(app, CORA, **bad)
        assert refused.value.fields == fields and "--" not in refused.value.message
    with pytest.raises(PermissionDenied):
        _ae(app, MONA)
    with pytest.raises(Refused, match="needs a reason"):
        adverse_events.update(app, CORA, plain.id, None, resolved="2026-01-22")
    updated = adverse_events.update(app, CORA, plain.id, "resolved at follow-up",
                                    resolved="2026-01-22", outcome="recovered")
    assert updated.resolved == "2026-01-22" and updated.outcome == "recovered"
    assert [a.id for a in adverse_events.list_events(app, MONA)] == [plain.id, serious.id]
    assert adverse_events.list_events(app, STELLA, participant=2) == []
    with pytest.raises(PermissionDenied):
        adverse_events.list_events(app, ACTORS["phil"])
    change = [e for e in audit_trail.entries(app, CORA) if e["action"] == "ae.update"]
    assert change and change[0]["reason"] == "resolved at follow-up"
    unblinding.emergency(app, IVAN, 1, "the SAE needs it", EMERGENCY, password(IVAN))
    opened = adverse_events.list_events(app, CORA)[1].emergency
    assert opened is not None and "opened already" in opened


def test_ae_table_by_condition_only_after_unblinding(app: App) -> None:
    _ae(app, CORA, visit="dose1")
    _ae(app, CORA, visit="dose2", severity="severe")
    with pytest.raises(Refused, match="only after unblinding"):
        adverse_events.table(app, STELLA)
    with pytest.raises(PermissionDenied):
        adverse_events.table(app, MONA)
    lock.lock(app, IVAN, "final", password(IVAN))
    with pytest.raises(Refused, match="only after unblinding"):
        adverse_events.table(app, STELLA)
    unblinding.unblind_study(app, STELLA, "final analysis", PASSPHRASE, password(STELLA))
    out = adverse_events.table(app, STELLA)
    anyone = {r["condition"]: r["participants"] for r in out["rows"] if r["by"] == "any"}
    assert sum(anyone.values()) == 2 and out["events"] == 2
    assert "not linked to a dosing visit" not in anyone


def test_after_lock_the_new_tables_refuse_services_and_raw_sql(app: App) -> None:
    ae = _ae(app, CORA)
    q = queries.open_query(app, MONA, 1, "dose1", "amygdala_threat", "check the sign")
    queries.answer(app, CORA, q.id, "as in the source")
    with pytest.raises(PermissionDenied):
        queries.close(app, CORA, q.id)
    queries.close(app, MONA, q.id)
    sdv.mark(app, MONA, 1, "dose1")
    lock.lock(app, IVAN, "final", password(IVAN))
    calls = [
        lambda: data_entry.set_values(app, CORA, 1, "dose1", {"tsnr": "50"}),
        lambda: queries.open_query(app, MONA, 1, "dose1", "tsnr", "?"),
        lambda: queries.reopen(app, MONA, q.id, "again"),
        lambda: sdv.mark(app, MONA, 1, "dose2"),
        lambda: sdv.mark(app, MONA, 1, "dose1", undo=True, reason="r"),
        lambda: _ae(app, CORA),
        lambda: adverse_events.update(app, CORA, ae.id, "late", outcome="recovered"),
    ]
    for call in calls:
        with pytest.raises(Refused, match="locked"):
            call()
    for sql in RAW_WRITES:
        with pytest.raises(DBAPIError) as caught, app.engine.begin() as conn:
            conn.execute(text(sql))
        assert "study is locked" in str(caught.value.orig), sql
    assert audit_trail.verify(app, IVAN).ok
