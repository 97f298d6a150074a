"""A participant's questionnaire answers at one visit, stored as one canonical text.

A million item answers stored one row each cost a database row, a unique-index
entry, a foreign-key check and an audit fingerprint apiece; kept as one row per
participant and visit, an import writes thousands of rows instead. Each answer
keeps its own provenance: the text maps every item to [value, import id], keys
sorted, floats by repr, a missing value as null, so the same answers always
give the same bytes (the audit trail fingerprints the row).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

Answer = tuple[float | None, int | None]  # value, id of the import that wrote it


def _number(value: float | None) -> str:
    return "null" if value is None or math.isnan(value) else repr(float(value))


def piece(item: str, value: float | None, import_id: int | None) -> str:
    """One item's part of the text: `"item":[value,import_id]`."""
    source = "null" if import_id is None else str(int(import_id))
    return f"{json.dumps(item)}:[{_number(value)},{source}]"


def join(pieces: Sequence[str]) -> str:
    """The text of one set from its items' pieces, already in item order."""
    return "{" + ",".join(pieces) + "}"


def encode(answers: Mapping[str, Answer]) -> str:
    return join([piece(item, *answers[item]) for item in sorted(answers)])


def decode(text: str) -> dict[str, Answer]:
    return {item: (None if v is None else float(v), None if i is None else int(i))
            for item, (v, i) in json.loads(text).items()}
