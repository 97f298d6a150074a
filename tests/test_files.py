"""Files the app writes appear whole or not at all and never replace a file unasked."""

from __future__ import annotations

import errno

import pytest

from services.errors import Refused
from services.files import written_whole


def test_a_written_file_appears_only_when_complete(tmp_path) -> None:
    target = tmp_path / "list.csv"
    with written_whole(target) as tmp:
        tmp.write_text("a,b\n")
        assert not target.exists()
    assert target.read_text() == "a,b\n"
    assert [p.name for p in tmp_path.iterdir()] == ["list.csv"]


def test_an_existing_file_is_kept_unless_forced(tmp_path) -> None:
    target = tmp_path / "list.csv"
    target.write_text("mine\n")
    with pytest.raises(Refused, match="already exists"), written_whole(target) as tmp:
        tmp.write_text("theirs\n")
    assert target.read_text() == "mine\n"
    with written_whole(target, force=True) as tmp:
        tmp.write_text("theirs\n")
    assert target.read_text() == "theirs\n"


def test_a_full_disk_leaves_neither_target_nor_temporary_file(tmp_path) -> None:
    target = tmp_path / "list.csv"
    with pytest.raises(Refused, match="nothing was written"), written_whole(target) as tmp:
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_any_failure_removes_the_temporary_file(tmp_path) -> None:
    with pytest.raises(ValueError), written_whole(tmp_path / "x.csv") as tmp:
        tmp.write_text("half")
        raise ValueError("bug")
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_refused(tmp_path) -> None:
    with pytest.raises(Refused, match="no such folder"), \
            written_whole(tmp_path / "nope" / "x.csv") as tmp:
        tmp.write_text("x")
