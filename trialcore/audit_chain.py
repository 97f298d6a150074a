"""The arithmetic of the audit trail, shared by the writer and `audit verify`.

Each entry's hash covers the previous entry's hash and the entry itself in a
canonical JSON form, so editing, inserting or deleting any entry breaks the
chain from that point on. Each audited table also has a content digest: the
sum of its rows' fingerprints modulo 2**128. Entries carry the change they make
to that sum, so verify can tell whether the tables still hold exactly what the
trail says, without storing every bulk-imported row in the trail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

GENESIS = "0" * 64
DIGEST_MODULUS = 2**128


def canonical_json(value: Any) -> str:
    """One byte sequence per value: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    payload = prev_hash + "\n" + canonical_json(dict(fields))
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def row_fingerprint(row: Mapping[str, Any]) -> int:
    return text_fingerprint(canonical_json(dict(row)))


def text_fingerprint(text: str) -> int:
    """The fingerprint of a row whose canonical JSON is `text`: its SHA-256's first half.
    db/row_digest.py builds that text without the dict, for speed."""
    return int.from_bytes(hashlib.sha256(text.encode("ascii")).digest()[:16])


SECRET_DIGEST_PREFIX = "sha256:"


def secret_digest(value: Any) -> Any:
    """What the trail shows in place of a secret: ``sha256:<hex>`` of its text.

    Enough to tell whether two versions of a secret are the same and to prove a
    table row against the trail, nothing to attack offline: the sealed boxes and
    password hashes it replaces carry their own random salts. Already digested
    values (new entries) and missing values pass through unchanged."""
    if value is None or (isinstance(value, str) and value.startswith(SECRET_DIGEST_PREFIX)):
        return value
    text = value if isinstance(value, str) else canonical_json(value)
    return SECRET_DIGEST_PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest()


def digest_of(rows: Iterable[Mapping[str, Any]]) -> int:
    return sum(row_fingerprint(r) for r in rows) % DIGEST_MODULUS


def delta(added: Iterable[Mapping[str, Any]] = (),
          removed: Iterable[Mapping[str, Any]] = ()) -> int:
    """The change to a table digest when `removed` rows become `added` rows."""
    return (digest_of(added) - digest_of(removed)) % DIGEST_MODULUS
