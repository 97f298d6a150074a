"""The bedside kit check through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from services import codes as code_service
from services.context import App
from services.errors import PermissionDenied, Refused
from tests.allocation_helpers import allocated_study, audit_count, enrol_by_hand, register
from tests.conftest import make_study
from trialcore import codes


def _mistype(code: str) -> str:
    """Change one payload character: the check character catches every such error."""
    plain = codes.normalize(code)
    swap = "3" if plain[0] != "3" else "4"
    return swap + plain[1:]


def test_ok_mistyped_and_wrong_kit(app: App) -> None:
    actors = allocated_study(app, ("cora", "ivan", "phil"))
    cora = actors["cora"]
    mine = enrol_by_hand(app, cora, 1).codes
    other = enrol_by_hand(app, cora, 2, "NTNA-").codes
    before = audit_count(app)

    def check(visit: str, typed: str) -> dict[str, str]:
        return code_service.check(app, cora, "P001", visit, typed)

    assert check("dose1", mine["dose1"]) == {
        "result": "ok", "message": "ok: this is the kit for P001 at Dosing 1"}
    assert check("dose2", " " + mine["dose2"].lower().replace("-", "") + " ")["result"] == "ok"
    assert check("dose1", _mistype(mine["dose1"]))["result"] == "mistyped"
    assert check("dose2", mine["dose1"])["result"] == "wrong kit"
    assert check("dose1", other["dose1"])["result"] == "wrong kit"
    unused = codes.new_code(set(mine.values()) | set(other.values()))
    assert check("dose1", unused)["result"] == "wrong kit"
    assert code_service.check(app, actors["ivan"], 1, "dose1", mine["dose1"])["result"] == "ok"
    with pytest.raises(PermissionDenied):
        code_service.check(app, actors["phil"], 1, "dose1", mine["dose1"])
    assert audit_count(app) == before


def test_the_session_level_check_for_visit_logging(app: App) -> None:
    actors = allocated_study(app)
    given = enrol_by_hand(app, actors["cora"], 1).codes
    with app.read() as s:
        from services.participants import load

        pid = load(s, app, 1).id
        assert code_service.code_result(s, pid, "dose3", given["dose3"]) == "ok"
        assert code_service.code_result(s, pid, "dose3", given["dose2"]) == "wrong kit"
        assert code_service.code_result(s, pid, "dose3", _mistype(given["dose3"])) == "mistyped"
        with pytest.raises(Refused, match="8 characters"):
            code_service.code_result(s, pid, "dose3", given["dose3"][:-1])


@pytest.mark.parametrize("visit, typed, message", [
    ("dose1", "7KQ3-XM9", "a dose code has 8 characters (XXXX-XXXX) but 7 were entered"),
    ("dose1", "7KQ3-XM9AB", "but 9 were entered"),
    ("dose1", "7KQ3-XMOA", "character 7 ('O') cannot be part of a dose code"),
    ("dose1", "7KQ3-XM?A", "character 7 ('?') cannot be part of a dose code"),
    ("dose1", "", "no dose code was entered"),
    ("dose9", "7KQ3-XM9A", "unknown visit 'dose9'; visits are baseline, dose1"),
    ("baseline", "7KQ3-XM9A", "baseline is not a dosing visit"),
])
def test_malformed_codes_and_visits_are_refused(app: App, visit: str, typed: str,
                                                message: str) -> None:
    cora = make_study(app)["cora"]
    register(app, cora, 1)
    with pytest.raises(Refused) as refused:
        code_service.check(app, cora, 1, visit, typed)
    assert message in refused.value.message


def test_no_codes_before_enrolment(app: App) -> None:
    cora = make_study(app)["cora"]
    register(app, cora, 1)
    with pytest.raises(Refused, match="P001 has no dose code for dose1: not enrolled yet"):
        code_service.check(app, cora, 1, "dose1", codes.new_code(set()))
