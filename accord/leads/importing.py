"""CSV import of leads: the bulk door into the same intake pipeline the API and forms use.

    decode -> parse (csv) -> map columns -> normalize_submission per row -> fold duplicates
           -> existing leads: lead_apply_fields, write if changed, 'lead.updated', bulk re-score
           -> new leads: AccountIndex match (lead_link_account's rule, accounts created in bulk),
              bulk qualification, next_stage, raw bulk insert of leads, 'lead.intake' events and
              campaign touchpoints, new MQLs handed to routing

Every step that decides something is the per-record pipeline's own function (``normalize_submission``,
``lead_apply_fields``, ``AccountIndex.match``, ``next_stage``), its column-at-a-time twin held equal
to it by a test (``_record_column`` ~ ``record_from_values``, ``_link_account`` ~
``lead_link_account``), or the bulk engine that is held equal to it, so a lead means the same
whichever door it came through. Only the writing differs: rows are inserted with ``executemany``
(SQLite) or ``COPY`` (PostgreSQL) without a model instance per row, one transaction per chunk of
``ACCORD_IMPORT_CHUNK_ROWS`` rows.

Encoding: UTF-8 (with or without BOM) unless an encoding is given. A file that is not valid UTF-8 is
rejected before anything is written, with the byte offset and line, and a hint to give the encoding
(we do not guess: a silent cp1252 fall-back would turn a UTF-8 file with one bad byte into mojibake).

Counting (the summary): each data row is exactly one of ``created``, ``updated``, ``unchanged``
(the first row of an email), ``merged`` (a later row of an email already seen in this file; folded
into the same lead like a sequential submission) or ``rejected``.
"""

from __future__ import annotations

import codecs
import collections
import csv
import gc
import io
import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accord.audit.capture import BulkChange, audit_bulk_changes, audit_tracked_fields
from accord.audit.models import AuditChannel, ChangeAction
from accord.core.csv_safe import csv_escape
from accord.core.errors import ApplicationError, Conflict
from accord.core.models import Channel, Event
from accord.leads.intake import UPDATABLE_FIELDS, lead_apply_fields
from accord.leads.matching import AccountIndex
from accord.leads.models import (
    Account,
    AccountDomain,
    ImportJob,
    ImportStatus,
    Lead,
    Source,
    SourceKind,
    Stage,
)
from accord.leads.normalize import (
    CUSTOM_KEY_RE,
    INTEGER_FIELDS,
    MAX_CUSTOM_FIELDS,
    TEXT_FIELDS,
    Submission,
    canonical_key,
    clean_text,
    company_key,
    normalize_submission,
    resolve_field,
)

logger = logging.getLogger(__name__)

DEFAULT_SOURCE_NAME = "CSV import"
# The columns the error file starts with; a corrected error file can be imported again as it is.
ERROR_COLUMNS = ("row", "line", "field", "error", "how_to_fix")
NOT_SCORED = "Not scored: no qualification criteria are active yet."
# Fields a column may feed, for the mapping page and explicit mappings ("" = skip the column).
MAPPING_TARGETS: dict[str, str] = {
    **{name: name.replace("_", " ") for name in TEXT_FIELDS},
    **{name: name.replace("_", " ") for name in INTEGER_FIELDS},
    "consent": "consent (yes/no)",
    "consent_at": "consent date",
    "email_opt_out": "email opt-out (yes/no)",
    "activity": "activity (e.g. demo_request)",
}
CUSTOM_TARGET = "custom"  # "a custom field named after the column"
_ID_BATCH = 5000


class ImportFileError(ApplicationError):
    """The file as a whole cannot be imported (unreadable, wrong encoding, no header)."""


class ImportTakenOver(Exception):
    """This run's job was claimed by another worker (it looked stale): stop without writing more."""


# --- decoding and reading ---------------------------------------------------------------------------


def encoding_resolve(encoding: str = "") -> str:
    """The codec to read with: 'utf-8-sig' (reads UTF-8 with or without BOM) unless one is given."""
    wanted = (encoding or "").strip()
    if not wanted:
        return "utf-8-sig"
    try:
        codecs.lookup(wanted)
    except LookupError:
        raise ImportFileError(
            f"Unknown encoding {wanted!r}; use e.g. utf-8, latin-1 or cp1252.", detail={"encoding": "unknown"}
        ) from None
    return wanted


def encoding_check(path: Path | str, encoding: str = "") -> str:
    """Decode the whole file once (fast, in blocks) so a bad byte stops the import before any write.

    Returns the encoding name for the summary. Raises ImportFileError naming the byte offset and line.
    """
    encoding = encoding or _utf16_by_bom(path)
    codec = encoding_resolve(encoding)
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    offset = 0
    newlines = 0
    try:
        with open(path, "rb") as fh:
            first = fh.read(3)
            has_bom = first == codecs.BOM_UTF8
            fh.seek(0)
            while block := fh.read(1 << 20):
                pending = len(decoder.getstate()[0]) if hasattr(decoder, "getstate") else 0
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    bad = offset - pending + exc.start
                    fh.seek(0)
                    before = fh.read(bad)
                    line = before.count(b"\n") + 1
                    byte = fh.read(1)
                    hint = (
                        "Give the file's encoding: --encoding latin-1 (or cp1252) on the command line, "
                        "or choose it on the upload page."
                        if not encoding
                        else f"The file is not {encoding}; give its real encoding."
                    )
                    raise ImportFileError(
                        f"The file is not valid {encoding or 'UTF-8'}: byte 0x{byte.hex()} at "
                        f"offset {bad} (line {line}) cannot be decoded. {hint}",
                        detail={"encoding": f"byte offset {bad}, line {line}"},
                    ) from None
                newlines += block.count(b"\n")
                offset += len(block)
            decoder.decode(b"", final=True)
    except UnicodeError as exc:
        # UnicodeDecodeError for a character cut off at the end; a plain UnicodeError from codecs
        # such as utf-16 that refuse a file without a byte-order mark.
        problem = "it ends in the middle of a character" if isinstance(exc, UnicodeDecodeError) else str(exc)
        raise ImportFileError(
            f"The file cannot be read as {encoding or 'UTF-8'}: {problem}. It may be truncated, or in "
            "another encoding: give the real one (--encoding, or the upload page's choice).",
            detail={"encoding": "undecodable"},
        ) from None
    except OSError as exc:
        raise ImportFileError(
            f"The file cannot be read: {exc.strerror or exc}.", detail={"file": "unreadable"}
        ) from None
    if not encoding:
        return "utf-8-sig" if has_bom else "utf-8"
    return encoding.strip().lower()


def _utf16_by_bom(path: Path | str) -> str:
    """'utf-16' for a file that starts with a UTF-16 byte-order mark (Excel's "Unicode text"), else
    ''. Not a guess: those bytes never start a UTF-8 file."""
    try:
        with open(path, "rb") as fh:
            start = fh.read(2)
    except OSError:
        return ""
    return "utf-16" if start in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else ""


def _open_text(path: Path | str, encoding: str) -> io.TextIOWrapper:
    try:
        encoding = encoding or _utf16_by_bom(path)
        return open(path, encoding=encoding_resolve(encoding), newline="", errors="strict")
    except OSError as exc:
        raise ImportFileError(
            f"The file cannot be read: {exc.strerror or exc}.", detail={"file": "unreadable"}
        ) from None


def _delimiter(fh: io.TextIOWrapper) -> tuple[str, int]:
    """(separator, lines to skip). ',' unless the header line has no comma and is split by ';'
    (spreadsheets in locales that write decimal commas save CSV that way) or by tabs. A first line
    ``sep=;`` (Excel's way of naming the separator) names it and is skipped. Leaves the file at the
    first line to parse."""
    line = ""
    read = 0
    for _ in range(1000):
        line = fh.readline(65_536)
        read += 1
        if not line or line.strip():
            break
    fh.seek(0)
    named = line.strip()
    if len(named) == 5 and named[:4].lower() == "sep=":
        for _ in range(read):  # blank lines before it, and the line itself
            fh.readline()
        return named[4], read
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for char in line:  # separators inside quotes ("Last, First") do not count
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    if counts[","] or not (counts[";"] or counts["\t"]):
        return ",", 0
    return (";" if counts[";"] >= counts["\t"] else "\t"), 0


