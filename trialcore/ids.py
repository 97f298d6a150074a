"""Participant IDs as people write them: `7`, `P7`, `P007`, `p-007`, `sub-007`.

Every spelling maps to one number, so the register can refuse a second
participant who is the same person under another spelling, and importers can
match rows whatever the source system wrote.
"""

from __future__ import annotations

import re

from trialcore.limits import MAX_ID_DIGITS, MAX_PARTICIPANT_NUMBER

_SEPARATORS = re.compile(r"[\s_\-]+")


class ParticipantIdError(ValueError):
    pass


def participant_number(text: object, prefix: str) -> int:
    """The participant number in any accepted spelling; ParticipantIdError otherwise."""
    if isinstance(text, bool):
        raise ParticipantIdError(f"{text!r} is not a participant ID")
    if isinstance(text, int):
        number = text
    elif isinstance(text, float) and text.is_integer():
        number = int(text)
    else:
        raw = str(text).strip()
        if raw[:1] in ("-", "+", "\u2212"):
            raise ParticipantIdError(f"{raw!r} is not a participant ID (a signed number, "
                                     "such as a missing-data code)")
        s = raw.lower()
        if s.startswith("sub-"):
            s = s[4:]
        s = _SEPARATORS.sub("", s)
        if s.startswith(prefix.lower()):
            s = s[len(prefix):]
        if not s.isdigit() or not s.isascii():
            raise ParticipantIdError(
                f"{_shown(raw)} is not a participant ID (expected a number, optionally "
                f"written as {prefix}7, {prefix}007 or sub-007)"
            )
        digits = s.lstrip("0")
        if len(digits) > MAX_ID_DIGITS:  # before int(): thousands of digits are slow or refused
            raise ParticipantIdError(f"{_shown(raw)} is not a participant ID (numbers go up "
                                     f"to {MAX_PARTICIPANT_NUMBER:,}; larger ones are export "
                                     "placeholders)")
        number = int(digits or "0")
    if number < 1:
        raise ParticipantIdError(f"{_shown(text)} is not a participant ID (numbers start at 1)")
    if number > MAX_PARTICIPANT_NUMBER:
        raise ParticipantIdError(f"{_shown(text)} is not a participant ID (numbers go up to "
                                 f"{MAX_PARTICIPANT_NUMBER:,}; larger ones are export "
                                 "placeholders)")
    return number


def _shown(text: object) -> str:
    """What the user typed, cut short when it is too long to repeat in a message."""
    raw = str(text)
    return repr(raw if len(raw) <= 40 else raw[:37] + "...")


def canonical_id(number: int, prefix: str, digits: int) -> str:
    """The one spelling the app shows: prefix and zero-padded number (P007)."""
    return f"{prefix}{number:0{digits}d}"
