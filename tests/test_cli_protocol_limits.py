"""`init` holds a new protocol to the same limits on SQLite and PostgreSQL: what one
refuses the other refuses, and what one accepts the other can store (a condition code
or an ID prefix at its limit used to pass on SQLite and break on PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import create_engine, inspect

from db.models import Participant, RevealedCondition, Study
from services import participants
from services.context import Actor, App
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS
from tests.domain.test_protocol_limits import BAD, TEXT, with_
from trialcore import limits as L

ADMIN = {"user": "admin", "password": PASSWORDS["admin"]}


def test_every_protocol_beyond_the_limits_is_refused_by_init(db_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                             capsys, monkeypatch) -> None:
    for i, (text, key, said) in enumerate(BAD):
        path = tmp_path / f"p{i}.toml"
        path.write_text(text, encoding="utf-8")
        r = cli(capsys, monkeypatch, db_url, "--json", "init", str(path), **ADMIN)
        assert r.code == 1 and "Traceback" not in r.err, key
        doc = json.loads(r.out)
        assert any(d["key"] == key and said in d["message"] for d in doc["details"]), doc
    engine = create_engine(db_url)
    assert inspect(engine).get_table_names() == []  # each failed init removed its tables
    engine.dispose()


def test_a_protocol_at_the_limits_makes_a_study_on_both(db_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        capsys, monkeypatch) -> None:
    code = "C" * L.CONDITION_CODE_LENGTH
    text = TEXT.replace('"PBO"', f'"{code}"')
    text = with_('id_prefix = "P"', 'id_prefix = "' + "P" * L.ID_PREFIX_LENGTH + '"', text)
    text = with_("id_digits = 3", f"id_digits = {L.MAX_ID_DIGITS}", text)
    text = with_('title = "MDMA and the non-conscious threat circuit (reference crossover)"',
                 'title = "' + "t" * L.PROTOCOL_TITLE_LENGTH + '"', text)
    path = tmp_path / "edge.toml"
    path.write_text(text, encoding="utf-8")
    r = cli(capsys, monkeypatch, db_url, "--json", "init", str(path), **ADMIN)
    assert r.code == 0, r.out
    app = App(db_url)
    try:
        row = participants.add(app, Actor("cora", "coordinator"),
                               L.MAX_PARTICIPANT_NUMBER)
        assert row.label == "P" * L.ID_PREFIX_LENGTH + "9" * L.MAX_ID_DIGITS
        assert app.protocol.conditions[0].code == code
    finally:
        app.close()


def test_the_columns_are_sized_from_the_limits() -> None:
    assert RevealedCondition.__table__.c.condition.type.length == L.CONDITION_CODE_LENGTH
    assert Participant.__table__.c.label.type.length == L.LABEL_LENGTH
    assert Study.__table__.c.title.type.length >= L.PROTOCOL_TITLE_LENGTH + 30
