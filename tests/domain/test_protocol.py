"""The protocol parser: the reference file loads; every kind of mistake names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialcore.protocol import ProtocolError, load_protocol, parse_protocol, require_sdv

REFERENCE = Path(__file__).resolve().parents[2] / "resources" / "reference_protocol.toml"


def reference_text() -> str:
    return REFERENCE.read_text()


def problems(text: str) -> dict[str, str]:
    with pytest.raises(ProtocolError) as info:
        parse_protocol(text, source="p.toml")
    return dict(info.value.problems)


def test_reference_protocol_describes_the_study() -> None:
    p = load_protocol(REFERENCE)
    assert p.design == "crossover"
    assert [c.code for c in p.conditions] == ["PBO", "MDMA80", "MDMA120"]
    assert p.strata == ("NTNA+", "NTNA-")
    assert [v.id for v in p.dosing_visits] == ["dose1", "dose2", "dose3"]
    assert p.stratum_rule is not None and p.stratum_rule.assign(0.7) == "NTNA+"
    assert p.stratum_rule.assign(0.2) == "NTNA-"
    lik = p.measure("likability_angry")
    assert lik is not None and lik.items[0] == "lik_angry_1" and lik.score == "mean"
    assert p.to_dict()["measures"][0]["items"] == []


def test_mistyped_key_is_named() -> None:
    found = problems(reference_text().replace("washout_days", "washout_dayz"))
    assert "study.washout_dayz" in found and "unknown key" in found["study.washout_dayz"]


def test_missing_key_is_named() -> None:
    found = problems(reference_text().replace('design = "crossover"\n', ""))
    assert found["study.design"] == "missing key"


def test_duplicate_visit_id() -> None:
    text = reference_text().replace('id = "dose3"', 'id = "dose2"')
    found = problems(text)
    assert "duplicate visit id 'dose2'" in found["visits[3].id"]


def test_window_end_before_start() -> None:
    found = problems(reference_text().replace("window = [-2, 3]", "window = [3, -2]"))
    assert "precedes its start" in found["visits[1].window"]


def test_measure_min_above_max() -> None:
    text = reference_text().replace("min = 0\nmax = 1000", "min = 1000\nmax = 0")
    found = problems(text)
    assert any("greater than max" in m for k, m in found.items() if k.startswith("measures[4]"))


def test_crossover_needs_a_dosing_visit_per_condition() -> None:
    text = reference_text().replace('id = "dose3"\nlabel = "Dosing 3"\nanchor = "dose2"\nday = 7\n'
                                    'window = [0, 7]\ndosing = true',
                                    'id = "dose3"\nlabel = "Dosing 3"\nanchor = "dose2"\nday = 7\n'
                                    'window = [0, 7]')
    assert "one dosing visit per condition" in problems(text)["visits"]


def test_syntax_error_and_unreadable_file(tmp_path: Path) -> None:
    assert "(syntax)" in problems("[study\n")
    with pytest.raises(ProtocolError) as info:
        load_protocol(tmp_path / "missing.toml")
    assert "cannot read" in str(info.value)


def test_require_sdv_is_off_unless_the_protocol_says_true() -> None:
    assert require_sdv(load_protocol(REFERENCE)) is False
    with_sdv = reference_text().replace("[study]\n", "[study]\nrequire_sdv = true\n", 1)
    assert require_sdv(parse_protocol(with_sdv)) is True
    found = problems(reference_text().replace("[study]\n", "[study]\nrequire_sdv = \"yes\"\n", 1))
    assert "study.require_sdv" in found


def test_double_entry_is_a_per_measure_flag_that_must_be_true_or_false() -> None:
    flagged = {m.name for m in load_protocol(REFERENCE).measures if m.double_entry}
    assert flagged == {"likability_angry"}
    found = problems(reference_text().replace("double_entry = true", "double_entry = 1", 1))
    assert found["measures[5].double_entry"].startswith("must be true")


def test_visits_measures_scales_and_items_have_the_labels_people_use() -> None:
    p = load_protocol(REFERENCE)
    assert p.visit_label("dose1") == "Dosing 1"
    assert p.name_label("amygdala_threat") == "Amygdala threat reactivity (non-conscious faces)"
    assert p.name_label("likability_angry") == "Likability of angry faces"  # a scale's score
    assert p.name_label("lik_angry_1") == "Likability of angry faces, item 1"
    assert p.name_label("anx_4") == "Subjective effects: anxiety, item 4"
    assert (p.visit_label("visit9"), p.name_label("nothing")) == ("visit9", "nothing")