@dataclass
class RawRow:
    """One data row as the file had it: 1-based data row number, the file line it starts on, cells."""

    number: int
    line: int
    cells: list[str]
    problem: str = ""  # set when the row cannot be parsed (wrong number of fields)
    fix: str = ""


class CsvRows:
    """Streams a CSV file: ``header`` then RawRow items. Quoted commas/newlines and CRLF work.

    The parser reads the file's lines through ``_feed``, which keeps the lines of the record being
    read: a row's line number is its first line's, and a quote opened on a row and not closed where
    its value ends (which makes the lenient parser read the following lines, up to the end of the
    file, into that row) is caught: that row is rejected and the lines after it are read again as
    rows, so no good row is lost.
    """

    def __init__(self, path: Path | str, encoding: str = "") -> None:
        self._fh = _open_text(path, encoding)
        if csv.field_size_limit() < 1_048_576:
            # Long cells are the validator's to report ("at most 10000 fit"), not the parser's.
            csv.field_size_limit(1_048_576)
        self.delimiter, skipped = _delimiter(self._fh)
        self._lines: list[tuple[int, str]] = []  # (line number, text) of the record being read
        self._again: collections.deque[tuple[int, str]] = collections.deque()  # lines to read again
        self._next_line = skipped + 1
        self._at_end = False
        self._reader = csv.reader(self._feed(), delimiter=self.delimiter)
        self.header: list[str] = []
        self.header_line = 0
        for cells in self._reader:
            lines = self._take_lines()
            if cells and any(c.strip() for c in cells):
                # Names without control characters: a NUL in a header would otherwise reach the
                # job's stored mapping and summary, which PostgreSQL cannot hold.
                self.header = [clean_text(c) for c in cells]
                self.header_line = lines[0][0] if lines else 0
                break
        if not self.header:
            self._fh.close()
            raise ImportFileError(
                "The file is empty: the first line must name the columns.", detail={"file": "empty"}
            )

    def _feed(self) -> Iterator[str]:
        while True:
            if self._again:
                item = self._again.popleft()
            else:
                text = self._fh.readline()
                if not text:
                    self._at_end = True
                    return
                item = (self._next_line, text)
                self._next_line += 1
            self._lines.append(item)
            yield item[1]

    def _read_again(self, lines: list[tuple[int, str]]) -> None:
        """Parse these lines again, as rows of their own, before the rest of the file."""
        self._again.extend(lines)
        self._at_end = False
        self._reader = csv.reader(self._feed(), delimiter=self.delimiter)

    def _take_lines(self) -> list[tuple[int, str]]:
        lines, self._lines = self._lines, []
        return lines

    def _quote_broken(self, lines: list[tuple[int, str]], cells: list[str]) -> bool:
        """A record over several lines that is not valid CSV read strictly, and either has the wrong
        number of fields or runs to the end of the file: a quote was opened and not closed where
        its value ended, and the lenient parser read the lines after it into this record. (A
        well-formed quoted line break parses strictly, so it is never taken for this.)"""
        if len(lines) < 2 or (len(cells) == len(self.header) and not self._at_end):
            return False
        text = "".join(t for _, t in lines)
        try:
            for _ in csv.reader(io.StringIO(text), delimiter=self.delimiter, strict=True):
                pass
        except csv.Error:
            return True
        return False

    def __iter__(self) -> Iterator[RawRow]:
        width = len(self.header)
        number = 0
        try:
            while True:
                try:
                    cells = next(self._reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    lines = self._take_lines()
                    if not lines:
                        return  # the parser cannot move on: nothing more to read
                    number += 1
                    if "field limit" in str(exc) and len(lines) > 1:
                        # Most likely a quote left open running through the lines after it.
                        problem = (
                            f"has a value longer than {csv.field_size_limit():,} characters over "
                            f"{len(lines)} lines: a quote is probably not closed (the lines after it "
                            "are read again as rows of their own)"
                        )
                        fix = 'Close the quote; a quote inside a value is written twice ("").'
                        self._read_again(lines[1:])
                    elif "field limit" in str(exc):
                        problem = f"has a value longer than {csv.field_size_limit():,} characters"
                        fix = "Shorten the value."
                    else:
                        problem = f"cannot be read: {exc}"
                        fix = 'Check the quotes on this line: a quote inside a value is written twice ("").'
                    yield RawRow(number, lines[0][0], [], problem, fix)
                    continue
                lines = self._take_lines()
                if not cells:
                    continue  # a blank line
                number += 1
                line = lines[0][0] if lines else 0
                if len(cells) > width and not any(c.strip() for c in cells[width:]):
                    cells = cells[:width]  # trailing empty cells (spreadsheets pad rows so): nothing lost
                if self._quote_broken(lines, cells):
                    # This row is rejected with its own line's cells, and the lines after it read again.
                    yield RawRow(
                        number,
                        line,
                        next(csv.reader([lines[0][1]], delimiter=self.delimiter), []),
                        "has a quote that is not closed where its value ends, so the lines after it "
                        "were read into this row (they are read again as rows of their own)",
                        'Close the quote; a quote inside a value is written twice ("").',
                    )
                    self._read_again(lines[1:])
                    continue
                if len(cells) != width:
                    problem = f"has {len(cells)} fields but the header names {width} columns"
                    fix = (
                        "Quote values that contain commas, or remove the extra separators."
                        if len(cells) > width
                        else "Add the missing values (empty ones too), or close a quote left open."
                    )
                    yield RawRow(number, line, cells, problem, fix)
                    continue
                yield RawRow(number, line, cells)
        finally:
            self._fh.close()

    def close(self) -> None:
        self._fh.close()


def csv_header(path: Path | str, encoding: str = "") -> list[str]:
    rows = CsvRows(path, encoding)
    rows.close()
    return rows.header


def csv_sample(path: Path | str, encoding: str = "", *, rows: int = 5) -> tuple[list[str], list[list[str]]]:
    """The header and the first few well-formed rows (for the mapping page)."""
    reader = CsvRows(path, encoding)
    sample: list[list[str]] = []
    for raw in reader:
        if not raw.problem:
            sample.append(raw.cells)
        if len(sample) >= rows:
            break
    reader.close()
    return reader.header, sample


# --- column mapping ----------------------------------------------------------------------------------


def column_default_target(column: str) -> str:
    """What a column feeds unless told otherwise: resolve_field's answer, or '' (skip)."""
    return resolve_field(column) or ""


def mapping_default(columns: Sequence[str]) -> dict[str, str]:
    """The mapping resolve_field suggests; the columns of an error file are skipped."""
    mapping = {column: column_default_target(column) for column in columns}
    if tuple(c.lower() for c in columns[: len(ERROR_COLUMNS)]) == ERROR_COLUMNS:
        mapping.update(dict.fromkeys(columns[: len(ERROR_COLUMNS)], ""))
    return mapping


@dataclass
class ColumnPlan:
    """Which column feeds which submission key (None: ignored)."""

    columns: list[str]
    keys: list[str | None]
    targets: list[str]
    ignored: list[str]
    # Keys made distinct for a column name the header repeats -> how errors name that column.
    labels: dict[str, str] = field(default_factory=dict)

    def named(self, errors: dict[str, str]) -> dict[str, str]:
        """Errors keyed by submission key, with a repeated column named by its position."""
        if not self.labels:
            return errors
        return {self.labels.get(key, key): text for key, text in errors.items()}

    def submission(self, cells: Sequence[str]) -> dict[str, str]:
        # An empty cell says nothing (every row has every column): it must not blank a custom field
        # an earlier row or submission set. For lead fields leaving it out changes nothing.
        return {key: cells[i] for i, key in enumerate(self.keys) if key is not None and cells[i].strip()}


def mapping_plan(columns: Sequence[str], mapping: dict[str, str] | None = None) -> ColumnPlan:
    """Check a mapping {column: field, 'custom', 'custom.<key>' or ''} and plan the submission keys.

    A column keeps its own name as the key when resolve_field already maps it to the target, so
    normalize_submission sees the file's names (and reports two columns giving one field two values).
    """
    chosen = mapping_default(columns)
    if mapping:
        unknown_columns = [c for c in mapping if c not in chosen]
        if unknown_columns:
            raise ApplicationError(
                f"The mapping names columns the file does not have: {', '.join(unknown_columns)}.",
                detail={"mapping": "unknown columns"},
            )
        chosen.update({c: (t or "").strip() for c, t in mapping.items()})
    keys: list[str | None] = []
    targets: list[str] = []
    ignored: list[str] = []
    used: set[str] = set()
    labels: dict[str, str] = {}
    for column in columns:
        target = chosen.get(column, "")
        if target == CUSTOM_TARGET:
            target = f"custom.{canonical_key(column)}"
        if target.startswith("custom."):
            if not CUSTOM_KEY_RE.match(target[7:]):
                raise ApplicationError(
                    f"Column {column!r} cannot become custom field {target[7:]!r}: use lower-case letters, "
                    "digits and _ and start with a letter.",
                    detail={"mapping": column},
                )
        elif target and target not in MAPPING_TARGETS:
            raise ApplicationError(
                f"Column {column!r} is mapped to {target!r}, which is not a lead field; "
                f"use one of {', '.join(MAPPING_TARGETS)}, 'custom' or nothing to skip it.",
                detail={"mapping": column},
            )
        if not target:
            keys.append(None)
            targets.append("")
            ignored.append(column)
            continue
        key = column if resolve_field(column) == target else target
        if key in used:  # the same header twice: trailing spaces resolve to the same field
            while key in used:
                key += " "
            labels[key] = f"{column.strip()} (column {len(keys) + 1})"
        used.add(key)
        keys.append(key)
        targets.append(target)
    custom = sum(1 for t in targets if t.startswith("custom."))
    if custom > MAX_CUSTOM_FIELDS:
        raise ImportFileError(
            f"{custom} columns would become custom fields; at most {MAX_CUSTOM_FIELDS} fit. Skip the "
            "columns you do not need on the mapping page (or remove them from the file).",
            detail={"mapping": "too many custom fields"},
        )
    return ColumnPlan(list(columns), keys, targets, ignored, labels)


# --- the error file ----------------------------------------------------------------------------------


def cell_escape(value: Any) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return str(csv_escape("" if value is None else str(value)))


_FIXES = (
    ("is required", "Fill in {field}: every lead needs it."),
    ("not a valid email", "Correct the address (name@company.com) or remove the row."),
    ("characters long", "Shorten the value to fit (see the error for the limit)."),
    ("whole number", "Write a whole number such as 250 (a range like 201-500 counts as 201)."),
    ("consent answer", "Write yes or no (or true/false)."),
    ("ISO date-time", "Write the date as 2026-05-01T10:00:00Z."),
    ("second, different value", "Make the two columns agree, or skip one of them in the column mapping."),
)


def how_to_fix(field_name: str, message: str) -> str:
    for needle, fix in _FIXES:
        if needle in message:
            return fix.format(field=field_name)
    return "Correct the value and import the file again; rows already imported stay unchanged."


class ErrorReport:
    """Writes every rejected row (with its original cells) to a CSV file as the import goes."""

    def __init__(self, path: Path, header: Sequence[str]) -> None:
        self.path = path
        self.count = 0
        self.first: list[dict[str, Any]] = []
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._fh)
        self._writer.writerow([*ERROR_COLUMNS, *(cell_escape(h) for h in header)])

    def add(self, row: RawRow, problems: dict[str, str], fixes: dict[str, str] | None = None) -> None:
        fixes = fixes or {}
        fields = "; ".join(problems)
        errors = "; ".join(f"{name} {text}" for name, text in problems.items())
        fix = " ".join(dict.fromkeys(fixes.get(n) or how_to_fix(n, t) for n, t in problems.items()))
        self._writer.writerow(
            [
                row.number,
                row.line,
                cell_escape(fields),
                cell_escape(errors),
                cell_escape(fix),
                *(cell_escape(c) for c in row.cells),
            ]
        )
        self.count += 1
        if len(self.first) < 20:
            self.first.append(
                {"row": row.number, "line": row.line, "field": fields, "error": errors, "how_to_fix": fix}
            )

    def close(self) -> None:
        self._fh.close()


