"""Exports: tidy long CSV/TSV/XLSX, wide, and BIDS participants/sessions files.

Every file is written beside its target under a temporary name and moved into
place only when all of them are complete, so a refusal, an error or a cancel
leaves nothing behind. Text cells that a spreadsheet would run as a formula
(starting with = + - @, a tab or a carriage return) get a leading single quote;
numbers, negative ones included, stay numbers.

`--kind bids` takes a folder: the BIDS dataset root. It is created if missing
(its parent must exist); participants.tsv and participants.json go at its root,
sub-XXX/sub-XXX_sessions.tsv in each subject folder, and one sessions.json at the
root describes them all (BIDS inheritance). Sessions are numbered by the visit's
position in the protocol (ses-01 = first visit), as scanners number them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import _writer as _cell_writer
from openpyxl.compat import safe_string as _openpyxl_text

from services import anchors, dataset
from services.context import Actor, App, require
from services.errors import Refused
from services.export_tables import (
    Cells,
    Column,
    Picked,
    Table,
    bids_participants,
    bids_sessions,
    long_table,
    wide_table,
)
from services.files import refuse_existing
from services.scratch import write_only_workbook

KINDS = ("long", "wide", "bids")
FORMATS = {".csv": ",", ".tsv": "\t", ".xlsx": None}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DICTIONARY_FIELDS = ("column", "meaning", "unit", "range", "source", "levels")
ROWS_PER_STEP = 500
BIDS_MISSING = "n/a"

Progress = Callable[[int, int, str], None]
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class ExportResult:
    kind: str
    path: str
    files: list[str]
    rows: int
    unblinded: bool

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "files": self.files, "rows": self.rows,
                "blinded": not self.unblinded}


def _exact_text(value: Any) -> str:
    """What openpyxl writes for a cell value, but floats as repr: the shortest text that
    reads back as the same double. openpyxl's own '%.16g' rounds a quarter of real
    measurements (0.11519372966666701 → 0.115193729666667)."""
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return _openpyxl_text(value)


_cell_writer.safe_string = _exact_text  # every XLSX this process writes keeps its floats


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula becomes plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _text(value: Any, missing: str) -> str:
    if value is None:
        return missing
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(neutralise(value))


# Columns of these types only: the csv writer prints them itself exactly as _text does
# (str(int), repr(float), None as ""), so they pass through.
_AS_IS = frozenset({int, float, type(None)})
# Columns of these types only: _text runs once per distinct value. Not bool with int
# (1 == True would share one text), nor float (0.0 == -0.0).
_BY_VALUE = frozenset({str, int, bool, dt.date, dt.datetime, type(None)})


def _texts(values: list[Any], missing: str) -> list[Any]:
    """A column's cells as the csv writer needs them: what _text makes of each cell, but
    without a Python call per cell (that took half of the writing of a large export)."""
    kinds = set(map(type, values))
    if kinds <= _AS_IS:
        if missing and type(None) in kinds:
            return [missing if v is None else v for v in values]
        return values
    if kinds <= _BY_VALUE and not {bool, int} <= kinds:
        text = {v: _text(v, missing) for v in set(values)}
        return list(map(text.__getitem__, values))
    return [_text(v, missing) for v in values]


def _column_texts(cells: Cells, missing: str) -> Callable[[int, int], list[Any]]:
    """(start, end) -> those cells of the column as _texts makes them. A Picked column's
    distinct cells are made text once: a cell's text depends on its value alone."""
    if isinstance(cells, Picked):
        texts = cells.map(lambda distinct: _texts(distinct, missing))
        return lambda start, end: texts[start:end]
    return lambda start, end: _texts(cells[start:end], missing)


def _dictionary_rows(columns: Iterable[Column]) -> list[dict[str, str]]:
    return [{"column": c.name, "meaning": c.meaning, "unit": c.unit, "range": c.range,
             "source": c.source, "levels": ", ".join(c.levels)} for c in columns]


# -- writing ----------------------------------------------------------------------------

