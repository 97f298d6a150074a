"""How a file's columns and labels map onto the study: detected, edited, saved as a profile.

The same object is what detection proposes, what the user adjusts (GUI mapping
page, CLI options) and what a named profile stores, so a saved profile replays
exactly the choices of the import it was saved from.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Mapping:
    """Where the keys are and what each column means.

    columns: file column → protocol measure (scans) or item (questionnaires);
    visits: a file's visit/session/event label → protocol visit id;
    value_labels: answer text → number (label exports without raw codes);
    visit: the one visit every row belongs to (files without visits).
    """

    participant_column: str | None = None
    visit_column: str | None = None
    bids_column: str | None = None
    visit: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    visits: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, float] = field(default_factory=dict)
    drop_columns: list[str] = field(default_factory=list)
    bids_filter: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        return cls.from_dict(json.loads(text))

    def overlay(self, other: Mapping) -> Mapping:
        """`other`'s explicit choices on top of this one (options over a profile)."""
        merged = asdict(self)
        for key, value in asdict(other).items():
            if isinstance(value, dict):
                merged[key] = {**merged[key], **value}
            elif isinstance(value, list):
                merged[key] = list(dict.fromkeys([*merged[key], *value]))
            elif value is not None:
                merged[key] = value
        return Mapping.from_dict(merged)