# --- writing rows without model instances ------------------------------------------------------------


class RowWriter:
    """Inserts many rows into one table: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, model: type[Any], columns: Sequence[str]) -> None:
        self.table = model._meta.db_table
        self.columns = list(columns)
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise ApplicationError(f"Bulk import supports SQLite and PostgreSQL, not {self.vendor}.")
        quoted = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        if self.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(self.columns))
            self.sql = f"INSERT INTO {connection.ops.quote_name(self.table)} ({quoted}) VALUES ({marks})"
        else:
            self.sql = f"COPY {connection.ops.quote_name(self.table)} ({quoted}) FROM STDIN"

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            if self.vendor == "sqlite":
                cursor.executemany(self.sql, rows)
            else:
                with connection.wrap_database_errors, cursor.cursor.copy(self.sql) as copy:
                    for row in rows:
                        copy.write_row(row)


def _iso_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_encode_str = json.encoder.encode_basestring_ascii  # what json.dumps encodes a str with (ensure_ascii)


def _json_scalar(value: Any) -> str:
    """json.dumps(value, default=_iso_default) for one value; str and int without the encoder set-up.
    Row values are as the database takes them: PostgreSQL's date-times are datetime objects."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value, default=_iso_default)


_EMPTY = (None, "", "{}", "[]")


