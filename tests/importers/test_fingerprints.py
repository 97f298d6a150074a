"""The fast digest of bulk-inserted rows equals the audit trail's own, row by row."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from db.audit import canonical_row
from db.models import Observation
from services.import_store import fingerprint_sum
from trialcore.audit_chain import DIGEST_MODULUS, row_fingerprint

names = st.text(min_size=1, max_size=12)
rows = st.lists(st.tuples(st.integers(1, 10**6), names, names,
                          st.floats(allow_nan=False, allow_infinity=False)), max_size=30)


@settings(max_examples=60, deadline=None)
@given(rows=rows, import_id=st.integers(1, 10**6))
def test_fast_digest_is_the_reference_digest(rows: list[tuple[int, str, str, float]],
                                             import_id: int) -> None:
    frame = pd.DataFrame(rows, columns=["participant_id", "visit", "target", "value"])
    frame["value"] = frame["value"] + 0.0
    expected = sum(row_fingerprint(canonical_row(Observation.__table__, {  # type: ignore[arg-type]
        "participant_id": p, "visit": v, "measure": t, "value": x, "import_id": import_id}))
        for p, v, t, x in frame.itertuples(index=False)) % DIGEST_MODULUS
    assert fingerprint_sum(frame, import_id) == expected
