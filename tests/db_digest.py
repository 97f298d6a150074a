"""A digest of every table of a study: equal before and after means nothing was written."""

from __future__ import annotations

import hashlib

from sqlalchemy import create_engine, select

from db.models import Base


def digest(url: str) -> str:
    """SHA-256 over every row of every TrialDesk table, in primary-key order."""
    engine = create_engine(url)
    h = hashlib.sha256()
    try:
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                h.update(table.name.encode())
                order = list(table.primary_key.columns) or list(table.columns)
                for row in conn.execute(select(table).order_by(*order)):
                    h.update(repr(tuple(row)).encode())
    finally:
        engine.dispose()
    return h.hexdigest()
