"""The bounds a protocol must keep so that the study can live with it for years.

The protocol parser (trialcore.protocol) checks types and consistency; this module
checks sizes, on the raw TOML so that every problem names its key path as written
(`visits[2].day`). Without these bounds a protocol is accepted at `init` and breaks
the study later: a visit day of a billion overflows every schedule, a huge
allocation list takes minutes and gigabytes, a condition code longer than its
PostgreSQL column makes the study impossible to unblind, an invisible character
makes `PBO` and `PBO\u200b` two conditions nobody can tell apart. Values of the wrong
type are the parser's business and are skipped here. The limits live in
trialcore.limits, which db/models.py also sizes its columns from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from trialcore import limits as L

# Codes, ids and names people type on the command line and read on kit labels:
# plain ASCII, so no two can look alike, starting with a letter or digit.
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+\-]*")

Problem = tuple[str, str]


def limit_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Every value of a parsed TOML protocol outside what a study can live with."""
    return [*_study(data), *_participants(data), *_conditions(data), *_strata(data),
            *_allocation(data), *_visits(data), *_measures(data)]


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _tables(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [v if isinstance(v, Mapping) else {} for v in value]


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def text_problem(value: Any, max_length: int) -> str | None:
    """Why a readable text (title, label, unit) cannot be stored and shown as it is."""
    if not isinstance(value, str):
        return None
    if not value.strip():
        return "must not be empty"
    if len(value) > max_length:
        return f"is {len(value)} characters long; at most {max_length}"
    hidden = sorted({f"U+{ord(c):04X}" for c in value if unicodedata.category(c)[0] == "C"})
    if hidden:
        return (f"contains invisible or control characters ({', '.join(hidden)}); "
                "type it again without them")
    return None


def identifier_problem(value: Any, max_length: int) -> str | None:
    """Why a code, id or name cannot serve as one: empty, too long, or not plain ASCII."""
    if not isinstance(value, str):
        return None
    if not value:
        return "must not be empty"
    if len(value) > max_length:
        return f"is {len(value)} characters long; at most {max_length}"
    if not _IDENTIFIER.fullmatch(value):
        odd = sorted({f"U+{ord(c):04X}" for c in value
                      if not (c.isascii() and (c.isalnum() or c in "_.+-"))})
        shown = f" ({', '.join(odd)})" if odd else ""
        return (f"{value.encode('ascii', 'backslashreplace').decode()!r} must be plain ASCII "
                f"letters, digits and _ . + -, starting with a letter or digit{shown}")
    return None


def _number(value: Any, low: float, high: float) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if low <= value <= high:
        return None
    return f"{value:g} is outside {low:g}..{high:g}"


def _check(key: str, problem: str | None) -> Iterator[Problem]:
    if problem:
        yield key, problem


def _study(data: Mapping[str, Any]) -> Iterator[Problem]:
    study = _table(data, "study")
    yield from _check("study.title", text_problem(study.get("title"), L.PROTOCOL_TITLE_LENGTH))
    yield from _check("study.washout_days",
                      _number(study.get("washout_days"), 0, L.MAX_WASHOUT_DAYS))


def _participants(data: Mapping[str, Any]) -> Iterator[Problem]:
    prefix = _table(data, "participants").get("id_prefix")
    if isinstance(prefix, str) and len(prefix) > L.ID_PREFIX_LENGTH:
        yield ("participants.id_prefix",
               f"is {len(prefix)} letters long; at most {L.ID_PREFIX_LENGTH}")


def _conditions(data: Mapping[str, Any]) -> Iterator[Problem]:
    conditions = _tables(data, "conditions")
    if len(conditions) > L.MAX_CONDITIONS:
        yield "conditions", f"declares {len(conditions)} conditions; at most {L.MAX_CONDITIONS}"
    for i, item in enumerate(conditions):
        p = f"conditions[{i}]."
        yield from _check(p + "code",
                          identifier_problem(item.get("code"), L.CONDITION_CODE_LENGTH))
        yield from _check(p + "label",
                          text_problem(item.get("label"), L.CONDITION_LABEL_LENGTH))
        yield from _check(p + "dose_mg", _number(item.get("dose_mg"), 0, L.MAX_DOSE_MG))


def _strata(data: Mapping[str, Any]) -> Iterator[Problem]:
    strata = _table(data, "strata")
    names = strata.get("names")
    for i, name in enumerate(names if isinstance(names, list) else []):
        yield from _check(f"strata.names[{i}]", identifier_problem(name, L.NAME_LENGTH))
    targets = strata.get("target")
    for key, value in (targets.items() if isinstance(targets, Mapping) else ()):
        yield from _check(f"strata.target.{key}", _number(value, 1, L.MAX_STRATUM_TARGET))


def _allocation(data: Mapping[str, Any]) -> Iterator[Problem]:
    alloc = _table(data, "allocation")
    p = "allocation."
    yield from _check(p + "slots_per_stratum",
                      _number(alloc.get("slots_per_stratum"), 1, L.MAX_SLOTS_PER_STRATUM))
    multiples = alloc.get("block_multiples")
    for i, m in enumerate(multiples if isinstance(multiples, list) else []):
        if _whole(m):
            yield from _check(f"{p}block_multiples[{i}]", _number(m, 1, L.MAX_BLOCK_MULTIPLE))
    ratio = alloc.get("ratio")
    for key, value in (ratio.items() if isinstance(ratio, Mapping) else ()):
        yield from _check(f"{p}ratio.{key}", _number(value, 1, L.MAX_RATIO))


def _visits(data: Mapping[str, Any]) -> Iterator[Problem]:
    visits = _tables(data, "visits")
    if len(visits) > L.MAX_VISITS:
        yield "visits", f"declares {len(visits)} visits; at most {L.MAX_VISITS}"
    for i, item in enumerate(visits):
        p = f"visits[{i}]."
        yield from _check(p + "id", identifier_problem(item.get("id"), L.NAME_LENGTH))
        yield from _check(p + "label", text_problem(item.get("label"), L.VISIT_LABEL_LENGTH))
        day = item.get("day")
        if _whole(day) and not 0 <= day <= L.MAX_VISIT_DAY:
            yield (p + "day", f"{day} is outside 0..{L.MAX_VISIT_DAY}: a visit comes on or "
                              "after what it is scheduled from, within ten years")
        window = item.get("window")
        if isinstance(window, list) and len(window) == 2 and all(_whole(x) for x in window):
            if window[0] < -L.MAX_WINDOW_DAYS or window[1] > L.MAX_WINDOW_DAYS:
                yield (p + "window", f"{window} is wider than {L.MAX_WINDOW_DAYS} days on a "
                                     "side")
            elif (item.get("anchor") == "registration" and _whole(day)
                  and day + window[0] < 0):
                yield (p + "window", f"opens {-(day + window[0])} days before registration; "
                                     "nothing can happen before a participant is registered")


def _measures(data: Mapping[str, Any]) -> Iterator[Problem]:
    for i, item in enumerate(_tables(data, "measures")):
        p = f"measures[{i}]."
        name = item.get("name")
        if isinstance(name, str) and len(name) > L.NAME_LENGTH:
            yield p + "name", f"is {len(name)} characters long; at most {L.NAME_LENGTH}"
        yield from _check(p + "label", text_problem(item.get("label"), L.MEASURE_LABEL_LENGTH))
        yield from _check(p + "unit", _unit_problem(item.get("unit")))
        items = item.get("items")
        for j, column in enumerate(items if isinstance(items, list) else []):
            yield from _check(f"{p}items[{j}]", text_problem(column, L.NAME_LENGTH))


def _unit_problem(value: Any) -> str | None:
    """A unit may be empty (a score has none), but not too long or hidden."""
    if isinstance(value, str) and not value:
        return None
    return text_problem(value, L.UNIT_LENGTH)
