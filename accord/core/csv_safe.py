"""CSV exports that a spreadsheet cannot turn into formulas, and the one way to answer with one.

``csv_escape`` is the only formula-injection escape in Accord (OWASP "CSV injection"): a text cell
starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe, so
Excel, LibreOffice and Google Sheets show it as text. Numbers Accord computed stay numbers.
``accord.audit.exports.csv_response`` answers with the file and records who exported what.
"""

from __future__ import annotations

import csv
import re
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


# A sign followed only by digits and phone punctuation (+44 20 7946 0000, -12.5) is a phone number or
# a number: no function, reference or DDE call can hide in it, so a user's own cell keeps its sign.
_SIGNED_NUMBER = re.compile(r"[+-]\d[\d ()./-]*")


def csv_escape_user_cell(value: str) -> str:
    """A cell of a user's own file written back to them (the import's error file): escaped like
    ``csv_escape`` only where it could start a formula, so phone numbers stay as they were typed."""
    if value.startswith(("+", "-")) and _SIGNED_NUMBER.fullmatch(value):
        return value
    return str(csv_escape(value))


def csv_unescape_user_cell(value: str) -> str:
    """The cell ``csv_escape_user_cell`` was given: the apostrophe it put before a formula goes."""
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


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
