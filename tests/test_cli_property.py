"""Every command with random arguments, the way a careless or hostile user types them:
the answer is always exit 0, 1 or 2, never a traceback; with --json stdout is exactly
one JSON document; and a refusal (exit not 0) leaves the database as it was.

Commands and their flags are discovered from the parser the way cli/runner.py builds
it, so a new command is explored without touching this test. The CLI runs in-process.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cli.runner import build_parser
from tests.cli_helpers import cli
from tests.conftest import PASSWORDS, REFERENCE
from tests.db_digest import digest
from tests.test_cli_databases import with_participant

Leaf = tuple[tuple[str, ...], list[argparse.Action]]


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> list[Leaf]:
    """(command words, the actions of that command) for every command the parser knows."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, [a for a in parser._actions if a.dest != "help"])]
    return [leaf for name, sub in subs[0].choices.items()
            for leaf in leaves(sub, (*path, name))]


COMMANDS = leaves(build_parser())

# Values that have broken commands before, and plain noise.
WORDS = st.sampled_from([
    "7", "P007", "sub-007", "0", "-1", "1" * 20, "9" * 400, "P" * 60, "", " ", "baseline",
    "dose1", "dose9", "NTNA+", "PBO", "PBO\u200b", "\u202eevil", "2026-03-02", "9999-12-31",
    "0001-01-01", "1899-12-31", "2199-12-31", "2026-02-30", "100000000", "-100000000",
    "100000000000", "nan", "inf", "A-B", "x=y", "=", "coordinator", "admin", "long", "bids",
    "done", "missed", "a;b", "'; DROP TABLE participants; --", "..", "/", "\x00",
])
NOISE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
FILES = st.sampled_from(["out.csv", "out.tsv", "out.xlsx", "out.ics", "out.html", "out.txt",
                         "bids", "missing/deep/out.csv", "existing.csv", "protocol.toml",
                         "garbage.bin", ""])


IDS = st.sampled_from(["7", "P7", "sub-007", "8", "0", "-3", "1" * 10, "1" * 20, "9" * 400,
                       "9" * 5000, "P" + "9" * 30, "\u0667"])  # the last: an Arabic-Indic 7
DATES = st.one_of(st.sampled_from(["2026-03-02", "9999-12-31", "0001-01-01", "1899-12-31",
                                   "2199-12-31", "2026-02-30", "20260302", "today"]),
                  st.dates().map(lambda d: d.isoformat()))
NUMBERS = st.one_of(st.integers(), st.sampled_from(["1e9", "0x10", "", "-0"]))
BY_DEST = {"id": IDS, "participant": IDS, "date": DATES, "registered_on": DATES,
           "due": NUMBERS.map(str), "days": NUMBERS.map(str),
           "expected_version": NUMBERS.map(str),
           "visit": st.sampled_from(["baseline", "dose1", "dose3", "DOSE1", "", "dose1\u200b"])}


BREAKERS = [
    ["participants", "add", "50", "--date", "9999-12-31"],
    ["visit", "log", "7", "baseline", "--date", "9999-12-31"],
    ["calendar", "x.ics", "--days", "100000000"],
    ["visits", "list", "--due", "100000000000"],
    ["participants", "add", "9" * 5000],
    ["participants", "add", "9" * 20],
    ["visits", "list", "--participant", "9" * 20],
    ["participants", "edit", "7", "--registered-on", "9999-12-31", "--reason", "x"],
]


def value(action: argparse.Action, folder: Path) -> st.SearchStrategy[str]:
    """Values for one argument: mostly of its kind (an ID, a date, a number), at their
    extremes, and sometimes anything at all."""
    if action.choices:
        return st.one_of(st.sampled_from([str(c) for c in action.choices]), WORDS)
    if action.dest in ("file", "protocol", "out"):
        return FILES.map(lambda name: str(folder / name) if name else "")
    anything = st.one_of(WORDS, NOISE, st.integers().map(str))
    if action.dest in BY_DEST:
        return st.one_of(BY_DEST[action.dest], BY_DEST[action.dest], anything)
    return anything


@st.composite
def command_lines(draw: st.DrawFn, folder: Path) -> list[str]:
    words, actions = draw(st.sampled_from(COMMANDS))
    args = list(words)
    for action in actions:
        if action.option_strings:
            if not draw(st.booleans()):
                continue
            args.append(action.option_strings[0])
            if action.nargs != 0:
                args.append(draw(value(action, folder)))
        elif draw(st.integers(0, 9)) > 0:  # now and then a positional is left out
            args.append(draw(value(action, folder)))
    if draw(st.integers(0, 19)) == 0:
        args.insert(draw(st.integers(0, len(args))), draw(WORDS))  # a stray word
    return args


def check(db: str, folder: Path, capsys, monkeypatch, args: list[str], user: str,  # type: ignore[no-untyped-def]
          as_json: bool) -> None:
    before = digest(db, except_attempts=True)
    flags = ["--json"] if as_json else []
    r = cli(capsys, monkeypatch, db, *flags, *args, user=user,
            password=PASSWORDS.get(user, "wrong password"))
    assert r.code in (0, 1, 2), (args, r.err)
    assert "Traceback" not in r.err, (args, r.err)
    if as_json:
        json.loads(r.out)  # exactly one document: json.loads refuses two
    if r.code != 0:
        assert digest(db, except_attempts=True) == before, args


def explore(db: str, folder: Path, capsys, monkeypatch, examples: int) -> None:  # type: ignore[no-untyped-def]
    (folder / "existing.csv").write_text("mine\n")
    (folder / "garbage.bin").write_bytes(bytes(range(256)))
    (folder / "protocol.toml").write_text(Path(REFERENCE).read_text()
                                          .replace("day = 7", "day = 1000000000"))

    def examples_of_the_brief(test):  # type: ignore[no-untyped-def]
        """What broke before, always tried first, then the random examples."""
        for args in BREAKERS:
            test = example(args=args, user="cora", as_json=True)(test)
        return test

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(args=command_lines(folder),
           user=st.sampled_from(["cora", "cora", "cora", "ivan", "stella", "admin",
                                 "mallory"]),
           as_json=st.booleans())
    @examples_of_the_brief
    def run(args: list[str], user: str, as_json: bool) -> None:
        check(db, folder, capsys, monkeypatch, args, user, as_json)

    run()


def test_every_command_answers_random_arguments(db_url: str, tmp_path: Path, capsys,  # type: ignore[no-untyped-def]
                                                monkeypatch, tmp_path_factory) -> None:
    db = with_participant(db_url, tmp_path_factory)
    folder = tmp_path / "files"
    folder.mkdir()
    monkeypatch.chdir(folder)  # relative file names land in the test's folder
    # Bounded: each example signs in (a deliberately slow password hash) and digests the
    # database; 120 examples take about half a minute on SQLite.
    explore(db, folder, capsys, monkeypatch, 120 if db.startswith("sqlite") else 30)


def test_commands_are_discovered() -> None:
    names = {" ".join(words) for words, _ in COMMANDS}
    assert {"participants add", "visit log", "export", "init", "demo"} <= names
    assert len(names) >= 25