def _created_prefixes(columns: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """For ``_created_changes_json``: each (field name, row position) with its key pre-encoded."""
    return [(json.dumps(name) + ": [null, ", i) for name, i in columns]


def _created_changes_json(row: Sequence[Any], prefixes: Sequence[tuple[str, int]]) -> str:
    """A created row's audit changes, {name: [null, value]} for its non-empty values, as the text
    json.dumps(changes, default=_iso_default) gives, put together from pre-encoded keys."""
    scalar = _json_scalar
    return "{" + ", ".join([p + scalar(row[i]) + "]" for p, i in prefixes if row[i] not in _EMPTY]) + "}"


def _json_db(value: Any) -> str:
    # Both engines take JSON as text here: SQLite stores it as text, COPY parses it into jsonb.
    return json.dumps(value)


def ids_reserve(model: type[Any], count: int) -> list[int]:
    """Primary keys for ``count`` new rows, taken inside the current transaction."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [r[0] for r in cursor.fetchall()]
        # SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so max + 1.. is ours.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        start = max(top, found[0] if found else 0) + 1
        return list(range(start, start + count))


class IdPool:
    """Primary keys handed out one at a time inside one transaction, reserved in blocks."""

    def __init__(self, model: type[Any], block: int = 256) -> None:
        self.model = model
        self.block = block
        self._free: list[int] = []
        self._next: int | None = None

    def take(self) -> int:
        if connection.vendor == "sqlite":
            # max + 1 is ours while the transaction holds the write lock; the rows are written
            # before anything else in this transaction inserts into the table.
            if self._next is None:
                self._next = ids_reserve(self.model, 1)[0]
            pk, self._next = self._next, self._next + 1
            return pk
        if not self._free:
            self._free = ids_reserve(self.model, self.block)[::-1]
        return self._free.pop()


# --- account matching for a whole file ------------------------------------------------------------


class FileAccountIndex(AccountIndex):
    """``AccountIndex`` with the fuzzy name search made fit for a whole file, same answers.

    The per-record index rebuilds its {id: name} choices and re-tokenises every name on each
    fuzzy search; over a file that is quadratic in the number of new companies. Here the names are
    kept once, pre-sorted by token (token_sort_ratio is ratio over sorted tokens) and bucketed by
    length, because ratio >= cutoff is impossible when the lengths differ by more than
    (1 - cutoff/100) * (sum of lengths). The best score wins; on a tie the name the per-record
    index would meet first (insertion order) wins, as in ``rapidfuzz.process.extractOne``.
    """

    def preload(self) -> FileAccountIndex:
        super().preload()
        self._buckets: dict[int, tuple[list[str], list[tuple[int, int]]]] = {}
        self._order = 0
        for key, account_id in (self._names or {}).items():
            self._add_choice(key, account_id)
        return self

    def _add_choice(self, key: str, account_id: int) -> None:
        if not key:
            return
        tokens = " ".join(sorted(key.split()))
        names, meta = self._buckets.setdefault(len(tokens), ([], []))
        names.append(tokens)
        meta.append((self._order, account_id))
        self._order += 1

    def remember(self, account_id: int, *, name_key: str, domain: str = "") -> None:
        new = self._names is not None and bool(name_key) and name_key not in self._names
        super().remember(account_id, name_key=name_key, domain=domain)
        if new:
            self._add_choice(name_key, account_id)

    def _fuzzy(self, key: str) -> tuple[int, int] | None:
        from rapidfuzz import fuzz, process

        if self._names is None:
            return super()._fuzzy(key)
        query = " ".join(sorted(key.split()))
        size = len(query)
        slack = 1 - self.threshold / 100
        best: tuple[float, int, int] | None = None  # (score, -order, account_id)
        for length, (names, meta) in self._buckets.items():
            if abs(size - length) > slack * (size + length) + 1:
                continue
            found = process.extractOne(
                query, names, scorer=fuzz.ratio, score_cutoff=self.threshold, processor=None
            )
            if found is None:
                continue
            _, score, position = found
            order, account_id = meta[position]
            candidate = (score, -order, account_id)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
        if best is None:
            return None
        return best[2], int(best[0])


# --- the import itself -------------------------------------------------------------------------------


@dataclass
class _Group:
    """All rows of one email within a chunk, in file order."""

    email_key: str
    rows: list[RawRow] = field(default_factory=list)
    subs: list[Submission] = field(default_factory=list)
    seen_before: bool = False  # the email was in an earlier chunk of this file


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
    rows: int = 0
    accounts_created: int = 0


_BLANK_LEAD: dict[str, Any] = {
    **dict.fromkeys(UPDATABLE_FIELDS, ""),
    "company_size": None,
    "phone_key": "",
    "consent": "unknown",
    "consent_at": None,
    "consent_source": "",
}


def _combine_changes(total: dict[str, list[Any]], more: dict[str, list[Any]]) -> None:
    """Sequential changes as one: the first old value, the last new value; no-ops dropped."""
    for name, (old, new) in more.items():
        if name in total:
            total[name] = [total[name][0], new]
            if total[name][0] == new:
                del total[name]
        else:
            total[name] = [old, new]


class EmailsSeen:
    """Emails of earlier chunks, as 64-bit hashes in one polars column (8 bytes per email)."""

    def __init__(self) -> None:
        import polars as pl

        self._pl = pl
        self._hashes = pl.Series("h", [], dtype=pl.UInt64)

    def contains(self, keys: list[str]) -> list[bool]:
        if not keys or self._hashes.len() == 0:
            return [False] * len(keys)
        return (
            self._pl.Series(keys, dtype=self._pl.String).hash(seed=7).is_in(self._hashes.implode()).to_list()
        )

    def add(self, keys: list[str]) -> None:
        if keys:
            self._hashes = self._pl.concat(
                [self._hashes, self._pl.Series("h", keys).hash(seed=7)], rechunk=True
            )


_ACCOUNT_ATTRIBUTES = {"account__name": 0, "account__industry": 1, "account__size": 2, "account__country": 3}


def _record_column(
    name: str, namespaces: list[Any], accounts: list[tuple[Any, ...] | None], source_name: str | None
) -> list[Any]:
    """One field of ``record_from_values`` for many new leads: the same values, a column at a time.

    A new lead's values are its namespace's attributes, its source's name and its account's
    (name, industry, size, country); a test holds this equal to ``record_from_values``.
    """
    from accord.qualification.fields import (
        CUSTOM_PREFIX,
        FIELDS,
        LEAD_COLUMNS,
        custom_value,
        email_domain,
    )

    if name == "email_domain":
        return [email_domain(ns.email if ns.email not in (None, "") else None) for ns in namespaces]
    if name.startswith(CUSTOM_PREFIX):
        key = name[len(CUSTOM_PREFIX) :]
        return [custom_value(ns.custom[key]) if key in ns.custom else None for ns in namespaces]
    column = LEAD_COLUMNS.get(name)
    if column is None:
        return [None] * len(namespaces)
    if column == "source__name":
        values: list[Any] = [source_name] * len(namespaces)
    elif column in _ACCOUNT_ATTRIBUTES:
        i = _ACCOUNT_ATTRIBUTES[column]
        values = [account[i] if account else None for account in accounts]
    else:
        values = [getattr(ns, column) for ns in namespaces]
    if FIELDS[name].type == "number":
        return [int(v) if v is not None else None for v in values]
    return [v if v not in (None, "") else None for v in values]


class LeadImport:
    """One run over one file. ``run()`` returns the summary; see the module docstring."""

    def __init__(
        self,
        *,
        path: Path | str,
        source: Source | None,
        mapping: dict[str, str] | None = None,
        encoding: str = "",
        dry_run: bool = False,
        actor: Any = None,
        job: ImportJob | None = None,
        error_path: Path | None = None,
        now: datetime | None = None,
        chunk_rows: int | None = None,
        keep_preview: int = 0,
    ) -> None:
        self.path = Path(path)
        self.source = source
        self.mapping = mapping
        self.encoding = encoding
        self.dry_run = dry_run
        self.actor = actor if getattr(actor, "is_authenticated", False) else None
        self.job = job
        self.error_path = error_path
        self.now = now or timezone.now()
        self.chunk_rows = chunk_rows or settings.ACCORD_IMPORT_CHUNK_ROWS
        self.counts = ImportCounts()
        self.keep_preview = keep_preview
        self.preview: list[dict[str, Any]] = []
        self.rescored = 0
        self._audit_columns: list[tuple[str, int]] | None = None

    # -- set-up ------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        from accord.qualification.selectors import criteria_active_spec

        self.encoding_used = encoding_check(self.path, self.encoding)
        self.reader = CsvRows(self.path, self.encoding)
        self.plan = mapping_plan(self.reader.header, self.mapping)
        if "email" not in self.plan.targets:
            self.reader.close()
            raise ImportFileError(
                "No column holds the email address: name one 'email' (or map a column to email).",
                detail={"mapping": "email missing"},
            )
        self.spec = criteria_active_spec()
        self._load_accounts()
        self.seen = EmailsSeen()
        self.lead_columns = [f.column for f in Lead._meta.concrete_fields]
        self.lead_writer = RowWriter(Lead, self.lead_columns)
        self.event_columns = [f.column for f in Event._meta.concrete_fields if f.column != "id"]
        self.event_writer = RowWriter(Event, self.event_columns)
        stamp = connection.ops.adapt_datetimefield_value(self.now)
        self.stamp = stamp
        self.lead_defaults = self._lead_defaults()
        self._event_template: tuple[list[Any], list[int]] | None = None
        self.account_columns = [f.column for f in Account._meta.concrete_fields]
        self.account_writer = RowWriter(Account, self.account_columns)
        self.account_defaults = self._row_defaults(Account)
        self.ignored_payload = self.plan.ignored[:50]
        if self.error_path is None:
            name = (
                f"imports/errors/job-{self.job.pk}-errors.csv"
                if self.job
                else (
                    f"imports/errors/{'dry-run' if self.dry_run else 'import'}"
                    f"-{self.now:%Y%m%d-%H%M%S-%f}-errors.csv"
                )
            )
            self.error_path = Path(settings.MEDIA_ROOT) / name
        self.errors = ErrorReport(self.error_path, self.reader.header)

    def _load_accounts(self) -> None:
        self.index = FileAccountIndex().preload()
        self.accounts: dict[int, tuple[str, str, int | None, str]] = {
            pk: (name, industry, size, country)
            for pk, name, industry, size, country in Account.objects.values_list(
                "id", "name", "industry", "size", "country"
            ).iterator(chunk_size=10_000)
        }
        self._fake_account_id = 0

    def _lead_defaults(self) -> dict[str, Any]:
        """Every Lead column's value for a new row unless the import sets it (the model's defaults)."""
        defaults = self._row_defaults(Lead)
        defaults.update(source_id=self.source.pk if self.source else None)
        return defaults

    def _row_defaults(self, model: type[Any]) -> dict[str, Any]:
        """Every column's value for a new row of ``model`` unless the import sets it (its defaults)."""
        defaults: dict[str, Any] = {}
        for f in model._meta.concrete_fields:
            if f.column == "id":
                continue
            value = f.get_default()
            if f.get_internal_type() == "JSONField":
                defaults[f.column] = _json_db(value)
            elif f.get_internal_type() == "DateTimeField":
                defaults[f.column] = None
            else:
                defaults[f.column] = value
        defaults.update(created_at=self.stamp, updated_at=self.stamp)
        return defaults

    # -- the run ---------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        self._prepare()
        # A chunk holds ~10 containers per row alive at once (cells, submissions, namespaces, rows);
        # with the default thresholds the collector scans all of them again and again (a quarter of
        # the import's CPU). The import makes no reference cycles of its own: collect rarely.
        thresholds = gc.get_threshold()
        gc.set_threshold(max(thresholds[0], 200_000), max(thresholds[1], 20), max(thresholds[2], 100))
        try:
            # A job that ran before (a worker killed mid-import, a failed run) goes on after the
            # rows its committed chunks counted: those are read again only to rebuild the error
            # file and the emails seen, and the counts go on from the summary stored with them.
            done, stored = self._resume_point()
            chunk: list[RawRow] = []
            for raw in self.reader:
                chunk.append(raw)
                if raw.number == done:
                    self._skip_committed(chunk, stored)
                    chunk = []
                elif len(chunk) >= self.chunk_rows:
                    if raw.number < done:
                        self._validate_again(chunk)
                    else:
                        self._chunk(chunk)
                    chunk = []
            if chunk:
                self._chunk(chunk)
        finally:
            gc.set_threshold(*thresholds)
            self.reader.close()
            self.errors.close()
        return self.summary()

    def summary(self) -> dict[str, Any]:
        c = self.counts
        error_file = ""
        if self.errors.count:
            try:
                error_file = str(self.error_path.relative_to(Path(settings.MEDIA_ROOT)))
            except ValueError:
                error_file = str(self.error_path)
        return {
            "created": c.created,
            "updated": c.updated,
            "merged": c.merged,
            "unchanged": c.unchanged,
            "rejected": c.rejected,
            "rows": c.rows,
            "ignored_columns": self.plan.ignored,
            "encoding": self.encoding_used,
            "error_file": error_file,
            "accounts_created": c.accounts_created,
            "dry_run": self.dry_run,
            "criteria_version": self.spec.version if self.spec else None,
        }

    def _validate(self, rows: list[RawRow]) -> list[_Group]:
        """normalize_submission per row; bad rows to the error file; good rows grouped by email."""
        groups: dict[str, _Group] = {}
        plan = self.plan
        for raw in rows:
            self.counts.rows += 1
            if raw.problem:
                self.counts.rejected += 1
                self.errors.add(raw, {"row": raw.problem}, {"row": raw.fix})
                continue
            sub = normalize_submission(plan.submission(raw.cells))
            if not sub.ok:
                self.counts.rejected += 1
                self.errors.add(raw, plan.named(sub.errors))
                continue
            key = sub.email_key
            group = groups.get(key)
            if group is None:
                group = groups[key] = _Group(key)
            group.rows.append(raw)
            group.subs.append(sub)
        ordered = list(groups.values())
        for group, seen in zip(ordered, self.seen.contains([g.email_key for g in ordered]), strict=True):
            group.seen_before = seen
        return ordered

    def _chunk(self, rows: list[RawRow]) -> None:
        groups = self._validate(rows)
        counts_before = ImportCounts(**vars(self.counts))
        if self.dry_run:
            self._apply(groups)
        else:
            for attempt in range(4):
                try:
                    with transaction.atomic():
                        updated_ids = self._apply(groups)
                        self._record_progress()
                    break
                except IntegrityError:
                    # Someone created one of these emails (API, form) after we looked: look again,
                    # those rows are now updates of that lead.
                    if attempt == 3:
                        raise
                    logger.info("import chunk conflicted with a concurrent write; retrying it")
                    self.counts = ImportCounts(**vars(counts_before))
                    self._load_accounts()
            if updated_ids and self.spec is not None:
                self._rescore(updated_ids)
        self.seen.add([g.email_key for g in groups])

    def _resume_point(self) -> tuple[int, dict[str, Any]]:
        """(rows already committed, their summary) for a job that ran before; (0, {}) otherwise."""
        if self.job is None or self.dry_run:
            return 0, {}
        done, stored = ImportJob.objects.values_list("rows_done", "summary").get(pk=self.job.pk)
        if done and stored.get("rows") == done:
            return done, stored
        return 0, {}

    def _validate_again(self, rows: list[RawRow]) -> None:
        """Rows an earlier run committed: their errors to the error file, their emails to ``seen``."""
        groups = self._validate(rows)
        self.seen.add([g.email_key for g in groups])

    def _skip_committed(self, rows: list[RawRow], stored: dict[str, Any]) -> None:
        self._validate_again(rows)
        self.counts = ImportCounts(**{name: stored.get(name, 0) for name in vars(ImportCounts())})
        logger.info("import job %s resumes after row %s", self.job.pk if self.job else None, self.counts.rows)

    def _record_progress(self) -> None:
        """Progress and heartbeat, in the chunk's transaction. The update matches only while this
        run still owns the job (its last heartbeat is the stored one): a run whose job was taken
        over as stale rolls its chunk back and stops."""
        if self.job is not None:
            beat = timezone.now()
            owned = ImportJob.objects.filter(
                pk=self.job.pk, status=ImportStatus.RUNNING, updated_at=self.job.updated_at
            ).update(rows_done=self.counts.rows, summary=self.summary(), updated_at=beat)
            if not owned:
                raise ImportTakenOver(f"Import job {self.job.pk} was taken over by another worker.")
            self.job.updated_at = beat

    def _rescore(self, lead_ids: list[int]) -> None:
        from accord.qualification.models import CriteriaSet
        from accord.qualification.services import criteria_rescore

        criteria_set = CriteriaSet.objects.get(pk=self.spec.id)
        for start in range(0, len(lead_ids), _ID_BATCH):
            result = criteria_rescore(
                criteria_set=criteria_set, lead_ids=lead_ids[start : start + _ID_BATCH], as_of=self.now
            )
            self.rescored += result.get("changed", 0)

    def _existing(self, keys: list[str]) -> dict[str, Lead]:
        """Leads already holding these emails, each resolved through merged_into to the survivor."""
        found: dict[str, Lead] = {}
        for start in range(0, len(keys), _ID_BATCH):
            qs = Lead.objects.filter(email_key__in=keys[start : start + _ID_BATCH]).select_related("source")
            if not self.dry_run and connection.features.has_select_for_update:
                qs = qs.select_for_update(of=("self",))
            found.update({lead.email_key: lead for lead in qs})
        pending = {lead.merged_into_id for lead in found.values() if lead.merged_into_id}
        survivors: dict[int, Lead] = {}
        while pending:
            qs = Lead.objects.filter(pk__in=pending).select_related("source")
            if not self.dry_run and connection.features.has_select_for_update:
                qs = qs.select_for_update(of=("self",))
            batch = {lead.pk: lead for lead in qs}
            survivors.update(batch)
            pending = {lead.merged_into_id for lead in batch.values() if lead.merged_into_id} - set(survivors)
        for key, lead in list(found.items()):
            hops = 0
            while lead.merged_into_id is not None and lead.merged_into_id in survivors and hops < 50:
                lead = survivors[lead.merged_into_id]
                hops += 1
            found[key] = lead
        return found

    def _apply(self, groups: list[_Group]) -> list[int]:
        """Plan and (unless a dry run) write one chunk. Returns the ids of updated leads."""
        existing = self._existing([g.email_key for g in groups])
        self.account_ids = IdPool(Account)
        self.new_accounts: list[tuple[Any, ...]] = []
        self.new_domains: list[tuple[str, int]] = []
        # One Lead object per surviving lead, shared when two emails lead to the same person.
        survivors: dict[int, Lead] = {}
        changed: dict[int, dict[str, list[Any]]] = {}
        change_rows: dict[int, list[int]] = {}
        new_leads: list[tuple[_Group, SimpleNamespace, dict[str, list[Any]], str]] = []
        for group in groups:
            lead = existing.get(group.email_key)
            first_rows = 0 if group.seen_before else 1
            self.counts.merged += len(group.rows) - first_rows
            if lead is None:
                if group.seen_before:
                    continue  # dry run: its lead would have been created by an earlier chunk
                ns, changes, how = self._plan_new(group)
                new_leads.append((group, ns, changes, how))
                self.counts.created += 1
                continue
            lead = survivors.setdefault(lead.pk, lead)
            mine: dict[str, list[Any]] = {}
            for sub in group.subs:
                _combine_changes(mine, lead_apply_fields(lead, sub, now=self.now))
            if lead.account_id is None and not self.dry_run:
                self._link_account(lead)
                if lead.account_id is not None:
                    mine["account"] = [None, lead.account_id]
            _combine_changes(changed.setdefault(lead.pk, {}), mine)
            change_rows.setdefault(lead.pk, []).extend(r.number for r in group.rows)
            if first_rows:
                if mine:
                    self.counts.updated += 1
                else:
                    self.counts.unchanged += 1
        updated_ids = [pk for pk, total in changed.items() if total]
        if self.keep_preview:
            self._keep_preview(new_leads, survivors)
        if self.dry_run:
            return []
        self._write_accounts()
        self._write_updates([survivors[pk] for pk in updated_ids], changed, change_rows)
        self._insert_new(new_leads)
        return updated_ids

    def _plan_new(self, group: _Group) -> tuple[SimpleNamespace, dict[str, list[Any]], str]:
        """A new lead as a plain namespace (no model instance): lead_apply_fields per row, account link."""
        first = group.subs[0]
        ns = SimpleNamespace(
            **_BLANK_LEAD,
            email=first.fields["email"],
            email_key=group.email_key,
            source=self.source,
            custom={},
            account=None,
            account_id=None,
        )
        if len(group.subs) == 1:  # the common case: nothing to combine
            changes = lead_apply_fields(ns, first, now=self.now)  # type: ignore[arg-type]
        else:
            changes = {}
            for sub in group.subs:
                _combine_changes(changes, lead_apply_fields(ns, sub, now=self.now))  # type: ignore[arg-type]
        if self.dry_run:
            found = self.index.match(email=ns.email, company=ns.company, website=ns.website)
            how = found.how
            if found.account_id is None and ns.company:
                self._fake_account_id -= 1
                self.index.remember(
                    self._fake_account_id, name_key=company_key(ns.company), domain=found.domain
                )
                self.accounts[self._fake_account_id] = (ns.company, ns.industry, ns.company_size, ns.country)
                self.counts.accounts_created += 1
                how = "created"
            ns.account_id = (
                found.account_id
                if found.account_id is not None
                else (self._fake_account_id if how == "created" else None)
            )
        else:
            how = self._link_account(ns)
        if ns.account_id is not None:
            changes["account"] = [None, ns.account_id]
        return ns, changes, how

    def _link_account(self, lead: Any) -> str:
        """``lead_link_account`` for a whole chunk: the same match, and the same account and domain
        rows when none matches, but with reserved ids and written in one statement per table by
        ``_write_accounts`` (no ORM ``create`` and ``get_or_create`` per new company)."""
        found = self.index.match(email=lead.email, company=lead.company, website=lead.website)
        if found.account_id is not None:
            lead.account_id = found.account_id
            return found.how
        if not lead.company:
            return found.how
        key = company_key(lead.company)
        pk = self.account_ids.take()
        values = dict(self.account_defaults)
        values.update(
            id=pk,
            name=lead.company,
            name_key=key,
            industry=lead.industry,
            size=lead.company_size,
            country=lead.country,
            website=lead.website,
        )
        self.new_accounts.append(tuple(values[c] for c in self.account_columns))
        if found.domain:
            self.new_domains.append((found.domain, pk))
        self.index.remember(pk, name_key=key, domain=found.domain)
        lead.account_id = pk
        self.accounts[pk] = (lead.company, lead.industry, lead.company_size, lead.country)
        self.counts.accounts_created += 1
        return "created"

    def _write_accounts(self) -> None:
        """The chunk's new accounts and their domains, before the leads that point at them."""
        if self.new_accounts:
            self.account_writer.write(self.new_accounts)
        if self.new_domains:
            table = connection.ops.quote_name(AccountDomain._meta.db_table)
            # get_or_create's semantics: a domain some account already has stays with it.
            if connection.vendor == "postgresql":
                sql = f"INSERT INTO {table} (domain, account_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
            else:
                sql = f"INSERT OR IGNORE INTO {table} (domain, account_id) VALUES (%s, %s)"
            with connection.cursor() as cursor:
                cursor.executemany(sql, self.new_domains)
        self.new_accounts = []
        self.new_domains = []

    def _write_updates(
        self, leads: list[Lead], changed: dict[int, dict[str, list[Any]]], change_rows: dict[int, list[int]]
    ) -> None:
        if not leads:
            return
        fields: set[str] = {"updated_at"}
        for lead in leads:
            names = set(changed[lead.pk])
            if "phone" in names:
                names.add("phone_key")
            if "account" in names:
                names.discard("account")
                names.add("account")
            fields |= names
            lead.updated_at = self.now
        Lead.objects.bulk_update(leads, sorted(fields), batch_size=500)
        events = []
        for lead in leads:
            payload = {
                "channel": Channel.IMPORT,
                "source": self.source.name if self.source else "",
                "changes": changed[lead.pk],
                "import_job": self.job.pk if self.job else None,
                "rows": change_rows.get(lead.pk, [])[:50],
            }
            events.append(self._event_row("lead.updated", lead.pk, "", payload))
        self.event_writer.write(events)
        audit_bulk_changes(
            Lead,
            [
                BulkChange(lead.pk, ChangeAction.UPDATE, changes=changed[lead.pk], object_repr=str(lead))
                for lead in leads
            ],
            actor=self.actor,
            channel=AuditChannel.IMPORT,
            occurred_at=self.now,
        )

    def _event_row_json(self, type_: str, subject_id: int, stage: str, payload: str) -> tuple[Any, ...]:
        """An event row whose payload is already JSON text (``_event_row`` with the encoding done)."""
        template = self._event_template
        if template is None:
            row = self._event_row(type_, subject_id, stage, {})
            columns = self.event_columns
            positions = [columns.index(c) for c in ("type", "subject_id", "stage", "payload")]
            template = self._event_template = (list(row), positions)
        values, (i_type, i_subject, i_stage, i_payload) = template
        row = values.copy()
        row[i_type] = type_
        row[i_subject] = subject_id
        row[i_stage] = stage
        row[i_payload] = payload
        return tuple(row)

    def _event_row(self, type_: str, subject_id: int, stage: str, payload: dict[str, Any]) -> tuple[Any, ...]:
        values = {
            "type": type_,
            "subject_type": "lead",
            "subject_id": subject_id,
            "actor_id": self.actor.pk if self.actor else None,
            "channel": Channel.IMPORT,
            "occurred_at": self.stamp,
            "stage": stage,
            "payload": _json_db(payload),
        }
        return tuple(values[c] for c in self.event_columns)

    def _evaluate(
        self, new_leads: list[tuple[_Group, SimpleNamespace, dict[str, list[Any]], str]]
    ) -> list[Any]:
        """Bulk qualification of the chunk's new leads: one Evaluation (or None) per lead, in order."""
        if self.spec is None or not new_leads:
            return [None] * len(new_leads)
        import polars as pl

        from accord.qualification.bulk import evaluate_frame, explanations
        from accord.qualification.engine import Evaluation
        from accord.qualification.fields import FIELDS

        spec = self.spec
        wanted = sorted({r.field for r in spec.rules if r.kind != "engagement"})
        source_name = self.source.name if self.source else None
        # Column by column, only the fields the rules read, with record_from_values' conversions.
        namespaces = [ns for _, ns, _, _ in new_leads]
        accounts = [
            self.accounts.get(ns.account_id) if ns.account_id is not None else None for ns in namespaces
        ]
        columns: dict[str, list[Any]] = {
            name: _record_column(name, namespaces, accounts, source_name) for name in wanted
        }
        schema: dict[str, Any] = {"lead_key": pl.Int64}
        for name in wanted:
            schema[name] = pl.Int64 if name in FIELDS and FIELDS[name].type == "number" else pl.String
        records = pl.DataFrame({"lead_key": list(range(len(new_leads))), **columns}, schema=schema)
        activities = None
        if any(r.kind == "engagement" for r in spec.rules):
            activities = pl.DataFrame(
                {
                    "lead_key": list(range(len(new_leads))),
                    "kind": [g.subs[0].activity for g, _, _, _ in new_leads],
                    "channel": [Channel.IMPORT.value] * len(new_leads),
                    "occurred_at": [self.now.astimezone(UTC)] * len(new_leads),
                },
                schema={
                    "lead_key": pl.Int64,
                    "kind": pl.String,
                    "channel": pl.String,
                    "occurred_at": pl.Datetime("us", "UTC"),
                },
            )
        result = evaluate_frame(spec, records, activities, self.now).sort("lead_key")
        texts = explanations(spec, result)  # one text per distinct verdict, shared
        out = []
        verdicts = result.select("fit", "engagement", "score", "decision").iter_rows()
        for (fit, engagement, score, decision), text in zip(verdicts, texts, strict=True):
            # Only what the intake event and next_stage read; the matched rules are in the text.
            out.append(
                Evaluation(
                    version=spec.version,
                    criteria_id=spec.id,
                    fit=fit,
                    engagement=engagement,
                    score=score,
                    decision=decision,
                    matched=(),
                    explanation=text,
                )
            )
        return out

    def _insert_new(self, new_leads: list[tuple[_Group, SimpleNamespace, dict[str, list[Any]], str]]) -> None:
        from accord.leads.intake import evaluation_payload
        from accord.qualification.selectors import next_stage

        if not new_leads:
            return
        evaluations = self._evaluate(new_leads)
        ids = ids_reserve(Lead, len(new_leads))
        columns = self.lead_columns
        # One template row with the defaults; each lead overwrites its own columns by position.
        template = [self.lead_defaults.get(c) for c in columns]
        at = {c: i for i, c in enumerate(columns)}
        field_at = [(name, at[name]) for name in UPDATABLE_FIELDS]
        (
            i_id,
            i_email,
            i_email_key,
            i_phone_key,
            i_consent,
            i_consent_source,
            i_consent_at,
            i_custom,
            i_account,
            i_stage_changed,
            i_stage,
            i_score,
            i_fit,
            i_engagement,
            i_criteria,
            i_explanation,
            i_scored,
        ) = (
            at[c]
            for c in (
                "id",
                "email",
                "email_key",
                "phone_key",
                "consent",
                "consent_source",
                "consent_at",
                "custom",
                "account_id",
                "stage_changed_at",
                "stage",
                "score",
                "fit_score",
                "engagement_score",
                "criteria_version_id",
                "explanation",
                "scored_at",
            )
        )
        adapt = connection.ops.adapt_datetimefield_value
        lead_rows = []
        event_rows = []
        stages = []
        source_name = self.source.name if self.source else ""
        # The event payload is json.dumps of one dict; its constant parts are encoded once and the
        # text is put together in the same key order (the same text json.dumps would give).
        head = (
            '{"created": true, "channel": '
            + json.dumps(Channel.IMPORT.value)
            + ', "source": '
            + json.dumps(source_name)
            + ', "activity": '
        )
        ignored = ', "ignored_fields": ' + json.dumps(self.ignored_payload)
        tail = ', "import_job": ' + json.dumps(self.job.pk if self.job else None) + "}"
        dumps = json.dumps
        activities: dict[str, str] = {}
        verdicts: dict[tuple[Any, ...], tuple[str, str]] = {}  # scoring -> (stage, payload part)
        stamp = self.stamp
        for pk, (group, ns, changes, how), evaluation in zip(ids, new_leads, evaluations, strict=True):
            row = template.copy()
            for name, i in field_at:
                row[i] = getattr(ns, name)
            row[i_id] = pk
            row[i_email] = ns.email
            row[i_email_key] = ns.email_key
            row[i_phone_key] = ns.phone_key
            row[i_consent] = ns.consent
            row[i_consent_source] = ns.consent_source
            row[i_consent_at] = adapt(ns.consent_at) if ns.consent_at else None
            if ns.custom:
                row[i_custom] = dumps(ns.custom)
            row[i_account] = ns.account_id
            row[i_stage_changed] = stamp
            if evaluation is not None:
                scoring = evaluation_payload(evaluation)
                key = tuple(scoring.values())
                found = verdicts.get(key)
                if found is None:
                    found = verdicts[key] = (
                        str(next_stage(Stage.INQUIRY, evaluation)),
                        ", " + dumps(scoring)[1:-1],
                    )
                stage, scoring_text = found
                row[i_stage] = stage
                row[i_score] = evaluation.score
                row[i_fit] = evaluation.fit
                row[i_engagement] = evaluation.engagement
                row[i_criteria] = evaluation.criteria_id
                row[i_explanation] = evaluation.explanation
                row[i_scored] = stamp
            else:
                stage, scoring_text = Stage.INQUIRY.value, ""
                row[i_stage] = stage
                row[i_explanation] = NOT_SCORED
            lead_rows.append(row)
            stages.append(stage)
            activity = group.subs[0].activity
            activity_text = activities.get(activity)
            if activity_text is None:
                activity_text = activities[activity] = dumps(activity)
            payload = (
                head
                + activity_text
                + ', "changes": '
                + dumps(changes)
                + ', "account_match": '
                + dumps(how)
                + ignored
                + scoring_text
                + tail
            )
            event_rows.append(self._event_row_json("lead.intake", pk, stage, payload))
        self.lead_writer.write(lead_rows)
        self.event_writer.write(event_rows)
        self._audit_created(lead_rows)
        self._touch_and_hand_off(ids, new_leads, stages)

    def _audit_created(self, lead_rows: list[list[Any]]) -> None:
        """One 'create' audit record per new lead with its tracked non-empty values, as a save through
        the API leaves (values as stored: ids for related rows)."""
        if self._audit_columns is None:
            tracked = audit_tracked_fields(Lead)
            self._audit_columns = [
                (f.name, self.lead_columns.index(f.column))
                for f in Lead._meta.concrete_fields
                if f.name in tracked
            ]
        prefixes = _created_prefixes(self._audit_columns)
        i_id, i_email = self.lead_columns.index("id"), self.lead_columns.index("email")
        items = [
            BulkChange(
                row[i_id],
                ChangeAction.CREATE,
                changes_json=_created_changes_json(row, prefixes),
                object_repr=row[i_email],
            )
            for row in lead_rows
        ]
        audit_bulk_changes(Lead, items, actor=self.actor, channel=AuditChannel.IMPORT, occurred_at=self.now)

    def _touch_and_hand_off(self, ids: list[int], new_leads: list[Any], stages: list[str]) -> None:
        """The intake pipeline's last steps, in bulk: one campaign touch per new lead (as its one
        intake event), and new MQLs (no owner yet) handed to routing once the chunk commits."""
        from accord.campaigns.services import UTM_FIELDS, IntakeTouch, touchpoints_record_from_intake_bulk
        from accord.sla.external import mql_hand_off_many
        from accord.sla.nurture import nurture_tracks_start

        source_id = self.source.pk if self.source else None
        touchpoints_record_from_intake_bulk(
            (
                IntakeTouch(
                    lead_id=pk,
                    activity=group.subs[0].activity,
                    channel=Channel.IMPORT.value,
                    occurred_at=self.now,
                    utm={name: str(group.subs[0].fields.get(name) or "") for name in UTM_FIELDS},
                    source_id=source_id,
                )
                for pk, (group, _, _, _) in zip(ids, new_leads, strict=True)
            ),
            new_leads=True,
        )
        self._hand_to_webhooks(ids)
        new_mqls = [pk for pk, stage in zip(ids, stages, strict=True) if stage == Stage.MQL]
        if new_mqls:
            # As the per-record hand-off does: the external review first when switched on, else routing.
            mql_hand_off_many(new_mqls)
        new_nurture = [pk for pk, stage in zip(ids, stages, strict=True) if stage == Stage.NURTURE]
        if new_nurture:
            nurture_tracks_start(lead_ids=new_nurture, entered_at=self.now)  # their re-check dates

    def _hand_to_webhooks(self, ids: list[int]) -> None:
        """The intake events this chunk wrote with raw SQL go to outgoing webhooks like any other
        (after commit). Looked up only when some endpoint is active, so imports without webhooks
        pay one cheap query per chunk."""
        from accord.core.events import events_hand_to_webhooks, events_have_listeners

        if not ids or not events_have_listeners():
            return
        events_hand_to_webhooks(
            list(
                Event.objects.filter(
                    subject_type="lead",
                    subject_id__range=(min(ids), max(ids)),  # a range, not 20,000 parameters
                    type="lead.intake",
                    channel=Channel.IMPORT,
                    occurred_at=self.now,
                ).only("id", "type")
            )
        )

    def _keep_preview(self, new_leads: list[Any], survivors: dict[int, Lead]) -> None:
        for group, ns, _, how in new_leads:
            if len(self.preview) >= self.keep_preview:
                return
            self.preview.append(
                {
                    "row": group.rows[0].number,
                    "action": "create",
                    "email": ns.email,
                    "fields": {
                        n: getattr(ns, n) for n in UPDATABLE_FIELDS if getattr(ns, n) not in ("", None)
                    },
                    "custom": dict(ns.custom),
                    "account_match": how or "none",
                }
            )


