from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialcore.ids import ParticipantIdError, canonical_id, participant_number


@pytest.mark.parametrize("text", ["7", "P7", "P007", "p007", "sub-007", "sub-P007", " P-007 ", 7,
                                  7.0, "p_7"])
def test_every_common_spelling_is_the_same_participant(text: object) -> None:
    assert participant_number(text, "P") == 7


@pytest.mark.parametrize("text", ["", "P", "X7", "7a", "sub-", "0", True, "P-1.5", "٣"])
def test_not_an_id(text: object) -> None:
    with pytest.raises(ParticipantIdError):
        participant_number(text, "P")


@given(st.integers(min_value=1, max_value=99999))
def test_canonical_round_trip(n: int) -> None:
    assert participant_number(canonical_id(n, "P", 3), "P") == n
