"""Counts in words: "1 row", "3 rows", never "1 rows" or "row(s)"."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun in the number that fits it (the plural adds "s" unless given)."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
