"""What to do after a refusal, in the window's terms: the hints services name
(services.errors) worded as the tab and button that help, never as a command."""

from __future__ import annotations

from services.errors import (
    CREATE_STUDY,
    GENERATE_ALLOCATION,
    LOCK_FIRST,
    REPLACE_FILE,
    RESOLVE_DOUBLE_ENTRY,
    Refused,
)

HINTS = {
    CREATE_STUDY: "File → New study from protocol…, or File → Open database…",
    GENERATE_ALLOCATION: "Randomization tab → Generate allocation list…",
    LOCK_FIRST: "Lock tab → Sign & lock…",
    REPLACE_FILE: "choose another file name, or agree to replace the file when asked",
    RESOLVE_DOUBLE_ENTRY: "Visits tab → Double entry…",
}


def worded(exc: Refused) -> str:
    """The refusal's message with its hint, if any, in parentheses."""
    hint = HINTS.get(exc.hint or "")
    return f"{exc.message} ({hint})" if hint else exc.message
