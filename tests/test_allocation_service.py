"""The sealed allocation list through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import String, Text, func, select, text

from db.models import AllocationSlot, AuditEntry, Base, DoseCode, SealedKey, Study
from services import allocation, unblinding
from services.context import Actor, App
from services.errors import PermissionDenied, Refused
from tests.allocation_helpers import (
    EMERGENCY,
    PASSPHRASE,
    allocated_study,
    audit_count,
    enrol_by_hand,
)
from tests.conftest import PASSWORDS, make_study
from trialcore.allocation import generate_allocation

CONDITION_WORDS = ("PBO", "MDMA80", "MDMA120", "Placebo", "MDMA 80 mg", "MDMA 120 mg", " mg")
# Random salt/nonce/ciphertext text, password hashes and the (public) protocol may
# contain any letters; everything else must never name a condition.
OPAQUE_KEYS = {"salt", "nonce", "ciphertext", "password_hash", "protocol_toml", "hash",
               "prev_hash"}


def test_generate_seals_a_list_that_regenerates_from_its_seed(app: App) -> None:
    actors = allocated_study(app)
    with app.read() as s:
        assert s.scalar(select(Study.stage)) == "running"
        assert s.scalar(select(func.count()).select_from(AllocationSlot)) == 24
        assert s.scalar(select(func.count()).select_from(DoseCode)) == 72
        kinds = s.execute(select(SealedKey.kind, func.count()).group_by(SealedKey.kind)).all()
    assert dict(kinds) == {"allocation": 1, "emergency": 24}
    opened = allocation.open_key(app, PASSPHRASE)
    protocol = app.protocol
    again = generate_allocation(
        seed=bytes.fromhex(opened.allocation.seed_hex), design=protocol.design,
        conditions=[c.code for c in protocol.conditions], strata=protocol.strata,
        slots_per_stratum=protocol.slots_per_stratum, block_multiples=protocol.block_multiples)
    assert again == opened.allocation
    report = allocation.report(app, actors["stella"], PASSPHRASE)
    assert report["regenerates_from_seed"] is True
    for stratum in report["strata"]:
        assert (stratum["slots"], stratum["used"], stratum["free"]) == (12, 0, 12)
        assert stratum["all"]["period_balanced"] and stratum["all"]["carryover_balanced"]
        assert stratum["all"]["period_counts"]["dose1"] == {"PBO": 4, "MDMA80": 4, "MDMA120": 4}


def _words(value: Any, key: str = "") -> list[str]:
    """Every text in a value, looking inside JSON, skipping random or public blobs."""
    if key in OPAQUE_KEYS or value is None:
        return []
    if isinstance(value, dict):
        return [w for k, v in value.items() for w in _words(v, k)]
    if isinstance(value, list):
        return [w for v in value for w in _words(v)]
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _words(json.loads(value))
        except ValueError:
            pass
    return [str(value)]


def test_plain_sql_without_the_passphrases_cannot_tell_any_condition(app: App) -> None:
    actors = allocated_study(app)
    for n in (1, 2):
        enrol_by_hand(app, actors["cora"], n)
    unblinding.emergency(app, actors["ivan"], 1, "anaphylaxis", EMERGENCY,
                         PASSWORDS["ivan"])
    found: list[str] = []
    with app.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    found += [f"{table.name}.{column.name}: {w}"
                              for w in _words(value, column.name)
                              if any(c in w for c in CONDITION_WORDS)]
        boxes = [json.loads(b) for (b,) in conn.execute(
            text("SELECT box FROM sealed_keys WHERE kind = 'emergency'"))]
        by_id = [c for (c,) in conn.execute(text("SELECT code FROM dose_codes ORDER BY id"))]
    assert found == []
    assert len({len(b["ciphertext"]) for b in boxes}) == 1  # sizes tell nothing either
    conditions = allocation.open_key(app, PASSPHRASE).conditions
    for order in (sorted(conditions), by_id):
        runs = sum(conditions[a] != conditions[b] for a, b in pairwise(order))
        assert runs > 20  # grouped by condition would give 2


def test_unbalanced_targets_are_warned_about_before_anything_is_made(app: App) -> None:
    actors = make_study(app, ("stella", "cora"))
    before = audit_count(app)
    warning = allocation.preview(app, actors["stella"])["warnings"]
    assert warning == ["strata NTNA+, NTNA- (target): 8 participants per stratum cannot "
                       "balance 6 Williams sequences; nearest balanced sizes: 6 or 12"]
    with pytest.raises(allocation.Unbalanced) as refused:
        allocation.generate(app, actors["stella"], PASSPHRASE, EMERGENCY)
    assert refused.value.details == warning
    with pytest.raises(PermissionDenied, match="statistician"):
        allocation.generate(app, actors["cora"], PASSPHRASE, EMERGENCY,
                            confirm_unbalanced=True)
    assert audit_count(app) == before


@pytest.mark.parametrize("passphrase, emergency, message", [
    ("short", EMERGENCY, "sealing passphrase needs at least 10"),
    (PASSPHRASE, "", "emergency passphrase needs at least 10"),
    (PASSPHRASE, PASSPHRASE, "must differ from the sealing passphrase"),
])
def test_bad_passphrases_are_refused(app: App, passphrase: str, emergency: str,
                                     message: str) -> None:
    actors = make_study(app, ("stella",))
    before = audit_count(app)
    with pytest.raises(Refused, match=message):
        allocation.generate(app, actors["stella"], passphrase, emergency,
                            confirm_unbalanced=True)
    assert audit_count(app) == before


def _codes(app: App) -> set[str]:
    with app.read() as s:
        return set(s.scalars(select(DoseCode.code)))


def test_a_second_list_only_replaces_an_unused_one_on_purpose(app: App) -> None:
    actors = allocated_study(app)
    stella = actors["stella"]
    old = _codes(app)
    with pytest.raises(Refused, match="already exists; nobody is enrolled yet"):
        allocation.generate(app, stella, PASSPHRASE, EMERGENCY, confirm_unbalanced=True)
    with pytest.raises(Refused, match="replacing the allocation list needs a reason"):
        allocation.generate(app, stella, PASSPHRASE, EMERGENCY, confirm_unbalanced=True,
                            replace=True)
    allocation.generate(app, stella, PASSPHRASE, EMERGENCY, confirm_unbalanced=True,
                        replace=True, reason="protocol amendment before first enrolment")
    assert len(_codes(app)) == 72 and not _codes(app) & old
    enrol_by_hand(app, actors["cora"], 1)
    before = audit_count(app)
    with pytest.raises(Refused, match=r"in use \(1 participants enrolled\): it can never"):
        allocation.generate(app, stella, PASSPHRASE, EMERGENCY, confirm_unbalanced=True,
                            replace=True, reason="try again")
    assert audit_count(app) == before


def test_dispensing_list_and_wrong_passphrase(app: App, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    actors = allocated_study(app, ("cora", "phil"))
    before = audit_count(app)
    for call in (lambda: allocation.report(app, actors["stella"], "not the passphrase"),
                 lambda: allocation.dispensing(app, actors["phil"], "not the passphrase",
                                               tmp_path / "list.csv")):
        with pytest.raises(Refused, match="wrong sealing passphrase"):
            call()
    with pytest.raises(PermissionDenied):
        allocation.dispensing(app, actors["cora"], PASSPHRASE, tmp_path / "list.csv")
    with pytest.raises(Refused, match=r"list.pdf: .* \.csv or \.html"):
        allocation.dispensing(app, actors["phil"], PASSPHRASE, tmp_path / "list.pdf")
    assert audit_count(app) == before and not list(tmp_path.iterdir())

    made = allocation.dispensing(app, actors["phil"], PASSPHRASE, tmp_path / "list.csv")
    with (tmp_path / "list.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert made["kits"] == len(rows) == 72
    assert rows[0].keys() == {"code", "stratum", "slot", "visit", "condition", "label",
                              "dose_mg"}
    conditions = allocation.open_key(app, PASSPHRASE).conditions
    assert all(conditions[r["code"]] == r["condition"] for r in rows)
    with app.read() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert (entry.actor, entry.action, entry.entity_key) == ("phil", "allocation.dispensing",
                                                             "dispensing list")
    assert json.loads(entry.after)["file"] == "list.csv"


def test_printable_dispensing_page(app: App, tmp_path: Path) -> None:
    actors = allocated_study(app, ("phil",))
    allocation.dispensing(app, actors["phil"], PASSPHRASE, tmp_path / "list.html")
    page = (tmp_path / "list.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<tr>") == 73
    assert "MDMA 120 mg" in page and "for the pharmacist only" in page


def test_report_is_for_the_statistician(app: App, study: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied, match="statistician"):
        allocation.report(app, study["cora"], PASSPHRASE)
    with pytest.raises(Refused, match="no allocation list yet"):
        allocation.report(app, study["stella"], PASSPHRASE)


def test_the_overview_counts_slots_and_kits_without_conditions(app: App) -> None:
    actors = make_study(app, ("cora", "phil", "stella"))
    assert allocation.overview(app, actors["phil"])["exists"] is False
    allocation.generate(app, actors["stella"], PASSPHRASE, EMERGENCY, confirm_unbalanced=True)
    enrol_by_hand(app, actors["cora"], 1)
    seen = allocation.overview(app, actors["phil"])
    slots = app.protocol.slots_per_stratum
    assert seen == {"exists": True, "kits_per_participant": 3, "strata": [
        {"stratum": "NTNA+", "used": 1, "free": slots - 1, "kits_free": 3 * (slots - 1)},
        {"stratum": "NTNA-", "used": 0, "free": slots, "kits_free": 3 * slots}]}
