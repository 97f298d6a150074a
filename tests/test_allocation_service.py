"""The sealed allocation list through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import errno
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
    DISPENSING,
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
    assert dict(kinds) == {"allocation": 1, "dispensing": 1, "emergency": 24}
    opened = allocation.open_key(app, PASSPHRASE)
    protocol = app.protocol
    again = generate_allocation(
        seed=bytes.fromhex(opened.allocation.seed_hex), design=protocol.design,
        conditions=[c.code for c in protocol.conditions], strata=protocol.strata,
        slots_per_stratum=protocol.slots_per_stratum, block_multiples=protocol.block_multiples)
    assert again == opened.allocation
    report = allocation.report(app, actors["rita"], PASSPHRASE)
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
    actors = make_study(app, ("rita", "cora"))
    before = audit_count(app)
    warning = allocation.preview(app, actors["rita"])["warnings"]
    assert warning == ["strata NTNA+, NTNA- (target): 8 participants per stratum cannot "
                       "balance 6 Williams sequences; nearest balanced sizes: 6 or 12"]
    with pytest.raises(allocation.Unbalanced) as refused:
        allocation.generate(app, actors["rita"], PASSPHRASE, EMERGENCY)
    assert refused.value.details == warning
    with pytest.raises(PermissionDenied, match="randomizer"):
        allocation.generate(app, actors["cora"], PASSPHRASE, EMERGENCY,
                            confirm_unbalanced=True)
    assert audit_count(app) == before


@pytest.mark.parametrize("passphrase, emergency, dispensing, message", [
    ("short", EMERGENCY, None, "sealing passphrase is refused: a passphrase needs at least 8"),
    (PASSPHRASE, "", None, "emergency passphrase is refused: a passphrase needs at least 8"),
    # the passphrase cracked in seconds from an audit export in the hostile test
    ("1111111111", EMERGENCY, None, "sealing passphrase is refused: this passphrase is too "
     "easy to guess"),
    (PASSPHRASE, "emergency2026", None, "emergency passphrase is refused: this passphrase is "
     "too easy to guess"),
    (PASSPHRASE, EMERGENCY, "password123!", "dispensing passphrase is refused: this "
     "passphrase is too easy to guess"),
    (PASSPHRASE, PASSPHRASE, None, "must differ from the sealing passphrase"),
    (PASSPHRASE, EMERGENCY, PASSPHRASE, "dispensing passphrase must differ"),
])
def test_bad_passphrases_are_refused(app: App, passphrase: str, emergency: str,
                                     dispensing: str | None, message: str) -> None:
    actors = make_study(app, ("rita",))
    before = audit_count(app)
    with pytest.raises(Refused, match=message):
        allocation.generate(app, actors["rita"], passphrase, emergency,
                            dispensing_passphrase=dispensing, confirm_unbalanced=True)
    assert audit_count(app) == before


def _codes(app: App) -> set[str]:
    with app.read() as s:
        return set(s.scalars(select(DoseCode.code)))


def test_a_second_list_only_replaces_an_unused_one_on_purpose(app: App) -> None:
    actors = allocated_study(app)
    rita = actors["rita"]
    old = _codes(app)
    with pytest.raises(Refused, match="already exists; nobody is enrolled yet"):
        allocation.generate(app, rita, PASSPHRASE, EMERGENCY, confirm_unbalanced=True)
    with pytest.raises(Refused, match="replacing the allocation list needs a reason"):
        allocation.generate(app, rita, PASSPHRASE, EMERGENCY, confirm_unbalanced=True,
                            replace=True)
    allocation.generate(app, rita, PASSPHRASE, EMERGENCY, confirm_unbalanced=True,
                        replace=True, reason="protocol amendment before first enrolment")
    assert len(_codes(app)) == 72 and not _codes(app) & old
    enrol_by_hand(app, actors["cora"], 1)
    before = audit_count(app)
    with pytest.raises(Refused, match=r"in use \(1 participants enrolled\): it can never"):
        allocation.generate(app, rita, PASSPHRASE, EMERGENCY, confirm_unbalanced=True,
                            replace=True, reason="try again")
    assert audit_count(app) == before


def _last_entries(app: App, n: int) -> list[AuditEntry]:
    with app.read() as s:
        return list(reversed(s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())
                                       .limit(n)).all()))


def test_dispensing_list_with_the_pharmacists_own_passphrase(app: App, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    actors = allocated_study(app, ("cora", "phil", "stella"))
    phil = actors["phil"]
    made = allocation.dispensing(app, phil, DISPENSING, tmp_path / "list.csv",
                                 "kits for the second shipment")
    with (tmp_path / "list.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert made["kits"] == len(rows) == 72
    assert rows[0].keys() == {"code", "stratum", "slot", "visit", "condition", "label",
                              "dose_mg"}
    conditions = allocation.open_key(app, PASSPHRASE).conditions
    assert all(conditions[r["code"]] == r["condition"] for r in rows)
    [entry] = _last_entries(app, 1)
    assert (entry.actor, entry.action, entry.entity, entry.entity_key, entry.reason) == (
        "phil", "allocation.dispensing", "key_access", "dispensing list",
        "kits for the second shipment")
    assert json.loads(entry.after)["file"] == "list.csv"
    # the randomizer's sealing passphrase is not the pharmacist's: no shared master secret
    with pytest.raises(Refused, match="wrong dispensing passphrase"):
        allocation.dispensing(app, phil, PASSPHRASE, tmp_path / "other.csv", "again")
    # a blinded statistician (who used to print it) may not, and neither may anyone else
    for name in ("stella", "cora", "rita"):
        with pytest.raises(PermissionDenied, match="pharmacist"):
            allocation.dispensing(app, actors[name], DISPENSING, tmp_path / "x.csv", "look")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list.csv"]


def test_every_refused_opening_of_the_key_is_audited_with_the_reason_typed(
        app: App, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    actors = allocated_study(app, ("cora", "phil", "stella"))
    attempts = [
        (lambda: allocation.dispensing(app, actors["phil"], "not the passphrase",
                                       tmp_path / "a.csv", "curious"),
         "phil", "allocation.dispensing.refused", "curious", "wrong dispensing passphrase"),
        (lambda: allocation.dispensing(app, actors["phil"], DISPENSING, tmp_path / "a.csv",
                                       "  "),
         "phil", "allocation.dispensing.refused", None, "needs a reason"),
        (lambda: allocation.dispensing(app, actors["stella"], DISPENSING, tmp_path / "a.csv",
                                       "peek before lock"),
         "stella", "allocation.dispensing.refused", "peek before lock", "may not do this"),
        (lambda: allocation.report(app, actors["rita"], "not the passphrase", "balance"),
         "rita", "allocation.report.refused", "balance", "wrong sealing passphrase"),
        (lambda: allocation.report(app, actors["stella"], PASSPHRASE, "balance?"),
         "stella", "allocation.report.refused", "balance?", "may not do this"),
    ]
    for call, who, action, reason, message in attempts:
        before = audit_count(app)
        with pytest.raises(Refused, match=message):
            call()
        assert audit_count(app) == before + 1
        [entry] = _last_entries(app, 1)
        assert (entry.actor, entry.action, entry.entity, entry.reason) == (
            who, action, "key_access", reason)
        assert message in json.loads(entry.after)["refused"]
    assert not list(tmp_path.iterdir())


def test_the_balance_report_is_an_audited_access(app: App) -> None:
    actors = allocated_study(app)
    allocation.report(app, actors["rita"], PASSPHRASE, "balance after 10 enrolments")
    [entry] = _last_entries(app, 1)
    assert (entry.actor, entry.action, entry.entity_key, entry.reason) == (
        "rita", "allocation.report", "balance report", "balance after 10 enrolments")


def test_dispensing_list_appears_whole_or_not_at_all(app: App, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    actors = allocated_study(app, ("phil",))
    phil, target = actors["phil"], tmp_path / "list.csv"
    real_write = Path.write_text

    def disk_full(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        real_write(self, data[:100], *args, **kwargs)  # part of the list reached the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", disk_full)
    before = audit_count(app)
    with pytest.raises(Refused, match="No space left on device; nothing was written"):
        allocation.dispensing(app, phil, DISPENSING, target, "kits")
    assert list(tmp_path.iterdir()) == []
    [entry] = _last_entries(app, 1)
    assert audit_count(app) == before + 1 and entry.action == "allocation.dispensing.refused"
    monkeypatch.undo()

    target.write_text("the pharmacist's own notes", encoding="utf-8")
    with pytest.raises(Refused, match="already exists; nothing was written"):
        allocation.dispensing(app, phil, DISPENSING, target, "kits")
    assert target.read_text(encoding="utf-8") == "the pharmacist's own notes"
    allocation.dispensing(app, phil, DISPENSING, target, "kits", force=True)
    assert target.read_text(encoding="utf-8").startswith("code,stratum,slot")
    assert [p.name for p in tmp_path.iterdir()] == ["list.csv"]


def test_handover_seals_a_new_copy_for_the_pharmacist(app: App, tmp_path: Path) -> None:
    actors = make_study(app, ("rita", "phil"))
    allocation.generate(app, actors["rita"], PASSPHRASE, EMERGENCY, confirm_unbalanced=True)
    with pytest.raises(Refused, match=r"no dispensing copy of the key yet.*allocation handover"):
        allocation.dispensing(app, actors["phil"], DISPENSING, tmp_path / "a.csv", "kits")
    with pytest.raises(PermissionDenied, match="randomizer"):
        allocation.handover(app, actors["phil"], PASSPHRASE, DISPENSING, "my own copy")
    with pytest.raises(Refused, match="wrong sealing passphrase"):
        allocation.handover(app, actors["rita"], DISPENSING, "another long passphrase", "new")
    with pytest.raises(Refused, match="dispensing passphrase is refused"):
        allocation.handover(app, actors["rita"], PASSPHRASE, "1111111111", "new pharmacist")
    done = allocation.handover(app, actors["rita"], PASSPHRASE, DISPENSING, "new pharmacist")
    assert done["replaced"] is False
    entries = _last_entries(app, 2)
    assert [(e.action, e.entity) for e in entries] == [
        ("allocation.handover", "key_access"), ("allocation.handover", "sealed_keys")]
    assert {e.reason for e in entries} == {"new pharmacist"}
    assert json.loads(entries[1].after)["box"].startswith("sha256:")
    allocation.dispensing(app, actors["phil"], DISPENSING, tmp_path / "a.csv", "kits")
    assert allocation.handover(app, actors["rita"], PASSPHRASE, "a brand new pharmacist "
                               "phrase", "phil forgot his")["replaced"] is True
    with pytest.raises(Refused, match="wrong dispensing passphrase"):
        allocation.dispensing(app, actors["phil"], DISPENSING, tmp_path / "b.csv", "kits")


def test_a_new_pharmacist_gets_a_copy_mid_study_but_the_key_itself_stays_fixed(
        app: App, tmp_path: Path) -> None:
    """Once participants are enrolled the sealed key and envelopes can never change (the
    0005 guards), but handing the dispensing list over to a new pharmacist must still work:
    only the pharmacist's copy is sealed anew."""
    actors = allocated_study(app, ("cora", "phil"))
    enrol_by_hand(app, actors["cora"], 1)
    done = allocation.handover(app, actors["rita"], PASSPHRASE, "a brand new pharmacist "
                               "phrase", "phil left; his successor starts today")
    assert done["replaced"] is True
    allocation.dispensing(app, actors["phil"], "a brand new pharmacist phrase",
                          tmp_path / "list.csv", "kits for the successor")
    for sql in ("UPDATE sealed_keys SET box = box WHERE kind <> 'dispensing'",
                "DELETE FROM sealed_keys WHERE kind <> 'dispensing'"):
        with pytest.raises(Exception, match="the allocation list is in use"), \
                app.engine.begin() as conn:
            conn.execute(text(sql))


