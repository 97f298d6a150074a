"""Blinded dose codes: short, unguessable, look-alike free, with a check character.

A code is 7 random symbols from ``ALPHABET`` (31**7 ~ 2**34.7 possibilities,
drawn with ``secrets``) plus one ISO/IEC 7064 pure-system check character
(modulus 31, radix 3), shown as ``XXXX-XXXX``.

Why these numbers: 31 is prime and equals the alphabet size, so every check
value is a symbol (no extra '*' or 'X' symbol as in MOD 37-2 / MOD 11-2), and
3 is a primitive root mod 31, so the weights 3**i are distinct for 30
positions. Hence every single-symbol substitution and every transposition of
two different symbols (adjacent or not) changes the checksum and is caught.
It follows that two valid codes always differ in at least two places.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MODULUS = 31
RADIX = 3
PAYLOAD_LENGTH = 7
CODE_LENGTH = PAYLOAD_LENGTH + 1
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")
_LOOKALIKES = {
    "0": "0 looks like O; codes never contain 0 or O",
    "O": "O looks like 0; codes never contain O or 0",
    "1": "1 looks like I and L; codes never contain 1, I or L",
    "I": "I looks like 1 and L; codes never contain I, 1 or L",
    "L": "L looks like 1 and I; codes never contain L, 1 or I",
}

ProblemKind = Literal["empty", "character", "length", "check"]


@dataclass(frozen=True)
class CodeProblem:
    """Why a typed code is not a dose code; ``message`` is safe to show anyone."""

    kind: ProblemKind
    message: str
    position: int | None = None  # 1-based among the code's symbols, if relevant


def iso7064_pure_check(payload_values: Iterable[int], modulus: int, radix: int) -> int:
    """Check value of an ISO/IEC 7064 pure system with one check character.

    The check value ``c`` makes ``sum(v_i * radix**i) + c == 1 (mod modulus)``
    with ``i`` counted from 1 at the rightmost payload symbol (the check
    character has weight 1). Computed with the standard's recursive method.
    """
    total = 0
    for value in payload_values:
        if not 0 <= value < modulus:
            raise ValueError(f"symbol value {value} outside 0..{modulus - 1}")
        total = (total + value) * radix % modulus
    return (modulus + 1 - total) % modulus


def _check_symbol(payload: str) -> str:
    return ALPHABET[iso7064_pure_check((_VALUE[s] for s in payload), MODULUS, RADIX)]


def normalize(text: str) -> str:
    """Canonical form for comparison: NFKC, upper case, no spaces or hyphens."""
    text = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)


def format_code(text: str) -> str:
    """Display form ``XXXX-XXXX`` of a code typed in any accepted way."""
    code = normalize(text)
    return f"{code[:4]}-{code[4:]}"


def new_code(existing: set[str]) -> str:
    """A fresh random code (display form) not equal to any code in ``existing``.

    ``existing`` may hold codes in display or normalized form.
    """
    taken = {normalize(code) for code in existing}
    while True:
        payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
        code = payload + _check_symbol(payload)
        if code not in taken:
            return format_code(code)


def validate(text: str) -> CodeProblem | None:
    """None if ``text`` is a well-formed code, else the first problem found."""
    code = normalize(text)
    if not code:
        return CodeProblem("empty", "no dose code was entered")
    for position, symbol in enumerate(code, start=1):
        if symbol not in _VALUE:
            hint = _LOOKALIKES.get(
                symbol, "codes use only the digits 2-9 and the letters A-Z except I, L and O"
            )
            return CodeProblem(
                "character",
                f"character {position} ({symbol!r}) cannot be part of a dose code: {hint}; "
                "please re-read the kit label",
                position,
            )
    if len(code) != CODE_LENGTH:
        return CodeProblem(
            "length",
            f"a dose code has {CODE_LENGTH} characters (XXXX-XXXX) but {len(code)} were entered",
        )
    if code[-1] != _check_symbol(code[:-1]):
        return CodeProblem(
            "check",
            "the check character does not match, so the code is mistyped; "
            "please re-read the kit label and type it again",
        )
    return None


def is_well_formed(text: str) -> bool:
    """True if ``text`` passes ``validate`` (it may still belong to another visit)."""
    return validate(text) is None
