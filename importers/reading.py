"""Reading CSV, TSV and XLSX files the way people really save them.

Every cell comes back as text (numbers are parsed later, where the measure is
known), with the spreadsheet row number a user would look for, so that every
later message can say "row 17, column fd_mean". Anything that makes the file
unreadable as one table raises FileProblem naming the row or column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from importers.problems import FileProblem, Problem

NA_TOKENS = ["", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "None", "none",
             "#N/A", "."]
_NA_FOLDED = {t.lower() for t in NA_TOKENS}
MAX_HEADER_CHARS = 1_000_000
DELIMITERS = {"\t": "tab", ";": "semicolon", ",": "comma"}
_QUOTED = re.compile(r'"[^"]*"')
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def column_letter(index: int) -> str:
    """Spreadsheet letters for a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Table:
    """A file's data as text: `frame` has one column per header name, NaN where missing."""

    name: str
    frame: pd.DataFrame
    rows: np.ndarray
    format: str
    delimiter: str | None = None
    decimal_comma: bool = False
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    header_rows: list[list[str]] = field(default_factory=list)

    def promote_header_rows(self, count: int) -> Table:
        """Move the first `count` data rows into the header (Qualtrics' extra header rows)."""
        head = self.frame.iloc[:count].fillna("").astype(str)
        return replace(self, frame=self.frame.iloc[count:], rows=self.rows[count:],
                       header_rows=[list(r) for r in head.itertuples(index=False)])

    def numbers(self, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Floats for cells of this table; `bad` marks text that is not a number."""
        return to_numbers(values, decimal_comma=self.decimal_comma)


def to_numbers(values: pd.Series, *, decimal_comma: bool = False) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """Parse numbers written as text; returns (floats with NaN for missing, bad mask).

    Answers repeat (a million cells hold a handful of distinct texts), so each
    distinct text is parsed once when that saves work.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) * 4 < len(values):
        parsed, bad = _parse(pd.Series(np.asarray(uniques, dtype=object)), decimal_comma)
        missing = np.append(np.isnan(parsed) & ~bad, True)
        return np.append(parsed, np.nan)[codes], ~missing[codes] & np.append(bad, False)[codes]
    return _parse(values, decimal_comma)


def _parse(values: pd.Series, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """The whole column in C first; only the cells that fail get a second look (spaces,
    a decimal comma, a typographic minus, NA spellings)."""
    missing = values.isna().to_numpy(copy=True)
    parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan,
                                                             copy=True)
    retry = np.flatnonzero(~missing & ~np.isfinite(parsed))
    if retry.size:
        text = values.iloc[retry].astype(str).str.strip()
        now_missing = text.str.lower().isin(_NA_FOLDED).to_numpy()
        fixed = text.str.replace("\u2212", "-", regex=False)
        if decimal_comma:
            fixed = fixed.str.replace(",", ".", regex=False)
        again = pd.to_numeric(fixed, errors="coerce").to_numpy(dtype=float, na_value=np.nan,
                                                               copy=True)
        again[now_missing] = np.nan
        parsed[retry] = again
        missing[retry[now_missing]] = True
    bad = ~missing & ~np.isfinite(parsed)
    parsed[bad] = np.nan
    return parsed, bad


def fail(message: str, row: int | None = None, column: str | None = None) -> FileProblem:
    return FileProblem(Problem(row, column, message))