@dataclass
class _Writer:
    """Streams rows into temporary files and reports progress; moves them in at the end."""

    total: int
    progress: Progress
    cancelled: Cancelled
    done: int = 0
    staged: list[tuple[Path, Path]] = field(default_factory=list)
    made: list[Path] = field(default_factory=list)

    def check(self) -> None:
        if self.cancelled():
            raise Refused("export cancelled: nothing was written")

    def step(self, n: int) -> None:
        self.check()
        self.done += n
        self.progress(self.done, self.total, f"Writing row {self.done} of {self.total}")

    def temp(self, final: Path) -> Path:
        """A hidden name beside `final`; folders it needs are made and remembered."""
        missing = [d for d in (final.parent, *final.parent.parents) if not d.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            self.made.append(folder)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.part")
        self.staged.append((tmp, final))
        return tmp

    def delimited(self, final: Path, data: list[Cells], fields: list[str],
                  delimiter: str, missing: str = "", counted: bool = True) -> None:
        """`data`: the cells of each field, one sequence per field, taken a slice at a
        time."""
        height = len(data[0]) if data else 0
        texts = [_column_texts(cells, missing) for cells in data]
        with self.temp(final).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, delimiter=delimiter, lineterminator="\n")
            writer.writerow([neutralise(f) for f in fields])
            for start in range(0, height, ROWS_PER_STEP):
                end = min(start + ROWS_PER_STEP, height)
                writer.writerows(zip(*(text(start, end) for text in texts), strict=True))
                if counted and end - start == ROWS_PER_STEP:
                    self.step(ROWS_PER_STEP)
        if counted:
            self.step(height % ROWS_PER_STEP)

    def xlsx(self, final: Path, table: Table) -> None:
        with write_only_workbook() as book:
            self._xlsx(book, final, table)

    def _xlsx(self, book: Workbook, final: Path, table: Table) -> None:
        sheet = book.create_sheet(table.name)
        sheet.append(table.fields)
        data, height = table.data(), table.height
        for start in range(0, height, ROWS_PER_STEP):
            end = min(start + ROWS_PER_STEP, height)
            for row in zip(*(cells[start:end] for cells in data), strict=True):
                sheet.append([neutralise(cell) for cell in row])
            if end - start == ROWS_PER_STEP:
                self.step(ROWS_PER_STEP)
        self.step(height % ROWS_PER_STEP)
        dictionary = book.create_sheet("dictionary")
        dictionary.append(list(DICTIONARY_FIELDS))
        for entry in _dictionary_rows(table.dictionary):
            dictionary.append([neutralise(entry[f]) for f in DICTIONARY_FIELDS])
        book.save(self.temp(final))

    def json(self, final: Path, value: Any) -> None:
        self.temp(final).write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")

    def commit(self) -> list[str]:
        self.check()
        for tmp, final in self.staged:
            os.replace(tmp, final)
        return [str(final) for _, final in self.staged]

    def discard(self) -> None:
        for tmp, _ in self.staged:
            tmp.unlink(missing_ok=True)
        for folder in reversed(self.made):
            folder.rmdir()


def check_folder(folder: Path) -> None:
    """Refuse, naming the folder, before any work if nothing can be written there."""
    if not folder.is_dir():
        raise Refused(f"cannot write to {folder}: no such folder; nothing was written")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".trialdesk-", suffix=".probe")
    except OSError as exc:
        raise Refused(f"cannot write to {folder}: {exc.strerror or exc}; nothing was "
                      "written") from exc
    os.close(fd)
    os.unlink(probe)


@contextmanager
def _staging(folder: Path, total: int, progress: Progress | None,
             cancelled: Cancelled | None) -> Iterator[_Writer]:
    writer = _Writer(total, progress or (lambda *_: None), cancelled or (lambda: False))
    try:
        yield writer
    except OSError as exc:
        writer.discard()
        raise Refused(f"cannot write to {folder}: {exc.strerror or exc}; nothing was "
                      "written") from exc
    except BaseException:
        writer.discard()
        raise


def _table_file(writer: _Writer, path: Path, table: Table) -> None:
    delimiter = FORMATS[path.suffix.lower()]
    if delimiter is None:
        writer.xlsx(path, table)
        return
    writer.delimited(path, table.data(), table.fields, delimiter)
    entries = _dictionary_rows(table.dictionary)
    writer.delimited(path.with_name(f"{path.stem}_dictionary{path.suffix}"),
                     [[entry[f] for entry in entries] for f in DICTIONARY_FIELDS],
                     list(DICTIONARY_FIELDS), delimiter, counted=False)


