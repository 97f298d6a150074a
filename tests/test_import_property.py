"""Property: whatever damage a file has, an import writes all of it or nothing at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.audit import head_hash
from services import audit_trail, imports
from services.canonical_export import data_digest
from services.context import Actor, App
from services.errors import Refused
from tests.importers.helpers import baseline_study, counts

FILES = {
    "scans": ("participant,visit,amygdala_threat,fd_mean,tsnr\nP001,baseline,0.5,0.2,60\n"
              "P002,baseline,0.6,0.3,61\nsub-003,Baseline fMRI,0.4,0.1,55\n"),
    "questionnaire": ("participant,visit,item,value\nP001,baseline,anx_1,1\nP001,baseline,"
                      "anx_2,2\nP001,baseline,anx_3,3\nP001,baseline,anx_4,4\n"
                      "P002,baseline,lik_angry_1,7\nP002,baseline,lik_angry_2,8\n"
                      "P002,baseline,lik_angry_3,9\n3,baseline,intro_1,2\n"),
}
CELLS = ["abc", "", "NA", "-1e9", "P999", "dose3", "1,5", '"', "sub-002", "0.55", "5", "group"]
damage = st.lists(st.one_of(
    st.tuples(st.just("byte"), st.integers(0, 10**4), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**4)),
    st.tuples(st.just("copy line"), st.integers(0, 20)),
    st.tuples(st.just("drop line"), st.integers(0, 20)),
    st.tuples(st.just("insert"), st.integers(0, 10**4), st.binary(max_size=12)),
    st.tuples(st.just("cell"), st.integers(0, 20), st.integers(0, 6), st.sampled_from(CELLS)),
), min_size=1, max_size=4)


def _damaged(text: str, ops: list[tuple]) -> bytes:  # type: ignore[type-arg]
    data = text.encode()
    for op in ops:
        lines = data.split(b"\n")
        if op[0] == "byte" and data:
            i = op[1] % len(data)
            data = data[:i] + bytes([op[2]]) + data[i + 1:]
        elif op[0] == "cut":
            data = data[:op[1] % (len(data) + 1)]
        elif op[0] == "copy line":
            i = op[1] % len(lines)
            data = b"\n".join([*lines[:i + 1], lines[i], *lines[i + 1:]])
        elif op[0] == "drop line":
            i = op[1] % len(lines)
            data = b"\n".join(lines[:i] + lines[i + 1:])
        elif op[0] == "insert":
            i = op[1] % (len(data) + 1)
            data = data[:i] + op[2] + data[i:]
        elif op[0] == "cell":
            i = op[1] % len(lines)
            cells = lines[i].split(b",")
            cells[op[2] % len(cells)] = op[3].encode()
            lines[i] = b",".join(cells)
            data = b"\n".join(lines)
    return data


def _content(app: App) -> tuple[str, str]:
    """Every stored value (the lock's canonical digest) and the audit trail's head."""
    with app.read() as s:
        return data_digest(s), head_hash(s)


@pytest.fixture
def coordinator(app: App) -> Actor:
    return baseline_study(app, [1, 2, 3])["cora"]


@pytest.mark.parametrize("kind", list(FILES))
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=damage)
def test_random_damage_never_leaves_a_partial_import(app: App, coordinator: Actor,
                                                     tmp_path: Path, kind: str,
                                                     ops: list[tuple]) -> None:  # type: ignore[type-arg]
    path = tmp_path / f"damaged.{kind}.csv"
    path.write_bytes(_damaged(FILES[kind], ops))
    before, unchanged = counts(app), _content(app)
    options = imports.ImportOptions(kind, str(path), update=True)
    try:
        report = imports.commit(app, coordinator, options, reason="property test")
    except Refused:
        report = None
    after = counts(app)
    if report is not None and report.committed:
        new = {t: v["new"] for t, v in report.values.items()}
        changed = sum(v["changed"] for v in report.values.values())
        assert after["imports"] == before["imports"] + 1
        assert after["observations"] == before["observations"] + new["observations"]
        assert after["item_responses"] == before["item_responses"] + new.get("item_responses",
                                                                            0)
        assert after["audit_log"] == before["audit_log"] + 1 + changed
    else:
        assert after == before
    if report is None or report.errors or not report.committed:
        assert not (report and report.committed), "a report with errors was committed"
        assert _content(app) == unchanged, "the database changed though nothing was imported"
    result = audit_trail.verify(app, coordinator)
    assert result.ok, result.problems
