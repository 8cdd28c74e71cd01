"""CSV exports that a spreadsheet cannot turn into formulas, and the one way to answer with one.

``csv_escape`` is the only formula-injection escape in Accord (OWASP "CSV injection"): a text cell
starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe, so
Excel, LibreOffice and Google Sheets show it as text. Numbers Accord computed stay numbers.
``accord.audit.exports.csv_response`` answers with the file and records who exported what.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_escape(value: Any) -> Any:
    """A cell value safe to open in a spreadsheet: formula-looking text is quoted; None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_safe_row(values: Iterable[Any]) -> list[Any]:
    return [csv_escape(v) for v in values]


class _Echo:
    """A file-like object whose write returns the line, for streaming through csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[Any] | None, rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """CSV text, one line at a time, every cell escaped."""
    writer = csv.writer(_Echo())
    if header is not None:
        yield writer.writerow(csv_safe_row(header))
    for row in rows:
        yield writer.writerow(csv_safe_row(row))
