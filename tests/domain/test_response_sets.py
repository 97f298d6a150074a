"""The stored text of a participant's answers at a visit: canonical and lossless."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from trialcore.response_sets import decode, encode, join, piece

items = st.text(min_size=1, max_size=10)
answers = st.dictionaries(items, st.tuples(
    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    st.one_of(st.none(), st.integers(1, 10**9))), max_size=20)


@given(answers)
def test_text_round_trips_and_is_canonical(stored: dict) -> None:  # type: ignore[type-arg]
    text = encode(stored)
    assert decode(text) == stored
    assert text == json.dumps({k: list(v) for k, v in stored.items()}, sort_keys=True,
                              separators=(",", ":"))


def test_pieces_in_item_order_give_the_same_text() -> None:
    pieces = [piece("a", 1.0, 3), piece("b", float("nan"), 3), piece("c", 2.5, None)]
    assert join(pieces) == encode({"c": (2.5, None), "a": (1.0, 3), "b": (None, 3)})
    assert join(pieces) == '{"a":[1.0,3],"b":[null,3],"c":[2.5,null]}'