def _sidecar(columns: Iterable[Column]) -> dict[str, Any]:
    """A BIDS JSON sidecar: Description, Units and Levels of every column."""
    out: dict[str, Any] = {}
    for c in columns:
        entry: dict[str, Any] = {"Description": c.meaning}
        if c.unit:
            entry["Units"] = c.unit
        if c.levels:
            entry["Levels"] = {level: level for level in c.levels}
        if c.source:
            entry["Source"] = c.source
        out[c.name] = entry
    return out


def _bids(writer: _Writer, root: Path, participants: Table,
          sessions: dict[str, Table]) -> None:
    writer.delimited(root / "participants.tsv", participants.data(), participants.fields,
                     "\t", BIDS_MISSING)
    writer.json(root / "participants.json", _sidecar(participants.columns))
    for subject, table in sessions.items():
        writer.delimited(root / subject / f"{subject}_sessions.tsv", table.data(),
                         table.fields, "\t", BIDS_MISSING)
    if sessions:
        writer.json(root / "sessions.json", _sidecar(next(iter(sessions.values())).columns))
    if not (root / "dataset_description.json").exists():
        writer.json(root / "dataset_description.json",
                    {"Name": "TrialDesk export", "BIDSVersion": "1.9.0",
                     "DatasetType": "raw", "GeneratedBy": [{"Name": "TrialDesk"}]})


def _target(path: Path, kind: str) -> Path:
    """The folder that must be writable; refuses an unknown kind or file type."""
    if kind not in KINDS:
        raise Refused(f"unknown export kind {kind!r}; kinds are {', '.join(KINDS)}")
    if kind == "bids":
        if path.exists() and not path.is_dir():
            raise Refused(f"{path} is a file: a BIDS export needs a folder (the dataset root)")
        return path if path.is_dir() else path.parent
    if path.suffix.lower() not in FORMATS:
        raise Refused(f"{path.name}: exports are written as .csv, .tsv or .xlsx")
    if path.is_dir():
        raise Refused(f"{path} is a folder: give a file name ending in .csv, .tsv or .xlsx")
    return path.parent


def files_replaced(path: str | Path, kind: str) -> list[Path]:
    """The files already there that exporting `kind` to `path` would replace: the GUI asks
    "Replace?" about these, and `export` refuses them unless told to replace them."""
    path = Path(path).expanduser().absolute()
    if kind == "bids":
        named = [path / "participants.tsv", path / "participants.json", path / "sessions.json"]
        return [p for p in named if p.exists()] + sorted(path.glob("sub-*/sub-*_sessions.tsv"))
    candidates = [path]
    if FORMATS.get(path.suffix.lower()) is not None:
        candidates.append(path.with_name(f"{path.stem}_dictionary{path.suffix}"))
    return [p for p in candidates if p.exists()]


def export(app: App, actor: Actor, path: str | Path, kind: str = "long", *,
           progress: Progress | None = None, cancelled: Cancelled | None = None,
           force: bool = False) -> ExportResult:
    """Write the export; blinded (dose codes only) until the study is unblinded.

    Refuses before any work when it would replace a file, unless `force`."""
    require(actor, "data.export")
    path = Path(path).expanduser().absolute()
    folder = _target(path, kind)
    for existing in files_replaced(path, kind):
        refuse_existing(existing, force=force)
    check_folder(folder)
    with app.read() as s:
        data = dataset.load(s, app.protocol)
        provenance = {**anchors.head(s), "export": kind, "file": path.name}
    if kind == "bids":
        participants, sessions = bids_participants(data), bids_sessions(data)
        rows = participants.height + sum(t.height for t in sessions.values())
        with _staging(folder, rows, progress, cancelled) as writer:
            _bids(writer, path, participants, sessions)
            writer.json(path / "trialdesk_provenance.json", provenance)
            files = writer.commit()
    else:
        table = long_table(data) if kind == "long" else wide_table(data)
        rows = table.height
        with _staging(folder, rows, progress, cancelled) as writer:
            _table_file(writer, path, table)
            writer.json(path.with_name(f"{path.stem}_provenance.json"), provenance)
            files = writer.commit()
    return ExportResult(kind, str(path), files, rows, data.unblinded)

