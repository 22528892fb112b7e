"""CSV as clusterbot writes and imports it: the one writer (no cell it writes runs as a formula
in a spreadsheet), and the report of an import (members, prices)."""
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

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
