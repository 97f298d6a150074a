"""A participant's questionnaire answers at one visit, stored as one canonical text.

A million item answers stored one row each cost a database row, a unique-index
entry, a foreign-key check and an audit fingerprint apiece; kept as one row per
participant and visit, an import writes thousands of rows instead. Each answer
keeps its own provenance: the text is `{"import":{item:id,...},"value":{item:
value,...}}`, keys sorted, floats by repr, a missing value as null, so the same
answers always give the same bytes (the audit trail fingerprints the row). Two
flat maps rather than a pair per item: reading back a million answers then makes
no million small lists for the garbage collector to walk.

An answer given as a missing-data code of the protocol ("-99", "NA") is stored as
null with its code in a third map, `"missing":{item:"-99",...}` between "import"
and "value"; a set without coded answers has no such map, so its text is what it
always was.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

Answer = tuple[float | None, int | None]  # value, id of the import that wrote it


def number(value: float | None) -> str:
    """repr of the float; -0.0 is written 0.0, as it compares equal to it."""
    return "null" if value is None or math.isnan(value) else repr(float(value) + 0.0)


def source(import_id: int | None) -> str:
    return "null" if import_id is None else str(int(import_id))


def join(sources: Sequence[str], values: Sequence[str], codes: Sequence[str] = ()) -> str:
    """The text of one set from its items' `"item":id`, `"item":value` and (coded answers
    only) `"item":"code"` pieces, in item order."""
    missing = '},"missing":{' + ",".join(codes) if codes else ""
    return ('{"import":{' + ",".join(sources) + missing + '},"value":{' + ",".join(values)
            + "}}")


def encode(answers: Mapping[str, Answer], codes: Mapping[str, str] | None = None) -> str:
    items = sorted(answers)
    names = [json.dumps(i) + ":" for i in items]
    codes = codes or {}
    return join([n + source(answers[i][1]) for n, i in zip(names, items, strict=True)],
                [n + number(answers[i][0]) for n, i in zip(names, items, strict=True)],
                [n + json.dumps(codes[i]) for n, i in zip(names, items, strict=True)
                 if i in codes])


def missing(text: str) -> dict[str, str]:
    """The missing-data code of each answer given as one (item -> code)."""
    return dict(json.loads(text).get("missing", {}))


def columns(text: str) -> tuple[list[str], list[float | None], list[int | None]]:
    """Items, values and import ids of one set, in item order."""
    parsed = json.loads(text)
    values = parsed["value"]
    return list(values), list(values.values()), list(parsed["import"].values())


def decode(text: str) -> dict[str, Answer]:
    items, values, sources = columns(text)
    return {i: (None if v is None else float(v), s)
            for i, v, s in zip(items, values, sources, strict=True)}
