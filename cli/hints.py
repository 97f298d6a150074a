"""What a refused command can do next, in command-line terms: the hints services name
(services.errors) worded as the commands and flags that help."""

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
    CREATE_STUDY: "init PROTOCOL.toml, or demo",
    GENERATE_ALLOCATION: "allocation generate",
    LOCK_FIRST: "lock --reason R",
    REPLACE_FILE: "use --force to replace it",
    RESOLVE_DOUBLE_ENTRY: "values pending, values resolve",
}


def worded(exc: Refused) -> str:
    """The refusal's message with the flags of the inputs it is about and its hint, if
    any, in parentheses."""
    advice = [f"--{name}" for name in exc.fields]
    if exc.hint in HINTS:
        advice.append(HINTS[exc.hint])
    return f"{exc.message} ({', '.join(advice)})" if advice else exc.message
