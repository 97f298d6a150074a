"""Participant IDs as people write them: `7`, `P7`, `P007`, `p-007`, `sub-007`.

Every spelling maps to one number, so the register can refuse a second
participant who is the same person under another spelling, and importers can
match rows whatever the source system wrote.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s_\-]+")
# Larger numbers are export placeholders or junk (999999999999), never a participant:
MAX_NUMBER = 999_999_999  # the most that participants.id_digits (at most 9) can show


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
                f"{raw!r} is not a participant ID (expected a number, optionally written as "
                f"{prefix}7, {prefix}007 or sub-007)"
            )
        number = int(s)
    if number < 1:
        raise ParticipantIdError(f"{text!r} is not a participant ID (numbers start at 1)")
    if number > MAX_NUMBER:
        raise ParticipantIdError(f"{text!r} is not a participant ID (numbers end at "
                                 f"{MAX_NUMBER:,}; this looks like a placeholder)")
    return number


def canonical_id(number: int, prefix: str, digits: int) -> str:
    """The one spelling the app shows: prefix and zero-padded number (P007)."""
    return f"{prefix}{number:0{digits}d}"
