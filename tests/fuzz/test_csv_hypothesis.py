"""Hypothesis over the CSV import parser (dry runs) and over normalize_submission.

* Arbitrary bytes, in any of the encodings the upload page offers, either import (dry run) or fail
  with ImportFileError / ApplicationError (the documented, user-facing errors), never anything else.
* Every data row is counted exactly once: created + updated + unchanged + merged + rejected == rows.
* Well-formed files written with any quoting and line ending, with ragged rows and duplicate emails,
  give exactly the counts an independent reading predicts (with an empty database and a dry run:
  first valid row of an email -> created, later ones -> merged, invalid or ragged -> rejected),
  across chunk boundaries too.
* normalize_submission never raises, whatever keys and values a form or API body carries.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from accord.core.errors import ApplicationError
from accord.intake.importing.engine import LeadImport, leads_import
from accord.intake.importing.reading import CsvRows, ImportFileError
from accord.leads.normalize import normalize_submission

COUNTS = ("created", "updated", "unchanged", "merged", "rejected")
ENCODINGS = ["", "utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le"]

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _write(data: bytes) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="fuzz-", suffix=".csv", delete=False)  # noqa: SIM115
    with handle:
        handle.write(data)
    return Path(handle.name)


def _dry_run(data: bytes, encoding: str = "", chunk_rows: int | None = None) -> dict:
    path = _write(data)
    errors = path.with_suffix(".errors.csv")
    try:
        return LeadImport(
            path=path, source=None, encoding=encoding, dry_run=True, error_path=errors, chunk_rows=chunk_rows
        ).run()
    finally:
        path.unlink(missing_ok=True)
        errors.unlink(missing_ok=True)


def _assert_counted_once(summary: dict) -> None:
    assert all(summary[k] >= 0 for k in (*COUNTS, "rows")), summary
    assert sum(summary[k] for k in COUNTS) == summary["rows"], summary
    assert summary["dry_run"] is True


# --- arbitrary bytes ------------------------------------------------------------------------------

HEADERS = st.sampled_from([b"email\n", b"Email,First Name,Company\r\n", b"\xef\xbb\xbfemail,phone\n", b""])
CSVISH = st.lists(
    st.sampled_from(
        [b",", b'"', b'""', b"\n", b"\r\n", b"\r", b"a@b.example", b"x", b" ", b"\x00", b"\xff", b"\xe9"]
    ),
    max_size=40,
).map(b"".join)


@FUZZ
@given(head=HEADERS, body=st.one_of(CSVISH, st.binary(max_size=300)), encoding=st.sampled_from(ENCODINGS))
@example(head=b"email\n", body=b'"a@b.example\n', encoding="")  # a quote left open to the end
@example(head=b"email\n", body=b"a@b.example\x00\n", encoding="")
@example(head=b"", body=b"\xff\xfe", encoding="")
def test_arbitrary_bytes_import_or_fail_cleanly(db, head, body, encoding):
    try:
        summary = _dry_run(head + body, encoding)
    except ImportFileError:
        return
    except ApplicationError:  # a header the mapping cannot use (e.g. a custom column name)
        return
    _assert_counted_once(summary)


@FUZZ
@given(data=st.binary(max_size=300), encoding=st.sampled_from(ENCODINGS))
def test_csv_rows_yields_or_raises_import_file_error(data, encoding):
    """The parser alone (no database): rows are numbered 1, 2, 3 ... in order, each once."""
    path = _write(data)
    try:
        try:
            reader = CsvRows(path, encoding)
            numbers = [raw.number for raw in reader]
        except ImportFileError:
            return
        except UnicodeError:
            # encoding_check runs before CsvRows in an import and rejects such files first.
            return
        assert numbers == list(range(1, len(numbers) + 1))
    finally:
        path.unlink(missing_ok=True)


def test_utf16_without_byte_order_mark_is_an_import_file_error(db):
    with pytest.raises(ImportFileError):
        _dry_run("email\na@b.example\n".encode("utf-16-le"), "utf-16")


# --- well-formed files: exact counts -----------------------------------------------------------------

HEADER = ["email", "first_name", "company", "company_size", "consent", "favourite_colour"]
EMAILS = st.sampled_from(
    ["ann@acme.example", "ANN@acme.example", "bob@bank.example", "c@x.io", "not-an-email", ""]
)
CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
SIZES = st.sampled_from(["", "250", "1,000", "201-500", "lots", "99999999999"])
CONSENTS = st.sampled_from(["", "yes", "no", "true", "maybe"])


@st.composite
def csv_rows(draw):
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(EMAILS), draw(CELL), draw(CELL), draw(SIZES), draw(CONSENTS), draw(CELL)]
        if draw(st.integers(0, 5)) == 0:  # ragged: too few or too many fields
            row = row[: draw(st.integers(1, 5))] if draw(st.booleans()) else [*row, draw(CELL)]
        rows.append(row)
    return rows


def _expected(rows: list[list[str]]) -> dict:
    """What a dry run into an empty database must say, computed without the import's own code path."""
    created, merged, rejected = 0, 0, 0
    seen: set[str] = set()
    for row in rows:
        if len(row) > len(HEADER) and not any(c.strip() for c in row[len(HEADER) :]):
            row = row[: len(HEADER)]  # only empty cells beyond the header: a padded row, read
        if len(row) != len(HEADER):
            rejected += 1
            continue
        # A bad optional cell (a company size of "x") drops that value and keeps the row, as the import does.
        sub = normalize_submission(
            {h: c for h, c in zip(HEADER, row, strict=True) if c.strip()}, lenient=True
        )
        if not sub.ok:
            rejected += 1
        elif sub.email_key in seen:
            merged += 1
        else:
            seen.add(sub.email_key)
            created += 1
    return {"created": created, "updated": 0, "unchanged": 0, "merged": merged, "rejected": rejected,
            "rows": len(rows)}  # fmt: skip


