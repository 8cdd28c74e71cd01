"""The error file: the rejected rows of an import as they were, with the row, line, column, error
and how to fix it after them, so the corrected file can be imported again as it is."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from accord.core.csv_safe import csv_escape_user_cell
from accord.intake.importing.mapping import ERROR_COLUMNS, is_error_file
from accord.intake.importing.reading import RawRow


def cell_escape(value: Any) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (a phone number stays as is)."""
    return csv_escape_user_cell("" if value is None else str(value))


_FIXES = (
    ("is required", "Fill in {field}: every lead needs it."),
    ("not a valid email", "Correct the address (name@company.com) or remove the row."),
    ("characters long", "Shorten the value to fit (see the error for the limit)."),
    ("whole number", "Write a whole number such as 250 (a range like 201-500 counts as 201)."),
    ("consent answer", "Write yes or no (or true/false)."),
    ("ISO date-time", "Write the date as 2026-05-01T10:00:00Z."),
    ("second, different value", "Make the two columns agree, or skip one of them in the column mapping."),
    ("is not an amount", "Write an amount such as 5000000 or 5M."),
)
KEPT_FIX = "The row was imported without this value; correct it and import the file again to fill it in."


def how_to_fix(field_name: str, message: str) -> str:
    for needle, fix in _FIXES:
        if needle in message:
            return fix.format(field=field_name)
    return "Correct the value and import the file again; rows already imported stay unchanged."


class ErrorReport:
    """Writes every rejected row to a CSV file as the import goes: the file's own columns first,
    with the cells as they were, then the diagnostics (ERROR_COLUMNS). Corrected, the file imports
    again as it is; a corrected error file's old diagnostics are replaced, not repeated."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self.count = 0
        self.kept = 0  # rows imported without a bad optional value (a warning line each)
        self.first: list[dict[str, Any]] = []
        self.width = len(header) - len(ERROR_COLUMNS) if is_error_file(header) else len(header)
        self._drop_old = self.width != len(header)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._fh)
        self._writer.writerow([*(cell_escape(h) for h in header[: self.width]), *ERROR_COLUMNS])

    def _cells(self, row: RawRow) -> list[str]:
        """The row's own cells; a short row padded so the diagnostics stay under their headings."""
        cells = row.cells
        if self._drop_old and len(cells) == self.width + len(ERROR_COLUMNS):
            cells = cells[: self.width]
        if row.problem and not cells:
            # Unreadable: the parser gave no cells; the line is where to look.
            return [""] * self.width
        return [cell_escape(c) for c in cells] + [""] * (self.width - len(cells))

    def add(
        self,
        row: RawRow,
        problems: dict[str, str],
        fixes: dict[str, str] | None = None,
        *,
        kept: bool = False,
    ) -> None:
        """One line for a rejected row, or (``kept``) for a row imported without its bad values."""
        fixes = fixes or {}
        fields = "; ".join(problems)
        errors = "; ".join(f"{name} {text}" for name, text in problems.items())
        if kept:
            errors = "Warning, row kept: " + errors
            fix = KEPT_FIX + " " + " ".join(dict.fromkeys(how_to_fix(n, t) for n, t in problems.items()))
        else:
            fix = " ".join(dict.fromkeys(fixes.get(n) or how_to_fix(n, t) for n, t in problems.items()))
        self._writer.writerow(
            [
                *self._cells(row),
                row.number,
                row.line,
                cell_escape(fields),
                cell_escape(errors),
                cell_escape(fix),
            ]
        )
        self.count += 1
        self.kept += kept
        if len(self.first) < 20:
            self.first.append(
                {
                    "row": row.number,
                    "line": row.line,
                    "field": fields,
                    "error": errors,
                    "how_to_fix": fix,
                    "kept": kept,
                }
            )

    def close(self) -> None:
        self._fh.close()
