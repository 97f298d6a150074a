"""Secrets are judged by a strength estimator, not by length alone."""

from __future__ import annotations

import pytest

from trialcore.passwords import weakness


@pytest.mark.parametrize("secret", ["1111111111", "password123", "qwertyuiop", "cora2026!"])
def test_guessable_secrets_are_refused_with_the_reason(secret: str) -> None:
    problem = weakness(secret, user_inputs=["cora"])
    assert problem and "too easy to guess" in problem


def test_the_user_name_is_never_a_password() -> None:
    assert weakness("stella-the-statistician", user_inputs=["stella-the-statistician"]) == \
        "a password must not be the user name"


def test_short_secrets_name_the_length_and_the_kind_of_secret() -> None:
    assert weakness("a1!", what="passphrase") == "a passphrase needs at least 8 characters"


@pytest.mark.parametrize("secret", ["test sealing passphrase", "velvet-harbour-quilt-37"])
def test_strong_secrets_pass(secret: str) -> None:
    assert weakness(secret, user_inputs=["cora"]) is None
