"""Finding the key columns and turning their labels into the study's participants and visits.

Work is done once per distinct label (a file of a million rows names a few
thousand participants and a handful of visits), then spread back over the rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from importers.problems import Stop
from trialcore.ids import ParticipantIdError, canonical_id, participant_number
from trialcore.protocol import Protocol

PARTICIPANT_NAMES = ("participant", "participant_id", "participant_label", "subject",
                     "subject_id", "subject_label", "sub", "subj", "pid", "id", "record_id",
                     "src_subject_id", "externalreference", "externaldatareference")
VISIT_NAMES = ("visit", "visit_id", "visit_name", "session", "session_id", "ses",
               "timepoint", "time_point", "event", "redcap_event_name")
BIDS_NAMES = ("bids_name", "bids", "filename", "file_name", "file", "source_file", "scan",
              "name")
_BIDS_SUB = re.compile(r"(?:^|[_/\\])sub-([A-Za-z0-9]+)")
_BIDS_SES = r"(?:^|[_/\\])ses-([A-Za-z0-9]+)"
_LOOKS_BIDS = r"(?:^|[_/\\])sub-[A-Za-z0-9]+"
_ARM = re.compile(r"(_arm_\d+$)|(\s*\(arm \d+[^)]*\)$)", re.IGNORECASE)
_TOKENS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Words that name or imply the treatment a participant received.
BLINDING_WORDS = re.compile(
    r"^(doses?|dosing|dosages?|drugs?|conditions?|arms?|treat|treatments?|treated|trt|"
    r"groups?|grp|alloc|allocations?|allocated|kits?|randomi[sz]ation|randomi[sz]ed|"
    r"rand|placebo|verum|sequences?|medications?|interventions?|mg)$")
NOT_TREATMENT = {"redcap_data_access_group"}


def norm(name: object) -> str:
    """Compare names as people mean them: case, spaces, dashes and underscores ignored."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def find_column(columns: Sequence[str], candidates: Iterable[str]) -> str | None:
    """The first column named like one of `candidates` (detection: case and separators
    ignored). Two columns both matching one candidate are refused, naming both: picking
    one would be a guess."""
    groups: dict[str, list[str]] = {}
    for c in columns:
        groups.setdefault(norm(c), []).append(str(c))
    for n in candidates:
        found = groups.get(norm(n), [])
        if len(found) > 1:
            raise Stop(f"columns {' and '.join(found)} are both named like {n!r}; say which "
                       "to use or leave one out")
        if found:
            return found[0]
    return None


def exact_column(columns: Sequence[str], name: str, what: str) -> str:
    """The column called exactly `name` (a user's --map, --drop-column or a profile);
    a near miss is refused, suggesting the columns it resembles."""
    if name in columns:
        return name
    near = [str(c) for c in columns if norm(c) == norm(name)]
    hint = f"; did you mean {' or '.join(near)}?" if near else \
        f"; the columns are {', '.join(map(str, columns))}"
    raise Stop(f"there is no column named exactly {name!r} to {what}{hint}")


def bids_column(frame: pd.DataFrame) -> str | None:
    """A column of BIDS names (sub-007_ses-02_...), by name or by content."""
    named = find_column(list(frame.columns), BIDS_NAMES)
    candidates = ([named] if named else []) + [c for c in frame.columns if c != named]
    for col in candidates:
        sample = frame[col].dropna().head(50).astype(str)
        if len(sample) and sample.str.contains(_LOOKS_BIDS).mean() >= 0.8:
            return col
    return None


