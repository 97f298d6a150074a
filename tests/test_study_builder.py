"""The benchmark study is a study the app accepts: its trail verifies, before and after
unblinding, and it holds rows of every kind a running study has."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, text

from benchmarks import study_builder
from db import audit
from db.models import (
    AdverseEvent,
    DataQuery,
    ImportRecord,
    Observation,
    QueryMessage,
    SdvMark,
    User,
)
from services.context import App
from trialcore.roles import ROLES


def test_the_built_study_verifies_and_holds_every_kind_of_row(app: App,
                                                              tmp_path: Path) -> None:
    study_builder.build(app, 60, tmp_path, measures=3)
    with app.read() as s:
        result = audit.verify(s)
        assert result.ok, result.problems

        def count(model: type, *where: object) -> int:
            return s.scalar(select(func.count()).select_from(model).where(*where))

        assert sorted(s.scalars(select(User.role))) == sorted(ROLES)
        assert count(ImportRecord, ImportRecord.kind == "entry") > 0
        entered = s.scalar(select(func.count()).select_from(Observation).join(
            ImportRecord, Observation.import_id == ImportRecord.id).where(
            ImportRecord.kind == "entry"))
        assert entered > 0
        assert count(DataQuery) > 0 and count(QueryMessage) >= 2 * count(DataQuery)
        assert count(SdvMark) > 0 and count(AdverseEvent) > 0


def test_a_row_changed_behind_the_builders_back_is_still_found(app: App,
                                                               tmp_path: Path) -> None:
    """The bulk entry records digests, not a blank cheque: verify still re-reads the rows."""
    study_builder.build(app, 12, tmp_path, measures=2)
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE observations SET value = 99 "
                          "WHERE id = (SELECT MIN(id) FROM observations)"))
    with app.read() as s:
        result = audit.verify(s)
    assert not result.ok and "table observations" in result.problems[0]


def test_the_unblinded_study_verifies_too(app: App, tmp_path: Path) -> None:
    study_builder.build(app, 12, tmp_path, measures=2)
    study_builder.unblind(app)
    with app.read() as s:
        result = audit.verify(s)
    assert result.ok, result.problems
