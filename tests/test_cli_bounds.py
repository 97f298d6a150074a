"""Dates, day counts and participant numbers out of range: refused on the command line
and by the services alike (the GUI calls the services), naming the flag, with nothing
written and never a traceback."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from services import calendar_export, participants, visits
from services.context import Actor, App
from services.errors import Refused
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS
from tests.db_digest import digest
from tests.test_cli_databases import with_participant
from trialcore.ids import ParticipantIdError, participant_number

CORA = {"user": "cora", "password": PASSWORDS["cora"]}
FAR = "9999-12-31"


@pytest.fixture
def study_db(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return with_participant(db_url, tmp_path_factory)


CASES = [
    (("participants", "add", "50", "--date", FAR), 1, "--date 9999-12-31 is outside"),
    (("participants", "add", "50", "--date", "1899-12-31"), 1, "1900-01-01 to 2199-12-31"),
    (("participants", "withdraw", "7", "--reason", "x", "--date", FAR), 1, "is outside"),
    (("participants", "edit", "7", "--registered-on", FAR, "--reason", "x"), 1, "is outside"),
    (("enrol", "7", "--date", FAR), 1, "--date 9999-12-31 is outside"),
    (("visit", "log", "7", "baseline", "--date", FAR), 1, "--date 9999-12-31 is outside"),
    (("visit", "book", "7", "baseline", FAR), 1, "date 9999-12-31 is outside"),
    (("calendar", "out.ics", "--days", "100000000"), 2, "between 0 and 36600"),
    (("calendar", "out.ics", "--days", "-1"), 2, "between 0 and 36600"),
    (("visits", "list", "--due", "100000000000"), 2, "between 0 and 36600"),
    (("participants", "add", "12345678901234567890"), 1, "numbers go up to 999,999,999"),
    (("participants", "add", "9" * 5000), 1, "numbers go up to 999,999,999"),
    (("visits", "list", "--participant", "1" * 20), 1, "numbers go up to 999,999,999"),
]


def test_out_of_range_arguments_are_refused(study_db: str, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                            tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    before = digest(study_db)
    for args, code, said in CASES:  # one study for all: building one per case is slow
        r = cli(capsys, monkeypatch, study_db, "--json", *args, **CORA)
        assert r.code == code and "Traceback" not in r.err, args
        doc = json.loads(r.out)
        assert said in doc["error"] and set(doc) == {"error", "details"}, args
        assert len(doc["error"]) < 300
    assert digest(study_db) == before
    assert not (tmp_path / "out.ics").exists()


def test_the_services_refuse_them_too(study_db: str) -> None:
    app = App(study_db)
    cora = Actor("cora", "coordinator")
    far = dt.date(9999, 12, 31)
    try:
        with pytest.raises(Refused, match="registration date 9999-12-31 is outside"):
            participants.add(app, cora, 50, registered_on=far)
        with pytest.raises(Refused, match="withdrawal date 9999-12-31 is outside"):
            participants.withdraw(app, cora, 7, "moved", on=far)
        with pytest.raises(Refused, match="is outside the dates"):
            visits.book(app, cora, 7, "baseline", far)
        with pytest.raises(Refused, match="is outside the dates"):
            visits.log(app, cora, 7, "baseline", date=far)
        with pytest.raises(Refused, match="--due 100000000000"):
            visits.list_visits(app, cora, due_days=100_000_000_000)
        with pytest.raises(Refused, match="--days 100000000"):
            calendar_export.export_calendar(app, cora, "x.ics", days=100_000_000)
        with pytest.raises(Refused, match="numbers go up to"):
            participants.add(app, cora, 10**19)
    finally:
        app.close()


@pytest.mark.parametrize("text", [10**9, "1" * 10, "P" + "9" * 4300, "0" * 50 + "1" * 10])
def test_participant_numbers_have_nine_digits_at_most(text: object) -> None:
    with pytest.raises(ParticipantIdError, match="numbers go up to 999,999,999"):
        participant_number(text, "P")


def test_the_largest_participant_number_and_leading_zeros_pass() -> None:
    assert participant_number("P" + "0" * 40 + "999999999", "P") == 999_999_999
    assert participant_number(999_999_999, "P") == 999_999_999


def _days_or_none(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if 0 <= value <= 36600 else None


@pytest.mark.parametrize("command", [("visits", "list", "--due"),
                                     ("calendar", "out.ics", "--days")])
def test_any_bad_day_count_is_a_usage_error_naming_its_flag(command: tuple[str, ...],
                                                            study_db: str, capsys, monkeypatch,  # type: ignore[no-untyped-def]
                                                            tmp_path) -> None:
    """Whatever is typed after --due or --days that is no whole number of days from 0 to
    36600 (words, decimals, signs, huge numbers, control characters): exit 2 and a one-line
    message that names the flag, before any sign-in; nothing is written."""
    monkeypatch.chdir(tmp_path)
    before = digest(study_db)
    flag = command[-1]

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(typed=st.one_of(st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
                           st.integers().map(str),
                           st.sampled_from(["1e3", "0x10", "3.5", "", " ", "-1", "36601"])))
    def typed_after_the_flag(typed: str) -> None:
        assume(_days_or_none(typed) is None)
        r = cli(capsys, monkeypatch, study_db, "--json", *command, typed, **CORA)
        assert r.code == 2 and "Traceback" not in r.err, typed
        error = json.loads(r.out)["error"]
        assert f"argument {flag}:" in error and "\n" not in error, (typed, error)

    typed_after_the_flag()
    assert digest(study_db) == before
    assert not (tmp_path / "out.ics").exists()