def read_table(path: str | Path, *, sheet: str | None = None,
               decimal: str | None = None, keep: Collection[str] = ()) -> Table:
    """Read a CSV/TSV/XLSX file into a Table, or raise FileProblem saying why not.

    `decimal` is the user's choice of decimal mark ("," or "."); None lets the
    delimiter decide (semicolon-separated files use decimal commas). `keep` are texts
    read as they are rather than as empty (the protocol's missing-data codes, "NA")."""
    if decimal not in (None, ",", "."):
        raise fail(f"the decimal mark must be ',' or '.', not {decimal!r}")
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise fail("the file is empty")
    if raw.startswith(b"PK\x03\x04"):
        table = _read_workbook(path, raw, sheet, frozenset(keep))
    elif raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise fail("this is an old Excel .xls workbook; save it as .xlsx or CSV")
    else:
        table = _read_text(path.name, raw, path.suffix.lower(), frozenset(keep))
    if decimal is not None:
        table = replace(table, decimal_comma=decimal == ",",
                        notes=[n for n in table.notes if "decimal point" not in n])
    return table


# -- text files ------------------------------------------------------------------------

def _utf16_without_bom(raw: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when every other byte of the start is NUL (ASCII text
    written as UTF-16 by a tool that left out the byte-order mark), else None."""
    head = raw[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _decode_utf16(raw: bytes, codec: str, label: str) -> tuple[str, str, list[str]]:
    body = raw[2:] if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else raw
    notes = []
    if len(body) % 2:
        if body[-1:] not in (b"\n", b"\r", b"\x00"):
            raise fail(f"the file is {label} but has an odd number of bytes: it was cut "
                       "short in the middle of a character; export it again")
        body = body[:-1]
        notes.append(f"read as {label}; a stray last byte was left out")
    try:
        return body.decode(codec), label, notes
    except UnicodeDecodeError as exc:
        raise fail(f"the file looks like {label} but byte {exc.start + 1} is not valid "
                   f"{label}; export it again as UTF-8") from exc


def _decode(raw: bytes) -> tuple[str, str, list[str]]:
    """Text of the file, the encoding's name, and notes about a guess; FileProblem when
    a byte-order mark promises an encoding the bytes do not keep."""
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM", []
        except UnicodeDecodeError as exc:
            raise fail(f"the file starts with a UTF-8 byte-order mark but byte "
                       f"{exc.start + 4} is not UTF-8 (it was saved in another encoding "
                       "after the mark); save it again as UTF-8") from exc
    if raw.startswith(b"\xff\xfe"):
        return _decode_utf16(raw, "utf-16-le", "UTF-16")
    if raw.startswith(b"\xfe\xff"):
        return _decode_utf16(raw, "utf-16-be", "UTF-16")
    bare = _utf16_without_bom(raw)
    if bare is not None:
        text, _, notes = _decode_utf16(raw, bare, "UTF-16")
        return text, f"UTF-16 ({bare[-2:].upper()}, no BOM)", [
            "read as UTF-16 without a byte-order mark", *notes]
    if raw.startswith((b"\xef\xbb", b"\xbb\xbf")) and not raw.startswith(b"\xef\xbb\xbf"):
        raise fail("the file starts with a damaged UTF-8 byte-order mark (part of the bytes "
                   "EF BB BF); save it again as UTF-8")
    try:
        return raw.decode("utf-8"), "UTF-8", []
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "Windows-1252", ["read as Windows-1252 (not UTF-8)"]
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "Latin-1", ["read as Latin-1 (not UTF-8)"]


def _check_text(text: str) -> None:
    nul = text.find("\x00")
    if nul >= 0:
        raise fail(f"this is not a text table: it holds binary data (a NUL byte at "
                   f"character {nul + 1}); export the table as CSV, TSV or XLSX")
    sample = text[:65536]
    controls = len(_CONTROL.findall(sample))
    if controls > max(8, len(sample) // 100):
        raise fail("this is not a text table: it is full of control characters; "
                   "export the table as CSV, TSV or XLSX")


def _sniff(header: str, suffix: str) -> str:
    """The delimiter of the header line, counted outside quotes; ties go to the suffix."""
    bare = _QUOTED.sub("", header)
    counts = {d: bare.count(d) for d in DELIMITERS}
    preferred = "\t" if suffix in (".tsv", ".tab", ".txt") else ","
    best = max(counts.values())
    if best == 0:
        return preferred
    tied = [d for d, n in counts.items() if n == best]
    return preferred if preferred in tied else tied[0]


def _field_counts(text: str, delimiter: str) -> np.ndarray:
    """Fields per record (0 for a blank record), in record order."""
    if '"' in text:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"')
        try:
            return np.fromiter((0 if not r or (len(r) == 1 and not r[0].strip()) else len(r)
                                for r in reader), dtype=np.int64)
        except csv.Error as exc:  # a bare carriage return inside a value not in quotes
            row = reader.line_num
            raise fail(f"row {row} has a line break (carriage return) inside a value that "
                       "is not in quotes, so its rows cannot be told apart; export the "
                       "table again, or quote that value", row=row) from exc
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    breaks = np.flatnonzero(data == 10)
    ends = breaks if data[-1] == 10 else np.append(breaks, data.size)
    starts = np.concatenate(([0], ends[:-1] + 1))
    seps = np.flatnonzero(data == ord(delimiter))
    counts = np.bincount(np.searchsorted(ends, seps), minlength=ends.size)[:ends.size] + 1
    length = ends - starts
    empty = (length == 0) | ((length == 1) & (data[np.maximum(ends - 1, 0)] == 13))
    counts[empty] = 0
    if (counts == 1).any():  # lines without a delimiter: blank if only spaces
        spaces = np.flatnonzero((data == 32) | (data == 9) | (data == 13))
        per_line = np.bincount(np.searchsorted(ends, spaces), minlength=ends.size)[:ends.size]
        counts[(counts == 1) & (per_line == length)] = 0
    return counts


def _read_text(name: str, raw: bytes, suffix: str, keep: frozenset[str]) -> Table:
    text, encoding, notes = _decode(raw)
    for mark in ("\ufeff", "\u00ef\u00bb\u00bf"):  # a second BOM, or one read as Latin-1
        if text.startswith(mark):
            text = text[len(mark):].lstrip("\ufeff")
            notes.append("a stray byte-order mark before the header was left out")
    _check_text(text)
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
    body = text.lstrip("\r\n")
    first_break = body.find("\n")
    header_len = len(body) if first_break < 0 else first_break
    if header_len > MAX_HEADER_CHARS:
        raise fail(f"the first row is {header_len:,} characters long without a line break; "
                   "this is not a table of rows")
    delimiter = _sniff(body[:header_len], suffix)
    counts = _field_counts(text, delimiter)
    records = np.flatnonzero(counts > 0)
    if records.size == 0:
        raise fail("the file is empty")
    width = int(counts[records[0]])
    ragged = records[counts[records] != width]
    if ragged.size:
        r = int(ragged[0])
        n = int(counts[r])
        raise fail(f"row {r + 1} has {n} value{'s' * (n != 1)} but the header row has "
                   f"{width} columns ({DELIMITERS[delimiter]}-separated)", row=r + 1,
                   column=column_letter(min(n, width)) if n > width else None)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=object,
                            keep_default_na=False,
                            na_values=[t for t in NA_TOKENS if t not in keep], quotechar='"',
                            skip_blank_lines=False, skipinitialspace=True, engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        raise fail(f"cannot be read as a {DELIMITERS[delimiter]}-separated table: "
                   f"{exc}") from exc
    if delimiter == ";":
        notes.append("semicolon-separated: a comma in a number is its decimal point")
    kind = "tsv" if delimiter == "\t" else "csv"
    return _finish(name, frame, kind, delimiter=delimiter, decimal_comma=delimiter == ";",
                   encoding=encoding, notes=notes)


# -- workbooks -------------------------------------------------------------------------

def _cell_text(value: object, keep: frozenset[str] = frozenset()) -> object:
    if value is None:
        return np.nan
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return np.nan if text in NA_TOKENS and text not in keep else text


def _formula_cells(raw: bytes) -> bool:
    """Whether any worksheet of the workbook holds a formula (an <f> element)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        return any(b"<f" in z.read(n) for n in z.namelist()
                   if n.startswith("xl/worksheets/") and n.endswith(".xml"))


def _uncalculated(raw: bytes, title: str, cells: list[list[object]]) -> list[str]:
    """Cells of sheet `title` holding a formula whose value was never stored ("Sheet1!C4"):
    openpyxl gives None for them, which would read as an empty cell."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=False)
    try:
        out = []
        for r, row in enumerate(book[title].iter_rows()):
            for c, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f" and \
                        (r >= len(cells) or c >= len(cells[r]) or cells[r][c] is None):
                    out.append(f"{title}!{cell.coordinate}")
        return out
    finally:
        book.close()


def _read_workbook(path: Path, raw: bytes, sheet: str | None, keep: frozenset[str]) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        formulas = _formula_cells(raw)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise fail(f"cannot be read as an Excel workbook: {exc}") from exc
    notes = []
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise fail(f"the workbook has no sheet {sheet!r}; it has "
                       f"{', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet else book.worksheets[0]
        if len(book.sheetnames) > 1 and sheet is None:
            notes.append(f"read the first sheet, {ws.title!r}; the others are ignored")
        values = [list(row) for row in ws.iter_rows(values_only=True)]
        title = ws.title
    finally:
        book.close()
    if formulas:
        missing = _uncalculated(raw, title, values)
        if missing:
            shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more"
                                               if len(missing) > 10 else "")
            raise fail(f"cell {shown} holds a formula whose result was never saved (the "
                       "workbook was written by a program, not calculated): open it in "
                       "Excel or LibreOffice, save it, and import again")
    cells = [[_cell_text(v, keep) for v in row] for row in values]
    if not cells:
        raise fail("the workbook's sheet is empty")
    width = max(len(r) for r in cells)
    frame = pd.DataFrame([r + [np.nan] * (width - len(r)) for r in cells], dtype=object)
    return _finish(path.name, frame, "xlsx", notes=notes)


# -- shared ----------------------------------------------------------------------------

def _finish(name: str, frame: pd.DataFrame, kind: str, **extra: object) -> Table:
    """Header, row numbers, blank rows and columns, duplicated names."""
    filled = frame.iloc[:, 0].notna().to_numpy(copy=True)
    if frame.shape[1] > 1 and not filled.all():  # only rows with an empty first cell
        gaps = np.flatnonzero(~filled)
        filled[gaps] = frame.iloc[gaps, 1:].notna().to_numpy().any(axis=1)
    nonblank = np.flatnonzero(filled)
    if nonblank.size == 0:
        raise fail("the file is empty")
    head = int(nonblank[0])
    names = ["" if pd.isna(v) else str(v).strip() for v in frame.iloc[head]]
    data = frame.iloc[head + 1:]
    keep_rows = filled[head + 1:]
    data = data[keep_rows]
    rows = (np.flatnonzero(keep_rows) + head + 2).astype(np.int64)
    keep_cols, columns = [], []
    for i, col in enumerate(names):
        if not col and data.iloc[:, i].isna().all():
            continue
        keep_cols.append(i)
        columns.append(col or f"column {column_letter(i)}")
    seen: dict[str, int] = {}
    for i, col in zip(keep_cols, columns, strict=True):
        if col in seen:
            first = seen[col]
            raise fail(f"columns {column_letter(first)} and {column_letter(i)} are both "
                       f"named {col!r}; rename or remove one of them", row=head + 1, column=col)
        seen[col] = i
    if data.empty:
        raise fail("the file has a header row but no data rows", row=head + 1)
    data = data.iloc[:, keep_cols]
    data.columns = columns
    data.index = pd.RangeIndex(len(data))
    return Table(name=name, frame=data, rows=rows, format=kind, **extra)  # type: ignore[arg-type]
