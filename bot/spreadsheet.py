"""CSV as clusterbot writes and imports it: the one writer (no cell it writes runs as a formula
in a spreadsheet), and the one row loop of an import (members, prices, institutions) with its
report of the bad rows by line number."""
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Literal

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

# A spreadsheet runs a cell starting with one of these as a formula (some drop a leading TAB
# or CR first); a leading apostrophe makes it show the cell as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Numbers and E.164 phones (`-5`, `+254722000001`) run as nothing harmful and stay as they are.
NUMBER = re.compile(r"[+-]?\d[\d.]*")


def write(file: IO[str], header: list[str], rows: Iterable[Iterable[object]]) -> int:
    """Writes the header and the rows, every cell guarded; returns how many rows."""
    write_row(file, header)
    count = 0
    for row in rows:
        write_row(file, row)
        count += 1
    return count


def write_row(file: IO[str], row: Iterable[object]) -> None:
    """Writes one row as a line, quoting a cell that holds a CR or an LF."""
    # With lineterminator "\n" csv leaves a bare CR unquoted, and a spreadsheet starts a new
    # row there, unguarded; with "\r\n" csv quotes both, and the line still ends in "\n".
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(map(guarded, row))
    file.write(line.getvalue().removesuffix("\r\n") + "\n")


def guarded(cell: object) -> str:
    """The cell as text, with an apostrophe before it when a spreadsheet would run it."""
    text = "" if cell is None else str(cell)
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def unguarded(text: str) -> str:
    """A cell as it was before `guarded`: what the member typed."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


class RowError(ValueError):
    """One row of an imported file cannot be loaded; the message says why."""


@dataclass
class ImportReport:
    """What an import did: rows added, updated, found unchanged, and the bad ones by line."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line in the file, reason)

    @property
    def skipped(self) -> int:
        return len(self.errors)


Outcome = Literal["added", "updated", "unchanged"]
RowLoader = Callable[[int, dict[str, str]], Outcome]  # (line, cells by column) -> what it did


class FileError(ValueError):
    """The file cannot be read as the CSV wanted at all: empty, or not the header wanted."""


@dataclass(frozen=True)
class Header:
    """The columns a file must have: `columns` in this order, then the first few of `optional`
    (a members file may stop before `listed`); with `among_others`, `columns` in any order
    among other columns (a price file as WFP publishes it)."""

    columns: tuple[str, ...]
    optional: tuple[str, ...] = ()
    among_others: bool = False

    def read(self, header: list[str] | None) -> list[str]:
        """The file's columns from its header line; FileError when it is not this header."""
        if header is None:
            raise FileError("the file is empty")
        names = [name.strip() for name in header]
        if self.among_others:
            missing = [c for c in self.columns if c not in names]
            if missing:
                raise FileError(f"the header needs the columns {','.join(self.columns)}; "
                                f"missing: {','.join(missing)}")
            return names
        full = (*self.columns, *self.optional)
        if not len(self.columns) <= len(names) <= len(full) or tuple(names) != full[:len(names)]:
            extra = f" (and optionally ,{','.join(self.optional)})" if self.optional else ""
            raise FileError(f"the header must be {','.join(self.columns)}{extra}")
        return names


def load_rows(session: Session, file: IO[str], header: Header, load_row: RowLoader, *,
              conflict: str = "it conflicts with what is already stored") -> ImportReport:
    """Loads each row of a CSV file with `load_row`, each in its own savepoint, and reports
    the bad ones by line number (a RowError's reason; `conflict` for a row the database
    refuses as a duplicate) while the good ones load. `load_row` gets the row's line and its
    cells by column, stripped and unguarded. FileError when the header is not `header`."""
    reader = csv.reader(file)
    try:
        columns = header.read(next(reader, None))
    except csv.Error as e:
        raise FileError(f"the header cannot be read as CSV ({e})") from None
    report = ImportReport()
    for line, cells in numbered_rows(reader, report):
        try:
            with session.begin_nested():
                outcome = load_row(line, cells_of(columns, cells, header.among_others))
        except RowError as e:
            report.errors.append((line, str(e)))
        except IntegrityError:
            report.errors.append((line, conflict))
        except DataError:
            report.errors.append((line, "a value does not fit the database"))
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def numbered_rows(reader, report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, its cells) of each row that is not blank; a row that is no
    CSV is reported and ends the reading (what follows it cannot be told apart)."""
    next_line = reader.line_num + 1
    while True:
        line = next_line
        try:
            cells = next(reader, None)
        except csv.Error as e:
            report.errors.append((line, f"unreadable CSV, stopped here ({e})"))
            return
        if cells is None:
            return
        next_line = reader.line_num + 1
        if any(cell.strip() for cell in cells):
            yield line, cells


def cells_of(columns: list[str], cells: list[str], among_others: bool) -> dict[str, str]:
    """The row's cells by column, stripped and unguarded. RowError when a row of a fixed
    header has another number of fields; among other columns, missing cells are empty."""
    if not among_others and len(cells) != len(columns):
        raise RowError(f"expected {len(columns)} fields, found {len(cells)}")
    values = [unguarded(cell.strip()) for cell in cells] + [""] * (len(columns) - len(cells))
    return {column: value for column, value in zip(columns, values) if column}
