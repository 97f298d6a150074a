"""Dose codes: ISO/IEC 7064 check character proven on published vectors, then ours."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialcore import codes
from trialcore.codes import (
    ALPHABET,
    MODULUS,
    RADIX,
    format_code,
    is_well_formed,
    iso7064_pure_check,
    new_code,
    normalize,
    validate,
)

MOD_11_2 = "0123456789X"
MOD_37_2 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"


def check_char(payload: str, alphabet: str, modulus: int, radix: int) -> str:
    return alphabet[iso7064_pure_check([alphabet.index(c) for c in payload], modulus, radix)]


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("0000-0002-1825-009", "7"),  # ORCID documentation (Josiah Carberry)
        ("0000-0001-5109-370", "0"),  # ORCID documentation
        ("0000-0002-1694-233", "X"),  # ORCID documentation, check value 10
        ("079", "X"),  # ISO/IEC 7064 MOD 11-2 example
        ("0794", "0"),  # ISO/IEC 7064 MOD 11-2 example
    ],
)
def test_mod_11_2_published_vectors(identifier: str, expected: str) -> None:
    assert check_char(identifier.replace("-", ""), MOD_11_2, 11, 2) == expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("G123489654321", "Y"),  # ISO/IEC 7064 MOD 37-2 example
        ("A999914123458", "J"),  # ISBT 128 donation identification number example
    ],
)
def test_mod_37_2_published_vectors(payload: str, expected: str) -> None:
    assert check_char(payload, MOD_37_2, 37, 2) == expected


def test_pure_check_rejects_values_outside_the_modulus() -> None:
    with pytest.raises(ValueError):
        iso7064_pure_check([31], MODULUS, RADIX)


def test_alphabet_and_parameters() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == MODULUS == 31
    assert not set("01ILO") & set(ALPHABET)
    assert all(MODULUS % d for d in range(2, MODULUS))  # prime
    assert len({pow(RADIX, i, MODULUS) for i in range(MODULUS - 1)}) == 30  # primitive root
    assert math.log2(MODULUS**codes.PAYLOAD_LENGTH) >= 34


def test_new_code_shape_and_validity() -> None:
    for _ in range(200):
        code = new_code(set())
        assert len(code) == 9 and code[4] == "-"
        assert set(code.replace("-", "")) <= set(ALPHABET)
        assert validate(code) is None and is_well_formed(code)


def test_new_code_avoids_existing_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter("2222222" + "3333333")
    monkeypatch.setattr(codes.secrets, "choice", lambda _alphabet: next(draws))
    first = "2222222" + codes._check_symbol("2222222")
    code = new_code({format_code(first).lower()})
    assert normalize(code) == "3333333" + codes._check_symbol("3333333")


def test_normalize_and_format() -> None:
    assert normalize(" ab2c-7dex ") == "AB2C7DEX"
    assert normalize("AB2C\u20137DEX") == "AB2C7DEX"  # en dash pasted from a document
    assert normalize("\uff21\uff22 2c 7dex") == "AB2C7DEX"  # full-width letters
    assert format_code("ab2c7dex") == "AB2C-7DEX"


def test_validate_messages() -> None:
    assert validate("  - ").kind == "empty"
    problem = validate("AB0C-7DEX")
    assert problem.kind == "character" and problem.position == 3
    assert "character 3 ('0')" in problem.message
    assert "0 looks like O; codes never contain 0 or O" in problem.message
    problem = validate("abcd-efgo")
    assert problem.position == 8 and "O looks like 0; codes never contain O or 0" in problem.message
    assert "codes never contain 1, I or L" in validate("1BCD-EFGH").message
    problem = validate("ABCD-EF!H")
    assert problem.position == 7 and "letters A-Z except I, L and O" in problem.message
    problem = validate("ABCD-EFG")
    assert problem.kind == "length" and "8 characters (XXXX-XXXX) but 7" in problem.message
    code = new_code(set())
    wrong = ALPHABET[(ALPHABET.index(code[-1]) + 1) % 31]
    problem = validate(code[:-1] + wrong)
    assert problem.kind == "check" and "mistyped" in problem.message


def mutations(code: str) -> list[str]:
    """Every single substitution and every transposition of two different symbols."""
    symbols = normalize(code)
    out = []
    for i, original in enumerate(symbols):
        out += [symbols[:i] + s + symbols[i + 1 :] for s in ALPHABET if s != original]
        for j in range(i + 1, len(symbols)):
            if symbols[i] != symbols[j]:
                swapped = list(symbols)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                out.append("".join(swapped))
    return out


def test_every_substitution_and_transposition_is_detected() -> None:
    sample = [new_code(set()) for _ in range(300)]
    sample += [s * 7 + codes._check_symbol(s * 7) for s in ("2", "Z")]
    checked = 0
    for code in sample:
        for mutated in mutations(code):
            if normalize(mutated) != normalize(code):
                assert not is_well_formed(mutated), (code, mutated)
                checked += 1
    assert checked > 300 * 240  # 8 positions x 30 substitutions, plus transpositions


@given(
    payload=st.text(alphabet=ALPHABET, min_size=7, max_size=7),
    position=st.integers(min_value=0, max_value=7),
    shift=st.integers(min_value=1, max_value=30),
)
def test_any_single_substitution_fails_validation(payload: str, position: int, shift: int) -> None:
    code = payload + codes._check_symbol(payload)
    assert is_well_formed(code)
    replaced = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    mutated = code[:position] + replaced + code[position + 1 :]
    assert validate(mutated).kind == "check"


def test_the_messages_are_exactly_what_the_bedside_shows() -> None:
    """Word for word: these sentences are the whole of what a coordinator reads at the
    bedside, and a check of a substring would let a garbled one through."""
    with pytest.raises(ValueError, match=r"^symbol value 31 outside 0\.\.30$"):
        iso7064_pure_check([31], MODULUS, RADIX)
    good = new_code(set())
    wrong_check = good[:-1] + next(s for s in ALPHABET if s != good[-1])
    assert [validate(text) for text in ("  ", "22#2-2222", good + "2", wrong_check)] == [
        codes.CodeProblem("empty", "no dose code was entered"),
        codes.CodeProblem("character", "character 3 ('#') cannot be part of a dose code: "
                          "codes use only the digits 2-9 and the letters A-Z except I, L and "
                          "O; please re-read the kit label", 3),
        codes.CodeProblem("length", "a dose code has 8 characters (XXXX-XXXX) but 9 were "
                          "entered"),
        codes.CodeProblem("check", "the check character does not match, so the code is "
                          "mistyped; please re-read the kit label and type it again"),
    ]
