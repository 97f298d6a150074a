"""Protocol values a study cannot live with are refused at init, each naming its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialcore import limits as L
from trialcore.protocol import ProtocolError, parse_new_protocol, parse_protocol

REFERENCE = Path(__file__).resolve().parents[2] / "resources" / "reference_protocol.toml"
TEXT = REFERENCE.read_text()


def with_(old: str, new: str, text: str = TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


PARALLEL = with_("slots_per_stratum = 12", "slots_per_stratum = 12\nratio = { PBO = 1, "
                 "MDMA80 = 1, MDMA120 = 1 }", with_('design = "crossover"',
                                                    'design = "parallel"'))

# (protocol text, key named, words in the reason): every case of the brief, and more.
BAD = [
    (with_("day = 7\nwindow = [-2, 3]", "day = 1000000000\nwindow = [-2, 3]"),
     "visits[1].day", "outside 0..3660"),
    (with_("window = [-2, 3]", "window = [0, 100000000]"), "visits[1].window", "wider than"),
    (with_("window = [-2, 3]", "window = [-400, 3]"), "visits[1].window", "wider than"),
    (with_("washout_days = 7", "washout_days = 10000000000"), "study.washout_days",
     "outside 0..365"),
    (with_("slots_per_stratum = 12", "slots_per_stratum = 100000000"),
     "allocation.slots_per_stratum", "outside 1..10000"),
    (with_("block_multiples = [1, 2]", "block_multiples = [1, 1000000]"),
     "allocation.block_multiples[1]", "outside 1..100"),
    (with_("PBO = 1,", "PBO = 100000000,", PARALLEL), "allocation.ratio.PBO",
     "outside 1..100"),
    (with_("day = 0\nwindow = [0, 14]", "day = -400\nwindow = [0, 14]"), "visits[0].day",
     "outside 0..3660"),
    (with_("day = 0\nwindow = [0, 14]", "day = 0\nwindow = [-3, 14]"), "visits[0].window",
     "before registration"),
    (with_('code = "PBO"', 'code = "' + "P" * 33 + '"').replace(
        'reference_condition = "PBO"', 'reference_condition = "' + "P" * 33 + '"'),
     "conditions[0].code", "at most 32"),
    (with_('title = "MDMA', 'title = "' + "t" * 400), "study.title", "at most 200"),
    (with_('id_prefix = "P"', 'id_prefix = "' + "P" * 40 + '"'), "participants.id_prefix",
     "at most 22"),
    (with_('id = "dose2"', 'id = ""').replace('anchor = "dose2"', 'anchor = ""'),
     "visits[2].id", "must not be empty"),
    (with_('code = "PBO"', 'code = "PBO\\u200b"'), "conditions[0].code", "U+200B"),
    (with_('label = "Placebo"', 'label = "Plac\\u202eebo"'), "conditions[0].label",
     "U+202E"),
    (with_('code = "MDMA80"', 'code = "MDMA8\\u041e"'), "conditions[1].code",
     "plain ASCII"),  # a Cyrillic O that looks like 0
    (with_('names = ["NTNA+", "NTNA-"]', 'names = ["NTNA+", "NTNA-", "N\\tX"]'),
     "strata.names[2]", "plain ASCII"),
    (with_('unit = "beta"', 'unit = "' + "u" * 40 + '"'), "measures[0].unit", "at most 32"),
    (with_('label = "Baseline fMRI"', 'label = "   "'), "visits[0].label", "empty"),
    (with_('"NTNA+" = 8', '"NTNA+" = 100000000'), "strata.target.NTNA+", "outside 1..100000"),
]


@pytest.mark.parametrize(("text", "key", "said"), BAD, ids=[b[1] for b in BAD])
def test_values_beyond_the_limits_are_refused_naming_the_key(text: str, key: str,
                                                             said: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_new_protocol(text, "p.toml")
    found = dict(info.value.problems)
    assert key in found, found
    assert said in found[key]


def test_values_at_the_limits_are_accepted() -> None:
    text = with_('id_prefix = "P"', 'id_prefix = "' + "P" * L.ID_PREFIX_LENGTH + '"')
    text = with_("id_digits = 3", f"id_digits = {L.MAX_ID_DIGITS}", text)
    text = with_('title = "MDMA and the non-conscious threat circuit (reference crossover)"',
                 'title = "' + "t" * L.PROTOCOL_TITLE_LENGTH + '"', text)
    text = text.replace('"PBO"', '"' + "P" * L.CONDITION_CODE_LENGTH + '"')
    text = with_("washout_days = 7", f"washout_days = {L.MAX_WASHOUT_DAYS}", text)
    text = with_("day = 7\nwindow = [0, 7]", f"day = {L.MAX_VISIT_DAY}\n"
                 f"window = [-{L.MAX_WINDOW_DAYS}, {L.MAX_WINDOW_DAYS}]", text)
    text = with_("slots_per_stratum = 12", f"slots_per_stratum = {L.MAX_SLOTS_PER_STRATUM}",
                 text)
    protocol = parse_new_protocol(text, "p.toml")
    assert protocol.conditions[0].code == "P" * L.CONDITION_CODE_LENGTH
    assert len(protocol.id_prefix) + protocol.id_digits < L.LABEL_LENGTH


def test_a_stored_protocol_is_read_as_it_was_accepted() -> None:
    """A study created before a limit existed still opens."""
    text = with_("washout_days = 7", "washout_days = 400")
    assert parse_protocol(text, "stored protocol").washout_days == 400
    with pytest.raises(ProtocolError):
        parse_new_protocol(text, "p.toml")


def test_syntax_and_limit_problems_are_reported_together() -> None:
    text = with_("washout_days = 7", "washout_days = 400").replace('design = "crossover"',
                                                                    'design = "zigzag"')
    with pytest.raises(ProtocolError) as info:
        parse_new_protocol(text, "p.toml")
    assert {"study.design", "study.washout_days"} <= set(dict(info.value.problems))