def test_printable_dispensing_page(app: App, tmp_path: Path) -> None:
    actors = allocated_study(app, ("phil",))
    allocation.dispensing(app, actors["phil"], DISPENSING, tmp_path / "list.html", "kits")
    page = (tmp_path / "list.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<tr>") == 73
    assert "MDMA 120 mg" in page and "for the pharmacist only" in page


def test_report_is_for_the_randomizer(app: App, study: dict[str, Actor]) -> None:
    with pytest.raises(PermissionDenied, match="randomizer"):
        allocation.report(app, study["cora"], PASSPHRASE)
    with pytest.raises(Refused, match="no allocation list yet"):
        allocation.report(app, study["rita"], PASSPHRASE)


def test_the_overview_counts_slots_and_kits_without_conditions(app: App) -> None:
    actors = make_study(app, ("cora", "phil", "rita"))
    assert allocation.overview(app, actors["phil"])["exists"] is False
    allocation.generate(app, actors["rita"], PASSPHRASE, EMERGENCY, confirm_unbalanced=True)
    enrol_by_hand(app, actors["cora"], 1)
    seen = allocation.overview(app, actors["phil"])
    slots = app.protocol.slots_per_stratum
    assert seen == {"exists": True, "kits_per_participant": 3, "strata": [
        {"stratum": "NTNA+", "used": 1, "free": slots - 1, "kits_free": 3 * (slots - 1)},
        {"stratum": "NTNA-", "used": 0, "free": slots, "kits_free": 3 * slots}]}
