"""The query list reads every query with its conversation in one statement, and lists
exactly what the query's own steps returned, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from db.models import DataQuery, QueryMessage
from services import queries
from services.context import Actor, App
from tests.importers.helpers import baseline_study
from tests.statements import Statements
from tests.test_data_capture import _with_monitor


@pytest.fixture
def conversations(app: App) -> tuple[dict[str, Actor], dict[int, queries.QueryRow]]:
    """Queries on P001 and P002 in every state, each as its last step returned it."""
    people = _with_monitor(app, baseline_study(app, [1, 2, 3], done=[1, 2]))
    cora, mona = people["cora"], people["mona"]
    last: dict[int, queries.QueryRow] = {}
    for n, visit, name in ((1, "baseline", "tsnr"), (2, "baseline", "anx_2"),
                           (1, "dose1", "fd_mean"), (2, "baseline", "tsnr")):
        q = queries.open_query(app, mona, n, visit, name, f"check {name} of P00{n}")
        last[q.id] = q
    first, second, third, _fourth = sorted(last)
    last[first] = queries.answer(app, cora, first, "source agrees")[0]
    last[first] = queries.close(app, mona, first, "thanks")
    last[first] = queries.reopen(app, mona, first, "page 2 disagrees")
    last[second] = queries.answer(app, cora, second, "typo")[0]
    last[third] = queries.answer(app, cora, third, "checked")[0]
    last[third] = queries.close(app, mona, third)
    return people, last


def test_listed_queries_are_what_their_steps_returned(
        app: App, conversations: tuple[dict[str, Actor], dict[int, queries.QueryRow]]) -> None:
    people, last = conversations
    cora = people["cora"]
    listed = queries.list_queries(app, cora)
    assert [q.as_dict() for q in listed] == [last[n].as_dict() for n in sorted(last)]
    assert [len(q.messages) for q in listed] == [4, 2, 3, 1]
    assert [q.text for q in listed] == ["check tsnr of P001", "check anx_2 of P002",
                                        "check fd_mean of P001", "check tsnr of P002"]
    assert listed[0].answers == [listed[0].messages[1]]
    assert listed[2].visit_label == "Dosing 1" and listed[1].name_label.endswith("item 2")


def test_queries_are_filtered_by_state_participant_and_not_closed(
        app: App, conversations: tuple[dict[str, Actor], dict[int, queries.QueryRow]]) -> None:
    people, last = conversations
    cora = people["cora"]
    first, second, third, fourth = sorted(last)

    def ids(**filters: object) -> list[int]:
        return [q.id for q in queries.list_queries(app, cora, **filters)]  # type: ignore[arg-type]

    assert ids(status="open") == [first, fourth]
    assert ids(status="answered") == [second]
    assert ids(status="closed") == [third]
    assert ids(not_closed=True) == [first, second, fourth]
    assert ids(participant="P002") == [second, fourth]
    assert ids(participant=2, not_closed=True, status="open") == [fourth]
    assert ids(participant="P003") == []
    # the lock checklist's list: every query not closed, without its conversation
    with app.read() as s:
        assert [q.as_dict() for q in queries.unresolved(s, app.protocol)] == [
            {**last[n].as_dict(), "answers": [], "messages": []} for n in (first, second, fourth)]


def test_a_query_without_messages_is_still_listed(
        app: App, conversations: tuple[dict[str, Actor], dict[int, queries.QueryRow]]) -> None:
    """Outer-joined: a query whose conversation is empty shows with an empty text, as the
    ORM rows did, instead of vanishing from the list."""
    people, last = conversations
    bare = max(last)
    with app.sessions() as s, s.begin():
        s.execute(delete(QueryMessage).where(QueryMessage.query_id == bare))
    row = queries.list_queries(app, people["cora"], participant="P002")[-1]
    assert (row.id, row.text, row.messages, row.answers) == (bare, "", [], [])


def test_the_list_is_one_statement_however_many_queries(
        app: App, conversations: tuple[dict[str, Actor], dict[int, queries.QueryRow]]) -> None:
    people, _last = conversations
    app.protocol  # noqa: B018 (read once, cached: not part of the list)
    with app.sessions() as s, s.begin():  # still one statement for closed ones too
        s.execute(update(DataQuery).values(status="open"))
    with Statements(app) as seen:
        listed = queries.list_queries(app, people["cora"])
    assert len(listed) == 4 and len(seen) == 1