@FUZZ
@given(
    rows=csv_rows(),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    newline=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["", "utf-8-sig", "utf-16"]),
    chunk_rows=st.sampled_from([None, 1, 3]),
)
def test_well_formed_files_count_every_row_exactly_once(db, rows, quoting, newline, encoding, chunk_rows):
    # A row of one empty cell is written as "" (quoted), which the reader keeps; a row of nothing
    # would be a blank line, which the reader skips by design.
    assume(all(row for row in rows))
    # csv.writer quotes a cell holding the line terminator's characters only: a bare CR in an
    # unquoted cell of a LF file is a line break to any reader, so that file is not well-formed.
    if quoting == csv.QUOTE_MINIMAL and newline == "\n":
        assume(not any("\r" in cell for row in rows for cell in row))
    text = io.StringIO()
    writer = csv.writer(text, quoting=quoting, lineterminator=newline)
    writer.writerow(HEADER)
    writer.writerows(rows)
    data = text.getvalue().encode(encoding or "utf-8")
    summary = _dry_run(data, encoding, chunk_rows)
    _assert_counted_once(summary)
    assert {k: summary[k] for k in (*COUNTS, "rows")} == _expected(rows)


def test_a_dry_run_of_a_ragged_file_writes_nothing(db):
    from accord.leads.models import Lead

    summary = leads_import(
        path=_write(b'email,company\na@b.example,Acme\nc@d.example\n"e@f.example,x\n'), dry_run=True,
        error_path=Path(tempfile.gettempdir()) / "fuzz-ragged-errors.csv",
    )  # fmt: skip
    _assert_counted_once(summary)
    assert summary["rows"] >= 2
    assert not Lead.objects.exists()


# --- normalize_submission ----------------------------------------------------------------------------

FIELD_NAMES = st.sampled_from(
    ["email", "Email", "E-Mail", "first_name", "FirstName", "company", "company_size", "employees", "consent",
     "consent_at", "email_opt_out", "activity", "phone", "website", "message", "custom.colour", "custom_x",
     "custom.", "utm_source", "hs_context", "__proto__", "\ufeffemail", "email ", ""]
)  # fmt: skip
VALUES = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(max_size=2000),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.lists(st.text(max_size=10), max_size=3),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    st.sampled_from(
        [
            "a@b.example",
            " <A@B.Example> ",
            "2026-05-01T10:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "yes",
            "no",
            "1,000",
            "201-500",
            "+44 20 7946 0958",
        ]
    ),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    data=st.dictionaries(st.one_of(FIELD_NAMES, st.text(max_size=20), st.integers()), VALUES, max_size=8),
    required=st.sampled_from([("email",), (), ("email", "company")]),
)
def test_normalize_submission_never_raises(data, required):
    sub = normalize_submission(data, required=required)
    assert sub.ok == (not sub.errors)
    assert isinstance(sub.email_key, str)
    for name in required:
        assert sub.fields.get(name) or name in sub.errors
    if sub.ok and "email" in sub.fields:
        assert sub.fields["email"] == sub.fields["email"].strip().lower()


@pytest.mark.parametrize("value", [None, "", "   ", "\x00", "a@", "@b.example", "a b@c.example"])
def test_normalize_submission_reports_a_missing_or_bad_email(value):
    sub = normalize_submission({"email": value})
    assert "email" in sub.errors
