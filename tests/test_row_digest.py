"""`audit verify`'s fast row text is the writers' canonical JSON, byte for byte.

db/row_digest.py builds each row's text column by column for speed; the writers
fingerprint `canonical_json(canonical_row(...))`. If the two ever differed, every study
written before would fail to verify, so they are compared here over random rows of
every audited table (every column type, NULLs, any Unicode, extreme numbers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Table

from db.audit import audited_tables, canonical_row
from db.row_digest import RowText, audited_columns
from trialcore.audit_chain import canonical_json, row_fingerprint, text_fingerprint

TABLES = {t.name: t for t in audited_tables()}


def _values(column: Any) -> st.SearchStrategy[Any]:
    """What the driver hands back for a column of this type."""
    kind = column.type
    if isinstance(kind, Boolean):
        value: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(kind, Integer):
        value = st.integers(min_value=-(2**63), max_value=2**63 - 1)
    elif isinstance(kind, Float):
        value = st.floats(allow_nan=False, allow_infinity=False)
    elif isinstance(kind, DateTime):
        value = st.datetimes(min_value=dt.datetime(1, 1, 1))
    elif isinstance(kind, Date):
        value = st.dates()
    else:
        value = st.text()
    return st.none() | value


def _rows(table: Table) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    return st.lists(st.tuples(*(_values(c) for c in audited_columns(table))),
                    min_size=1, max_size=20)


def _writers_text(table: Table, row: tuple[Any, ...]) -> str:
    names = [c.name for c in audited_columns(table)]
    return canonical_json(canonical_row(table, dict(zip(names, row, strict=True))))


def _no_fallback(_values: Mapping[str, Any]) -> str:
    raise AssertionError("well-typed rows must not need the slow path")


@pytest.mark.parametrize("name", sorted(TABLES))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_fast_text_is_the_writers_canonical_json(name: str, data: st.DataObject) -> None:
    table = TABLES[name]
    rows = data.draw(_rows(table))
    texts = RowText(table).texts(rows, _no_fallback)
    assert texts == [_writers_text(table, r) for r in rows]
    assert [text_fingerprint(t) for t in texts] == [
        row_fingerprint(canonical_row(table, dict(zip([c.name for c in audited_columns(table)],
                                                      r, strict=True)))) for r in rows]


@settings(max_examples=40, deadline=None)
@given(odd=st.one_of(st.text(alphabet="0123456789", min_size=1, max_size=6),
                     st.floats(allow_nan=False, allow_infinity=False), st.booleans()))
def test_a_value_of_another_type_gets_the_writers_text_too(odd: Any) -> None:
    """SQLite stores whatever a raw edit writes: the text must still be the writers'."""
    table = TABLES["observations"]
    names = [c.name for c in audited_columns(table)]
    row = tuple(odd if n == "participant_id" else {"import_id": 1, "measure": "m",
                                                   "value": 0.5, "visit": "v"}[n]
                for n in names)

    def exact(values: Mapping[str, Any]) -> str:
        return canonical_json(canonical_row(table, values))

    assert RowText(table).texts([row], exact) == [_writers_text(table, row)]


def test_a_value_the_writers_cannot_encode_is_refused_as_they_refuse_it() -> None:
    table = TABLES["observations"]
    names = [c.name for c in audited_columns(table)]
    row = tuple(float("nan") if n == "value" else None for n in names)

    def exact(values: Mapping[str, Any]) -> str:
        return canonical_json(canonical_row(table, values))

    with pytest.raises(ValueError):
        _writers_text(table, row)
    with pytest.raises(ValueError):
        RowText(table).texts([row], exact)
