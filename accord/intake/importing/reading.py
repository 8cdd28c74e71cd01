"""Reading an import file: the encoding check, separator and quote handling, and the CSV reader
(``CsvRows``) that yields each data row with its line number."""

from __future__ import annotations

import codecs
import collections
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from accord.core.errors import ApplicationError
from accord.leads.normalize import clean_text


class ImportFileError(ApplicationError):
    """The file as a whole cannot be imported (unreadable, wrong encoding, no header)."""


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
