"""A digest of every table of a study: equal before and after means nothing was written."""

from __future__ import annotations

import hashlib

from sqlalchemy import create_engine, select

from db.models import Base

# What a refused command may still write, on purpose: the record of the attempt (a failed
# sign-in and its lockout counter, a refused opening of the key), and the trail's head.
ATTEMPT_ACTIONS = ("sign_in", "sign_in.failed")
ATTEMPT_USER_COLUMNS = ("failed_logins", "failed_since", "locked_until", "version")


def _attempt(table: str, row: dict[str, object]) -> bool:
    action = str(row.get("action", ""))
    return table == "audit_log" and (action in ATTEMPT_ACTIONS or action.endswith(".refused"))


def digest(url: str, *, except_attempts: bool = False) -> str:
    """SHA-256 over every row of every TrialDesk table, in primary-key order.

    `except_attempts`: leave out what records a refused attempt (docs/security.md: every
    failed sign-in and every refused opening of the key is audited), so that "nothing was
    written" means no study data, no account and no other audit entry changed."""
    engine = create_engine(url)
    h = hashlib.sha256()
    try:
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                if except_attempts and table.name == "audit_head":
                    continue
                h.update(table.name.encode())
                order = list(table.primary_key.columns) or list(table.columns)
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    if except_attempts and _attempt(table.name, row):
                        continue
                    kept = {k: v for k, v in row.items() if not (
                        except_attempts and table.name == "users"
                        and k in ATTEMPT_USER_COLUMNS)}
                    h.update(repr(tuple(kept.values())).encode())
    finally:
        engine.dispose()
    return h.hexdigest()
