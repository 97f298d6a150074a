"""Scale scores as the protocol defines them: sum or mean, reverse-keyed items, a minimum
number answered (else no score), and a prorated sum when an item may be skipped."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REFERENCE
from trialcore.protocol import load_protocol
from trialcore.scoring import score_items

PROTOCOL = load_protocol(REFERENCE)


def _score(answers: dict[str, float | None]) -> dict[str, float]:
    responses = pd.DataFrame({"participant": 1, "visit": "dose1", "item": list(answers),
                              "value": [np.nan if v is None else v for v in answers.values()]})
    out = score_items(responses, PROTOCOL.measures)
    return dict(zip(out["measure"], out["value"], strict=True))


def test_sum_with_a_reverse_keyed_item() -> None:
    # anx_3 is reverse-keyed on 1..5: 3 counts as 1 + 5 - 3 = 3, 5 counts as 1
    assert _score({"anx_1": 1, "anx_2": 2, "anx_3": 5, "anx_4": 4}) == {
        "subjective_anxiety": 8.0}


def test_mean_and_prorated_sum() -> None:
    scores = _score({"lik_angry_1": 2, "lik_angry_2": 4, "lik_angry_3": 6, "lik_angry_4": 8,
                     "intro_1": 1, "intro_2": 2, "intro_3": 3})
    assert scores == {"likability_angry": 5.0, "subjective_introspection": 8.0}


@pytest.mark.parametrize("answers, scale", [
    ({"anx_1": 1, "anx_2": 2, "anx_3": 3, "anx_4": None}, "subjective_anxiety"),
    ({"intro_1": 1, "intro_2": None}, "subjective_introspection"),
])
def test_too_few_answers_give_no_score(answers: dict[str, float | None], scale: str) -> None:
    assert math.isnan(_score(answers)[scale])


def test_items_outside_the_protocol_are_ignored() -> None:
    assert _score({"not_an_item": 3}) == {}


def test_keys_stay_apart() -> None:
    responses = pd.DataFrame({
        "participant": [1, 1, 1, 1, 2, 2, 2, 2], "visit": "dose1",
        "item": ["lik_angry_1", "lik_angry_2", "lik_angry_3", "lik_angry_4"] * 2,
        "value": [1, 1, 1, 1, 9, 9, 9, 9]})
    out = score_items(responses, PROTOCOL.measures)
    assert out.sort_values("participant")["value"].tolist() == [1.0, 9.0]
    assert out["answered"].tolist() == [4, 4]
