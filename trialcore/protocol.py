"""The study protocol: a TOML file that declares everything a study may vary.

Parsing is strict on purpose: a study that starts from a mistyped key runs for
months on the wrong rules, so every problem is reported with its key path and
nothing is created until the whole file is valid. docs/protocol.md documents
every key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trialcore.protocol_limits import limit_problems

DESIGNS = ("crossover", "parallel")
MEASURE_KINDS = ("scan", "questionnaire")
SCORING = ("sum", "mean")
SPECIAL_ANCHORS = ("registration", "enrolment")


@dataclass(frozen=True)
class Condition:
    code: str
    label: str
    dose_mg: float


@dataclass(frozen=True)
class StratumRule:
    """A participant's stratum from one baseline measure and a threshold."""

    measure: str
    visit: str
    threshold: float
    at_or_above: str
    below: str

    def assign(self, value: float) -> str:
        return self.at_or_above if value >= self.threshold else self.below


@dataclass(frozen=True)
class VisitSpec:
    id: str
    label: str
    anchor: str
    day: int
    window_before: int
    window_after: int
    dosing: bool


@dataclass(frozen=True)
class Measure:
    name: str
    label: str
    kind: str
    unit: str
    min: float
    max: float
    items: tuple[str, ...] = ()
    score: str | None = None
    reverse: tuple[str, ...] = ()
    min_answered: int | None = None
    qc_max: float | None = None
    missing_codes: tuple[str, ...] = ()  # see Protocol.codes_of
    # hand entry by two people, stored when both agree (services/double_entry.py)
    double_entry: bool = False

    def in_range(self, value: float) -> bool:
        return self.min <= value <= self.max