def leads_import(
    *,
    path: Path | str,
    source: Source | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str = "",
    dry_run: bool = False,
    actor: Any = None,
    job: ImportJob | None = None,
    error_path: Path | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Import a CSV file of leads; returns the summary (see the module docstring for the counts)."""
    return LeadImport(
        path=path,
        source=source,
        mapping=mapping,
        encoding=encoding,
        dry_run=dry_run,
        actor=actor,
        job=job,
        error_path=error_path,
        now=now,
    ).run()


# --- sources and jobs ----------------------------------------------------------------------------------


def import_source_default() -> Source:
    """The 'CSV import' source (kind import), created on first use."""
    from accord.leads.services import source_create

    found = Source.objects.filter(name__iexact=DEFAULT_SOURCE_NAME).first()
    if found is not None:
        return found
    try:
        return source_create(name=DEFAULT_SOURCE_NAME, kind=SourceKind.IMPORT)
    except Conflict:
        return Source.objects.get(name__iexact=DEFAULT_SOURCE_NAME)


def import_job_create(
    *, uploaded: Any, source: Source | None, encoding: str = "", actor: Any = None
) -> ImportJob:
    """Store an uploaded file as a pending import job (the header must be readable)."""
    encoding = (encoding or "").strip()
    encoding_resolve(encoding)
    name = os.path.basename(getattr(uploaded, "name", "") or "import.csv")[:255]
    job = ImportJob(
        original_name=name,
        encoding=encoding,
        source=source,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    job.file.save(f"{timezone.now():%Y%m%d-%H%M%S}-{name}", uploaded, save=False)
    try:
        encoding_check(job.file.path, encoding)
        header = csv_header(job.file.path, encoding)
    except ImportFileError:
        default_storage.delete(job.file.name)
        raise
    job.mapping = mapping_default(header)
    job.save()
    return job


def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Record the column mapping chosen on the mapping page (checked against the file's header)."""
    if job.status != ImportStatus.PENDING or job.rows_done:
        raise Conflict("This import has already started; its mapping can no longer change.")
    header = csv_header(job.file.path, job.encoding)
    mapping_plan(header, mapping)
    job.mapping = {c: mapping.get(c, "") for c in header}
    job.save(update_fields=["mapping", "updated_at"])
    return job


def import_job_preview(*, job: ImportJob, rows: int = 20) -> dict[str, Any]:
    """A dry run over the whole file: the counts, the first rows as they will be stored, the first errors."""
    error_path = Path(settings.MEDIA_ROOT) / f"imports/errors/job-{job.pk}-preview-errors.csv"
    run = LeadImport(
        path=job.file.path,
        source=job.source,
        mapping=job.mapping or None,
        encoding=job.encoding,
        dry_run=True,
        error_path=error_path,
        keep_preview=rows,
    )
    summary = run.run()
    ImportJob.objects.filter(pk=job.pk).update(rows_total=summary["rows"])
    return {"summary": summary, "rows": run.preview, "errors": run.errors.first}


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a pending (or failed) import job; a job that is running or done is left alone.

    A job that ran before (a failed run, a worker that was killed) goes on after the rows its
    committed chunks counted, with the counts it had (``LeadImport.run``).
    """
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportStatus.PENDING, ImportStatus.FAILED]
    ).update(status=ImportStatus.RUNNING, error_message="", updated_at=timezone.now())
    job = ImportJob.objects.select_related("source", "created_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        summary = leads_import(
            path=job.file.path,
            source=job.source,
            mapping=job.mapping or None,
            encoding=job.encoding,
            actor=job.created_by,
            job=job,
        )
    except ImportTakenOver:
        logger.warning("import job %s was taken over by another worker; this run stops", job_id)
        job.refresh_from_db()
        return job
    except ApplicationError as exc:
        _job_fail(job, exc.message)
        return job
    except Exception as exc:  # the job must say what went wrong whatever it was
        logger.exception("import job %s failed", job_id)
        _job_fail(job, _failure_message(exc, job))
        return job
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING, updated_at=job.updated_at).update(
        status=ImportStatus.DONE,
        summary=summary,
        rows_done=summary["rows"],
        rows_total=summary["rows"],
        error_file=summary["error_file"] or "",
        finished_at=now,
        updated_at=now,
    )
    job.refresh_from_db()
    return job


def _disk_full(exc: BaseException | None) -> str:
    """What could not be written when ``exc`` (or its cause) says the disk is full; '' otherwise."""
    import errno

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            return f"the file {exc.filename}" if exc.filename else "a file (the error report)"
        text = str(exc).lower()
        if type(exc).__name__ == "DiskFull" or any(
            needle in text
            for needle in ("database or disk is full", "disk i/o error", "no space left", "could not extend")
        ):
            return "the database"
        exc = exc.__cause__ or exc.__context__
    return ""


def _failure_message(exc: Exception, job: ImportJob) -> str:
    try:
        done = ImportJob.objects.values_list("rows_done", flat=True).get(pk=job.pk)
    except Exception:  # the database may be what failed
        done = None
    kept = f"The {done} rows imported before it are kept" if done else "Rows imported before it are kept"
    what = _disk_full(exc)
    if what:
        return (
            f"The import stopped because {what} could not be written: the disk is full (or a file size "
            f"limit was reached). {kept} and no row was half-written. Free some disk space, then run "
            f"the import again: it goes on after the imported rows. ({type(exc).__name__}: {exc})"
        )
    return (
        f"The import stopped unexpectedly ({type(exc).__name__}: {exc}). {kept}; run it again to "
        "import the rest (it goes on after the imported rows)."
    )


def _job_fail(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.FAILED,
        error_message=message,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    job.refresh_from_db()


def import_jobs_resume_stale(*, now: datetime | None = None) -> list[int]:
    """Put back in the queue the jobs left RUNNING by a worker that stopped (killed, power cut).

    A running job's heartbeat (``updated_at``) moves with every chunk it commits; one older than
    ``ACCORD_IMPORT_STALE_SECONDS`` has no worker. Each is claimed with a compare-and-set UPDATE on
    that heartbeat, so however many workers sweep at once one of them requeues it, and a run that
    was only slow finds its job taken over at its next chunk and stops (``ImportTakenOver``).
    Called when a worker starts and by the periodic sweep. Returns the ids requeued.
    """
    from datetime import timedelta

    from accord.leads.tasks import import_job_run_task

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ACCORD_IMPORT_STALE_SECONDS)
    stale = ImportJob.objects.filter(status=ImportStatus.RUNNING, updated_at__lt=cutoff)
    requeued: list[int] = []
    for pk, beat in stale.values_list("pk", "updated_at"):
        with transaction.atomic():
            claimed = ImportJob.objects.filter(pk=pk, status=ImportStatus.RUNNING, updated_at=beat).update(
                status=ImportStatus.PENDING, updated_at=now
            )
            if claimed:
                import_job_run_task.enqueue(pk)  # in the same transaction (the database queue)
                requeued.append(pk)
    for pk in requeued:
        logger.warning("import job %s had no worker; it goes on after the rows already imported", pk)
    return requeued


def import_job_retry(*, job: ImportJob) -> ImportJob:
    """Put a failed job back in the queue; it goes on after the rows it already imported."""
    if job.status != ImportStatus.FAILED:
        raise Conflict("Only a failed import can be run again.")
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.FAILED).update(status=ImportStatus.PENDING)
    job.refresh_from_db()
    return job