def bids_entities(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The sub- and ses- labels of BIDS names (NaN where absent)."""
    text = values.astype("string")
    sub = text.str.extract(_BIDS_SUB, expand=False)
    ses = text.str.extract(_BIDS_SES, expand=False)
    return sub.astype(object), ses.astype(object)


_ENTITY = re.compile(r"(?:^|[_/\\])([a-z]+)-([A-Za-z0-9]+)")


def bids_table(values: pd.Series) -> pd.DataFrame:
    """Every entity of BIDS names (task, run, acq, ses...) as a column; NaN where absent."""
    rows = [dict(_ENTITY.findall(str(v))) if isinstance(v, str) else {} for v in values]
    return pd.DataFrame(rows, index=values.index, dtype=object)


def same_label(a: object, b: object) -> bool:
    """BIDS labels compared as people mean them: run-01 is run 1."""
    x, y = str(a).strip(), str(b).strip()
    return x == y or (x.isdigit() and y.isdigit() and int(x) == int(y))


def treatment_columns(columns: Iterable[str], protocol: Protocol) -> list[str]:
    """Columns whose name could reveal which treatment a participant got."""
    allowed = {norm(m.name) for m in protocol.measures}
    allowed |= {norm(i) for m in protocol.measures for i in m.items}
    codes = {c.code.lower() for c in protocol.conditions}
    out = []
    for col in columns:
        if norm(col) in allowed or col.lower() in NOT_TREATMENT:
            continue
        tokens = [t.lower() for t in _TOKENS.findall(str(col))]
        if any(BLINDING_WORDS.match(t) or t in codes for t in tokens) or norm(col) in codes:
            out.append(col)
    return out


def participant_numbers(values: pd.Series, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """Participant numbers per row (0 where unreadable) and why not ('' where fine)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    numbers = np.zeros(len(uniques) + 1, dtype=np.int64)
    reasons = np.full(len(uniques) + 1, "", dtype=object)
    reasons[-1] = "no participant ID"
    for i, text in enumerate(uniques):
        try:
            numbers[i] = participant_number(str(text).strip(), prefix)
        except ParticipantIdError as exc:
            reasons[i] = str(exc)
    return numbers[codes], reasons[codes]


def from_names(codes: np.ndarray, names: list[str | None]) -> pd.Categorical:
    """Rows' codes into a categorical of the names given per code (None: no match).

    Categories are sorted, so sorting by the codes is sorting by the names.
    """
    categories = sorted({n for n in names if n is not None})
    position = {c: i for i, c in enumerate(categories)}
    per_code = np.array([-1 if n is None else position[n] for n in names] + [-1],
                        dtype=np.int32)
    return pd.Categorical.from_codes(per_code[codes], categories=categories)


def label(number: int, protocol: Protocol) -> str:
    return canonical_id(number, protocol.id_prefix, protocol.id_digits)


class VisitNames:
    """A file's visit labels → protocol visit ids (ids, labels, REDCap events, positions)."""

    def __init__(self, protocol: Protocol, explicit: dict[str, str] | None = None):
        self.protocol = protocol
        self.ids = [v.id for v in protocol.visits]
        self.known: dict[str, str] = {}
        for v in protocol.visits:
            self.known[norm(v.label)] = v.id
        for v in protocol.visits:
            self.known[norm(v.id)] = v.id
        self.explicit = {norm(re.sub(r"^ses-", "", k)): v for k, v in (explicit or {}).items()}
        self.notes: list[str] = []

    def one(self, text: object) -> str | None:
        raw = str(text).strip()
        key = norm(raw)
        if key in self.explicit:
            chosen = self.explicit[key]
            return chosen if chosen in self.ids else None
        if key in self.known:
            return self.known[key]
        bare = norm(_ARM.sub("", raw))
        if bare in self.known:
            return self.known[bare]
        if bare.isdigit() and 1 <= int(bare) <= len(self.ids):
            visit = self.ids[int(bare) - 1]
            self.notes.append(f"visit {raw!r} read as {visit!r}, the protocol's visit "
                              f"number {int(bare)}; map it in a profile if that is wrong")
            return visit
        return None

    def resolve(self, values: pd.Series) -> pd.Series:
        """Visit ids per row (categorical); NaN where the label is missing or matches none."""
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return pd.Series(from_names(codes, [self.one(u) for u in uniques]), index=values.index)