@dataclass(frozen=True)
class Protocol:
    title: str
    design: str
    conditions: tuple[Condition, ...]
    reference_condition: str
    strata: tuple[str, ...]
    stratum_rule: StratumRule | None
    stratum_targets: Mapping[str, int]
    slots_per_stratum: int
    block_multiples: tuple[int, ...]
    ratio: Mapping[str, int] | None
    visits: tuple[VisitSpec, ...]
    washout_days: int
    skip_weekends: bool
    measures: tuple[Measure, ...]
    id_prefix: str
    id_digits: int
    source: str = field(default="", compare=False, repr=False)
    # answer codes that mean "no answer" (REDCap, Qualtrics: "-99", "NA", "UNK"...):
    # study-wide here, per measure in Measure.missing_codes
    missing_codes: tuple[str, ...] = ()

    @property
    def dosing_visits(self) -> tuple[VisitSpec, ...]:
        return tuple(v for v in self.visits if v.dosing)

    def visit(self, visit_id: str) -> VisitSpec | None:
        return next((v for v in self.visits if v.id == visit_id), None)

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.name == name), None)

    def visit_label(self, visit_id: str) -> str:
        """What people call the visit ("Dosing 1"); the id when no visit has it."""
        spec = self.visit(visit_id)
        return spec.label if spec else visit_id

    def name_label(self, name: str) -> str:
        """What people call a scan measure or scale ("Amygdala threat reactivity") or a
        questionnaire item: the protocol gives items no text, so the item is named by its
        scale and its place on the form ("Likability of angry faces, item 1"). The name
        itself when the protocol has no such measure or item."""
        for m in self.measures:
            if m.name == name:
                return m.label
            if name in m.items:
                return f"{m.label}, item {m.items.index(name) + 1}"
        return name

    def codes_of(self, measure: str) -> tuple[str, ...]:
        """The missing-data codes of a measure: the study's and its own."""
        own = self.measure(measure)
        return tuple(dict.fromkeys([*self.missing_codes,
                                    *(own.missing_codes if own else ())]))

    def condition(self, code: str) -> Condition | None:
        return next((c for c in self.conditions if c.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `study show` (CLI.md)."""
        return {
            "title": self.title,
            "design": self.design,
            "conditions": [
                {"code": c.code, "label": c.label, "dose_mg": c.dose_mg} for c in self.conditions
            ],
            "reference_condition": self.reference_condition,
            "strata": list(self.strata),
            "visits": [
                {
                    "id": v.id,
                    "label": v.label,
                    "dosing": v.dosing,
                    "anchor": v.anchor,
                    "day": v.day,
                    "window": [-v.window_before, v.window_after],
                }
                for v in self.visits
            ],
            "measures": [
                {
                    "name": m.name,
                    "label": m.label,
                    "kind": m.kind,
                    "unit": m.unit,
                    "min": m.min,
                    "max": m.max,
                    "items": list(m.items),
                }
                for m in self.measures
            ],
        }


class ProtocolError(ValueError):
    """Every problem found in a protocol file, each as (key path, reason)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = "; ".join(f"{key}: {reason}" for key, reason in problems)
        super().__init__(f"{source}: {lines}")


class _Reader:
    """Collects problems instead of stopping at the first, so one run lists them all."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, key: str, reason: str) -> None:
        self.problems.append((key, reason))

    def table(self, data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = data.get(key)
        if value is None:
            self.fail(f"{path}{key}", "missing table")
            return {}
        if not isinstance(value, Mapping):
            self.fail(f"{path}{key}", "must be a table")
            return {}
        return value

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        kind: type | tuple[type, ...],
        default: Any = ...,
    ) -> Any:
        full = f"{path}{key}"
        if key not in data:
            if default is ...:
                self.fail(full, "missing key")
            return None if default is ... else default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        numeric = float in kinds and isinstance(value, int) and not isinstance(value, bool)
        if isinstance(value, bool) and bool not in kinds:
            self.fail(full, f"must be {_kind_name(kinds)}, not a boolean")
            return None
        if not (isinstance(value, kinds) or numeric):
            self.fail(full, f"must be {_kind_name(kinds)}, not {type(value).__name__}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(full, "must be a finite number")
            return None
        return float(value) if numeric else value

    def unknown(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                self.fail(f"{path}{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol file for a new study; raise ProtocolError naming every
    bad key, including values beyond what a study can live with (protocol_limits)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProtocolError(str(path), [("(file)", f"cannot read: {exc}")]) from exc
    return parse_new_protocol(text, source=str(path))


def parse_new_protocol(text: str, source: str = "protocol") -> Protocol:
    """`parse_protocol` plus the limits of trialcore.protocol_limits, every problem at once.

    Only a new study is held to the limits: a stored protocol is parsed as it was
    accepted, so a study created before a limit existed still opens."""
    try:
        over = limit_problems(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        over = []  # parse_protocol reports the syntax error
    try:
        protocol = parse_protocol(text, source)
    except ProtocolError as exc:
        raise ProtocolError(source, exc.problems + over) from exc
    if over:
        raise ProtocolError(source, over)
    return protocol


def parse_protocol(text: str, source: str = "protocol") -> Protocol:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(source, [("(syntax)", str(exc))]) from exc
    r = _Reader()
    r.unknown(data, {"study", "participants", "conditions", "strata", "allocation", "visits",
                     "measures"}, "")
    study = r.table(data, "study", "")
    r.unknown(study, {"title", "design", "reference_condition", "washout_days",
                      "skip_weekends", "missing_codes", "require_sdv"}, "study.")
    r.get(study, "require_sdv", "study.", bool, False)
    title = r.get(study, "title", "study.", str)
    design = r.get(study, "design", "study.", str)
    if design is not None and design not in DESIGNS:
        r.fail("study.design", f"must be one of {', '.join(DESIGNS)}, not {design!r}")
    washout = r.get(study, "washout_days", "study.", int, 0)
    if washout is not None and washout < 0:
        r.fail("study.washout_days", "must not be negative")
    skip_weekends = r.get(study, "skip_weekends", "study.", bool, False)

    participants = r.table(data, "participants", "")
    r.unknown(participants, {"id_prefix", "id_digits"}, "participants.")
    id_prefix = r.get(participants, "id_prefix", "participants.", str)
    id_digits = r.get(participants, "id_digits", "participants.", int)
    if id_prefix is not None and not (id_prefix.isalpha() and id_prefix.isascii()):
        r.fail("participants.id_prefix", "must be letters only, e.g. \"P\"")
    if id_digits is not None and not 1 <= id_digits <= 9:
        r.fail("participants.id_digits", "must be between 1 and 9")

    conditions = _conditions(r, data)
    codes = [c.code for c in conditions]
    reference = r.get(study, "reference_condition", "study.", str)
    if reference is not None and codes and reference not in codes:
        r.fail("study.reference_condition", f"{reference!r} is not a condition code")

    measures = _measures(r, data)
    visits = _visits(r, data)
    strata, rule, targets = _strata(r, data, measures, visits)
    slots, multiples, ratio = _allocation(r, data, design, codes)
    dosing = [v for v in visits if v.dosing]
    if design == "crossover" and visits and conditions and len(dosing) != len(conditions):
        r.fail("visits", f"a crossover needs one dosing visit per condition: {len(conditions)} "
                         f"conditions but {len(dosing)} dosing visits")
    if design == "parallel" and visits and not dosing:
        r.fail("visits", "declare at least one dosing visit (dosing = true)")
    if rule is not None and any(v.id == rule.visit and v.dosing for v in visits):
        r.fail("strata.rule.visit", "the stratum must come from a visit before dosing")

    study_codes, measures = _missing_codes(r, data, measures)
    if r.problems:
        raise ProtocolError(source, r.problems)
    return Protocol(missing_codes=study_codes,
        title=title, design=design, conditions=tuple(conditions), reference_condition=reference,
        strata=strata, stratum_rule=rule, stratum_targets=targets, slots_per_stratum=slots,
        block_multiples=multiples, ratio=ratio, visits=tuple(visits), washout_days=washout,
        skip_weekends=skip_weekends, measures=tuple(measures), id_prefix=id_prefix,
        id_digits=id_digits, source=text,
    )


def _code_list(r: _Reader, table: Mapping[str, Any], path: str) -> tuple[str, ...]:
    codes = r.get(table, "missing_codes", path, list, [])
    if codes is None:
        return ()
    if not all(isinstance(c, str) and c.strip() for c in codes):
        r.fail(path + "missing_codes", 'must be a list of texts, e.g. ["-99", "NA"]')
        return ()
    return tuple(dict.fromkeys(c.strip() for c in codes))


def _missing_codes(r: _Reader, data: Mapping[str, Any], measures: list[Measure]
                   ) -> tuple[tuple[str, ...], list[Measure]]:
    """Missing-data codes, study-wide ([study] missing_codes) and per questionnaire
    measure ([[measures]] missing_codes): answers with them are stored as missing with
    their code, never as numbers."""
    study = data.get("study")
    study_codes = _code_list(r, study, "study.") if isinstance(study, Mapping) else ()
    tables = data.get("measures") if isinstance(data.get("measures"), list) else []
    out = []
    for i, m in enumerate(measures):
        table = next((t for t in tables if isinstance(t, Mapping) and t.get("name") == m.name),
                     {})
        own = _code_list(r, table, f"measures[{i}].")
        if own and m.kind != "questionnaire":
            r.fail(f"measures[{i}].missing_codes", "only questionnaire items take missing "
                   "codes")
        out.append(replace(m, missing_codes=own))
    return study_codes, out


def require_sdv(protocol: Protocol) -> bool:
    """`[study] require_sdv`: must every done visit be source-verified before the lock?
    Read from the protocol's own text (parse_protocol checked it is true or false), so
    the Protocol record and everything that builds one stay as they are."""
    return bool(tomllib.loads(protocol.source).get("study", {}).get("require_sdv", False))


def _list_of_tables(r: _Reader, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = data.get(key)
    if value is None:
        r.fail(key, "missing: declare at least one [[" + key + "]]")
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        r.fail(key, "must be an array of tables ([[" + key + "]])")
        return []
    if not value:
        r.fail(key, "must not be empty")
    return value


def _conditions(r: _Reader, data: Mapping[str, Any]) -> list[Condition]:
    out: list[Condition] = []
    for i, item in enumerate(_list_of_tables(r, data, "conditions")):
        p = f"conditions[{i}]."
        r.unknown(item, {"code", "label", "dose_mg"}, p)
        code = r.get(item, "code", p, str)
        label = r.get(item, "label", p, str)
        dose = r.get(item, "dose_mg", p, float)
        if dose is not None and dose < 0:
            r.fail(p + "dose_mg", "must not be negative")
        if code is not None and any(c.code == code for c in out):
            r.fail(p + "code", f"duplicate condition code {code!r}")
        if None not in (code, label, dose):
            out.append(Condition(code, label, dose))
    if len(out) < 2 and not r.problems:
        r.fail("conditions", "a randomized study needs at least two conditions")
    return out


def _measures(r: _Reader, data: Mapping[str, Any]) -> list[Measure]:
    out: list[Measure] = []
    keys = {"name", "label", "kind", "unit", "min", "max", "items", "score", "reverse",
            "min_answered", "qc_max", "missing_codes", "double_entry"}
    for i, item in enumerate(_list_of_tables(r, data, "measures")):
        p = f"measures[{i}]."
        r.unknown(item, keys, p)
        name = r.get(item, "name", p, str)
        kind = r.get(item, "kind", p, str)
        unit = r.get(item, "unit", p, str)
        lo = r.get(item, "min", p, float)
        hi = r.get(item, "max", p, float)
        if name is not None and not name.isidentifier():
            r.fail(p + "name", f"{name!r} must be a plain identifier (letters, digits, _)")
        if name is not None and any(m.name == name for m in out):
            r.fail(p + "name", f"duplicate measure {name!r}")
        if kind is not None and kind not in MEASURE_KINDS:
            r.fail(p + "kind", f"must be one of {', '.join(MEASURE_KINDS)}, not {kind!r}")
        if lo is not None and hi is not None and lo > hi:
            r.fail(p + "min", f"min {lo:g} is greater than max {hi:g}")
        items: tuple[str, ...] = ()
        score = reverse = min_answered = None
        if kind == "questionnaire":
            raw_items = r.get(item, "items", p, list)
            if raw_items is not None:
                if not raw_items or not all(isinstance(x, str) for x in raw_items):
                    r.fail(p + "items", "must be a non-empty list of item column names")
                elif len(set(raw_items)) != len(raw_items):
                    r.fail(p + "items", "lists an item twice")
                else:
                    items = tuple(raw_items)
            score = r.get(item, "score", p, str, "sum")
            if score is not None and score not in SCORING:
                r.fail(p + "score", f"must be one of {', '.join(SCORING)}, not {score!r}")
            raw_rev = r.get(item, "reverse", p, list, [])
            reverse = tuple(x for x in raw_rev or () if isinstance(x, str))
            for x in reverse:
                if items and x not in items:
                    r.fail(p + "reverse", f"{x!r} is not one of this measure's items")
            min_answered = r.get(item, "min_answered", p, int, len(items) or None)
            if min_answered is not None and items and not 1 <= min_answered <= len(items):
                r.fail(p + "min_answered", f"must be between 1 and {len(items)}")
        else:
            for key in ("items", "score", "reverse", "min_answered"):
                if key in item:
                    r.fail(p + key, "only questionnaire measures have items and scoring")
        qc_max = r.get(item, "qc_max", p, float, None)
        label = r.get(item, "label", p, str, name)
        double = r.get(item, "double_entry", p, bool, False)
        if None not in (name, kind, unit, lo, hi) and not any(x == name for x in (
                m.name for m in out)):
            out.append(Measure(name, label or name, kind, unit, lo, hi, items, score,
                               reverse or (), min_answered, qc_max, double_entry=bool(double)))
    return out


def _visits(r: _Reader, data: Mapping[str, Any]) -> list[VisitSpec]:
    out: list[VisitSpec] = []
    for i, item in enumerate(_list_of_tables(r, data, "visits")):
        p = f"visits[{i}]."
        r.unknown(item, {"id", "label", "anchor", "day", "window", "dosing"}, p)
        vid = r.get(item, "id", p, str)
        label = r.get(item, "label", p, str, vid)
        anchor = r.get(item, "anchor", p, str)
        day = r.get(item, "day", p, int)
        window = r.get(item, "window", p, list)
        dosing = r.get(item, "dosing", p, bool, False)
        if vid is not None and any(v.id == vid for v in out):
            r.fail(p + "id", f"duplicate visit id {vid!r}")
            vid = None
        known = SPECIAL_ANCHORS + tuple(v.id for v in out)
        if anchor is not None and anchor not in known:
            r.fail(p + "anchor", f"{anchor!r} must be registration, enrolment or an earlier "
                                 "visit id")
        before = after = None
        if window is not None:
            if len(window) != 2 or not all(
                isinstance(x, int) and not isinstance(x, bool) for x in window
            ):
                r.fail(p + "window", "must be [days before, days after] as two whole numbers")
            elif window[0] > window[1]:
                r.fail(p + "window", f"window end {window[1]} precedes its start {window[0]}")
            elif window[0] > 0 or window[1] < 0:
                r.fail(p + "window", "must contain the target day: [-before, +after]")
            else:
                before, after = -window[0], window[1]
        if None not in (vid, label, anchor, day, before, after):
            out.append(VisitSpec(vid, label, anchor, day, before, after, bool(dosing)))
    return out


def _strata(
    r: _Reader, data: Mapping[str, Any], measures: list[Measure], visits: list[VisitSpec]
) -> tuple[tuple[str, ...], StratumRule | None, dict[str, int]]:
    strata = r.table(data, "strata", "")
    r.unknown(strata, {"names", "rule", "target"}, "strata.")
    names = r.get(strata, "names", "strata.", list)
    if names is not None and (not names or not all(isinstance(n, str) and n for n in names)):
        r.fail("strata.names", "must be a non-empty list of names")
        names = None
    elif names is not None and len(set(names)) != len(names):
        r.fail("strata.names", "names a stratum twice")
        names = None
    names = tuple(names or ())
    targets: dict[str, int] = {}
    raw_targets = r.get(strata, "target", "strata.", dict, {})
    for key, value in (raw_targets or {}).items():
        if key not in names:
            r.fail(f"strata.target.{key}", "is not one of strata.names")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
            r.fail(f"strata.target.{key}", "must be a whole number of participants, at least 1")
        else:
            targets[key] = value
    rule = None
    if "rule" in strata:
        raw = r.table(strata, "rule", "strata.")
        p = "strata.rule."
        r.unknown(raw, {"measure", "visit", "threshold", "at_or_above", "below"}, p)
        values = [r.get(raw, "measure", p, str), r.get(raw, "visit", p, str),
                  r.get(raw, "threshold", p, float), r.get(raw, "at_or_above", p, str),
                  r.get(raw, "below", p, str)]
        measure, visit, _, high, low = values
        if measure is not None and measures and not any(m.name == measure for m in measures):
            r.fail(p + "measure", f"{measure!r} is not a declared measure")
        if visit is not None and visits and not any(v.id == visit for v in visits):
            r.fail(p + "visit", f"{visit!r} is not a declared visit")
        for key, value in (("at_or_above", high), ("below", low)):
            if value is not None and names and value not in names:
                r.fail(p + key, f"{value!r} is not one of strata.names")
        if None not in values:
            rule = StratumRule(*values)
    return names, rule, targets


def _allocation(
    r: _Reader, data: Mapping[str, Any], design: str | None, codes: list[str]
) -> tuple[int, tuple[int, ...], dict[str, int] | None]:
    alloc = r.table(data, "allocation", "")
    p = "allocation."
    r.unknown(alloc, {"slots_per_stratum", "block_multiples", "ratio"}, p)
    slots = r.get(alloc, "slots_per_stratum", p, int)
    if slots is not None and slots < 1:
        r.fail(p + "slots_per_stratum", "must be at least 1")
    multiples = r.get(alloc, "block_multiples", p, list, [1, 2])
    if multiples is not None and (
        not multiples
        or not all(isinstance(m, int) and not isinstance(m, bool) and m >= 1 for m in multiples)
    ):
        r.fail(p + "block_multiples", "must be a non-empty list of whole numbers >= 1")
        multiples = [1]
    ratio = r.get(alloc, "ratio", p, dict, None)
    if ratio is not None:
        if design != "parallel":
            r.fail(p + "ratio", "an allocation ratio applies to parallel designs only")
        for key, value in ratio.items():
            if codes and key not in codes:
                r.fail(f"{p}ratio.{key}", "is not a condition code")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
                r.fail(f"{p}ratio.{key}", "must be a whole number >= 1")
        missing = [c for c in codes if c not in ratio]
        if missing:
            r.fail(p + "ratio", f"gives no share to {', '.join(missing)}")
    return slots, tuple(multiples or (1,)), ratio
