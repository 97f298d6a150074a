"""`audit verify` on the benchmark study, against the physical floor of the check.

The check (db/audit.py `verify`) re-reads every row of every audited table and
hashes it, after walking the hash chain. Its baseline reads the same columns of the
same rows through the bare driver cursor and hashes each row's text with SHA-256:
nothing can verify every row faster than that.
"""

from __future__ import annotations

import hashlib
import time

from db.audit import audited_tables, verify
from db.row_digest import audited_columns
from services.context import App

CHUNK = 5000


def hash_rows(app: App) -> int:
    """Read the audited columns of every audited table and SHA-256 each row; the rows."""
    rows = 0
    with app.engine.connect() as conn:
        conn = conn.execution_options(stream_results=True, yield_per=CHUNK)
        quote = conn.dialect.identifier_preparer.quote
        for table in audited_tables():
            columns = ", ".join(quote(c.name) for c in audited_columns(table))
            result = conn.exec_driver_sql(f"SELECT {columns} FROM {quote(table.name)}")
            for chunk in result.partitions():
                for row in chunk:
                    hashlib.sha256(str(tuple(row)).encode()).digest()
                rows += len(chunk)
    return rows


def measure(app: App) -> tuple[float, float, int, int]:
    """Seconds for verify and for the baseline (the mean of one run before and one after,
    so a burst of load or a cold cache hits both alike), entries and rows."""
    start = time.perf_counter()
    rows = hash_rows(app)
    before = time.perf_counter() - start
    start = time.perf_counter()
    with app.read() as s:
        result = verify(s)
    took = time.perf_counter() - start
    if not result.ok:
        raise RuntimeError(f"the benchmark study does not verify: {result.problems[0]}")
    start = time.perf_counter()
    hash_rows(app)
    after = time.perf_counter() - start
    return took, (before + after) / 2, result.entries, rows
