"""The stored text of a participant's answers at a visit: canonical and lossless."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from trialcore.response_sets import columns, decode, encode

items = st.text(min_size=1, max_size=10)
answers = st.dictionaries(items, st.tuples(
    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
    st.one_of(st.none(), st.integers(1, 10**9))), max_size=20)


@given(answers)
def test_text_round_trips_and_is_canonical(stored: dict) -> None:  # type: ignore[type-arg]
    text = encode(stored)
    assert decode(text) == stored
    assert text == json.dumps({"import": {k: i for k, (_, i) in stored.items()},
                               "value": {k: None if v is None else v + 0.0  # -0.0 as 0.0
                                         for k, (v, _) in stored.items()}},
                              sort_keys=True, separators=(",", ":"))


def test_negative_zero_is_written_as_zero() -> None:
    assert encode({"a": (-0.0, 1)}) == encode({"a": (0.0, 1)})


def test_missing_values_and_item_order() -> None:
    text = encode({"c": (2.5, None), "a": (1.0, 3), "b": (float("nan"), 3)})
    assert text == '{"import":{"a":3,"b":3,"c":null},"value":{"a":1.0,"b":null,"c":2.5}}'
    assert columns(text) == (["a", "b", "c"], [1.0, None, 2.5], [3, 3, None])
