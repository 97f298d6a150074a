"""Real files are messy: every way a table gets saved reads the same, and every broken file
gets a clear message naming the row or column (made here, never stored in the repo)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from importers.problems import FileProblem
from importers.reading import column_letter, read_table, to_numbers

TABLE = [["participant", "visit", "fd_mean"], ["P001", "baseline", "0.12"],
         ["7", "baseline", "NA"]]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _text(rows: list[list[str]], sep: str = ",", end: str = "\n") -> str:
    return end.join(sep.join(r) for r in rows) + end


@pytest.mark.parametrize("name, data", [
    ("plain.csv", _text(TABLE).encode()),
    ("bom.csv", b"\xef\xbb\xbf" + _text(TABLE).encode()),
    ("crlf.csv", _text(TABLE, end="\r\n").encode()),
    ("semicolons.csv", _text(TABLE, ";").encode()),
    ("tabs.tsv", _text(TABLE, "\t").encode()),
    ("tabs.txt", _text(TABLE, "\t").encode("utf-16")),
    ("trailing_blank_rows.csv", (_text(TABLE) + ",,\n\n  \n").encode()),
    ("old_mac.csv", _text(TABLE, end="\r").encode()),
])
def test_every_way_of_saving_reads_the_same(tmp_path: Path, name: str, data: bytes) -> None:
    table = read_table(_write(tmp_path, name, data))
    assert list(table.frame.columns) == TABLE[0]
    assert table.frame["participant"].tolist() == ["P001", "7"]
    assert table.frame["fd_mean"].isna().tolist() == [False, True]
    assert table.rows.tolist() == [2, 3]


def test_latin1_and_windows_text_are_read_and_said(tmp_path: Path) -> None:
    path = _write(tmp_path, "latin.csv", "participant,note\nP001,Müller café\n".encode("latin-1"))
    table = read_table(path)
    assert table.frame["note"].tolist() == ["Müller café"]
    assert any("Windows-1252" in n for n in table.notes)


def test_quoted_newlines_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    text = 'participant,comment,fd_mean\nP001,"two\nlines",0.1\n\nP002,"a, b",0.2\n'
    table = read_table(_write(tmp_path, "quoted.csv", text.encode()))
    assert table.frame["comment"].tolist() == ["two\nlines", "a, b"]
    assert table.rows.tolist() == [2, 4]


def test_semicolon_files_use_the_decimal_comma(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, "eu.csv", b"participant;fd_mean\nP1;1,5\nP2; 2.25 \n"))
    values, bad = table.numbers(table.frame["fd_mean"])
    assert values.tolist() == [1.5, 2.25] and not bad.any()


def test_numbers_written_as_text() -> None:
    import pandas as pd

    values, bad = to_numbers(pd.Series([" 3 ", "1e-3", "\u22122", "n/a", " NA ", "abc", None,
                                        "inf"], dtype=object))
    assert values[:3].tolist() == [3.0, 0.001, -2.0]
    assert bad.tolist() == [False] * 5 + [True, False, True]


def test_workbooks_read_numbers_dates_and_blank_rows(tmp_path: Path) -> None:
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["participant", "visit", "fd_mean", "scanned"], [7, "baseline", 0.25,
                                                                  dt.datetime(2026, 1, 5)],
                [None, None, None, None], ["P008", "baseline", "n/a", None]):
        sheet.append(row)
    book.create_sheet("notes")
    book.save(tmp_path / "scans.xlsx")
    table = read_table(tmp_path / "scans.xlsx")
    assert table.format == "xlsx"
    assert table.frame.values.tolist()[0] == ["7", "baseline", "0.25", "2026-01-05"]
    assert table.rows.tolist() == [2, 4]
    assert table.frame["fd_mean"].isna().tolist() == [False, True]
    assert any("first sheet" in n for n in table.notes)


@pytest.mark.parametrize("name, data, expected, row, column", [
    ("junk.csv", bytes(range(256)) * 40, "binary data", None, None),
    ("controls.csv", bytes(range(1, 32)) * 300, "control characters", None, None),
    ("empty.csv", b"", "the file is empty", None, None),
    ("blank.csv", b"\n\r\n   \n", "the file is empty", None, None),
    ("header_only.csv", b"participant,visit,fd_mean\r\n", "no data rows", 1, None),
    ("ragged_long.csv", b"participant,fd_mean\nP1,0.1\nP2,0.2,0.3\n", "row 3 has 3 values",
     3, "C"),
    ("ragged_short.csv", b"participant,visit,fd_mean\nP1,baseline,0.1\nP2,baseline\n",
     "row 3 has 2 values", 3, None),
    ("ragged_quoted.csv", b'participant,note\nP1,"a\nb"\nP2,"x",3\n', "row 3 has 3 values",
     3, "C"),
    ("bare_return.csv", b'participant,note\nP1,"a"\nP2,x\ry\n', "row 3 has a line break",
     3, None),
    ("duplicated.csv", b"participant,fd_mean,visit,fd_mean\nP1,1,baseline,2\n",
     "columns B and D are both named 'fd_mean'", 1, "fd_mean"),
    ("one_line.csv", b"fd_mean," * 1_300_000, "without a line break", None, None),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel .xls", None, None),
    ("broken.xlsx", b"PK\x03\x04" + bytes(100), "cannot be read as an Excel workbook", None,
     None),
])
def test_broken_files_get_a_clear_message(tmp_path: Path, name: str, data: bytes,
                                          expected: str, row: int | None,
                                          column: str | None) -> None:
    with pytest.raises(FileProblem) as caught:
        read_table(_write(tmp_path, name, data))
    problem = caught.value.problem
    assert expected in problem.message
    assert (problem.row, problem.column) == (row, column)


def test_ten_megabytes_of_one_line_is_refused_quickly(tmp_path: Path) -> None:
    path = _write(tmp_path, "line.csv", b"x" * 10_000_000)
    with pytest.raises(FileProblem, match="10,000,000 characters long"):
        read_table(path)


def test_unnamed_and_empty_columns(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path, "index.csv", b",participant,fd_mean,\n0,P1,0.1,\n"))
    assert list(table.frame.columns) == ["column A", "participant", "fd_mean"]


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_repeated_answers_are_parsed_once_each_and_alike() -> None:
    import numpy as np
    import pandas as pd

    cells = pd.Series(["1", "2", " 3", "1,5", "n/a", None, "x", "−2"] * 50, dtype=object)
    once = to_numbers(cells.iloc[:8], decimal_comma=True)  # too few repeats: parsed directly
    values, bad = to_numbers(cells, decimal_comma=True)  # parsed per distinct text
    assert once[0][:4].tolist() == [1.0, 2.0, 3.0, 1.5] and once[0][7] == -2.0
    assert once[1].tolist() == [False] * 6 + [True, False]
    assert np.array_equal(values.reshape(50, 8), np.tile(once[0], (50, 1)), equal_nan=True)
    assert (bad.reshape(50, 8) == once[1]).all()
