"""What a refused command can do next, in command-line terms: the hints services name
(services.errors) worded as the commands and flags that help."""

from __future__ import annotations

from services.errors import GENERATE_ALLOCATION, LOCK_FIRST, REPLACE_FILE, Refused

HINTS = {
    GENERATE_ALLOCATION: "allocation generate",
    LOCK_FIRST: "lock --reason R",
    REPLACE_FILE: "use --force to replace it",
}


def worded(exc: Refused) -> str:
    """The refusal's message with its hint, if any, in parentheses."""
    hint = HINTS.get(exc.hint or "")
    return f"{exc.message} ({hint})" if hint else exc.message
