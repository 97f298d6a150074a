"""New response sets built from a table's pieces have the very text encode() gives."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from services.answer_store import _fresh, _in_item_order
from trialcore.response_sets import encode

keys = st.tuples(st.integers(1, 4), st.sampled_from(["baseline", "dose1", "v10"]),
                 st.text(min_size=1, max_size=6))
answers = st.dictionaries(keys, st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                                          st.just(float("nan"))), max_size=40)


@settings(max_examples=80, deadline=None)
@given(answers=answers, import_id=st.integers(1, 10**6))
def test_sets_from_pieces_are_the_reference_encoding(answers: dict, import_id: int) -> None:  # type: ignore[type-arg]
    frame = pd.DataFrame([(p, v, t, x) for (p, v, t), x in answers.items()],
                         columns=["participant_id", "visit", "target", "value"])
    sets = _fresh(_in_item_order(frame), import_id) if len(frame) else []
    expected: dict[tuple[int, str], dict] = {}  # type: ignore[type-arg]
    for (p, v, t), x in answers.items():
        expected.setdefault((p, v), {})[t] = (x, import_id)
    assert {(s["participant_id"], s["visit"]): s["answers"] for s in sets} == {
        k: encode(a) for k, a in expected.items()}
