"""An import at scale: the next chunk read while the database works on this one (``ReadAhead``), and
the lead table's statistics kept fresh as it grows."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import transaction

from accord.intake.importing.ahead import ReadAhead
from accord.intake.importing.engine import LeadImport
from accord.leads.models import Lead

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "accord-read-ahead"]


def test_items_come_in_order_and_never_more_than_one_ahead():
    made: list[int] = []
    taken: list[int] = []

    def items():
        for i in range(6):
            made.append(i)
            yield i

    ahead = ReadAhead(items())
    for item in ahead:
        time.sleep(0.01)  # time for the thread to run ahead, were it let
        assert len(made) <= len(taken) + 2  # the item held, and at most the next
        taken.append(item)
    ahead.close()
    assert taken == list(range(6))


def test_allow_lets_the_next_item_be_made_while_the_consumer_works():
    made = threading.Event()

    def items():
        yield "first"
        made.set()
        yield "second"

    ahead = ReadAhead(items())
    assert next(ahead) == "first"
    time.sleep(0.1)
    assert not made.is_set()  # not let in yet
    ahead.allow()
    assert _soon(made.is_set)
    assert next(ahead) == "second"
    ahead.close()


def _soon(condition) -> bool:
    """Polled with sleeps: a timed wait on a lock never times out under faketime's shifted clock
    (CI runs the suite on a faked date), while sleeping works."""
    for _ in range(500):
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_an_error_comes_after_every_item_before_it_and_ends_the_iteration():
    def items():
        yield 1
        yield 2
        raise ValueError("line 7: bad bytes")

    ahead = ReadAhead(items())
    got = []
    with pytest.raises(ValueError, match="line 7"):
        for item in ahead:
            got.append(item)
    assert got == [1, 2]
    with pytest.raises(StopIteration):
        next(ahead)
    ahead.close()
    assert not _alive()


def test_close_stops_the_thread_midway():
    def items():
        yield from range(1_000_000)

    ahead = ReadAhead(items())
    assert next(ahead) == 0
    ahead.close()
    assert not _alive()


ROWS = (
    "Email,First Name,Last Name,Company,Employees,Phone\n"
    + "".join(f"p{i}@acme{i % 7}.com,P{i},Last{i},Acme {i % 7},{i},+44 20 7946 {i:04d}\n" for i in range(230))
    + "not-an-email,Bad,Row,,,\n"
    + "p5@acme5.com,,Later,,,\n"  # a row of an email from the first chunk
    + "p250@acme1.com,Quinn,,Acme 1,lots,\n"  # a bad optional value: kept with a warning
    + "P7@ACME0.COM,Again,,,,\n"
)


def _run(tmp_path: Path, *, read_ahead: bool) -> tuple[dict, str, list[tuple]]:
    path = tmp_path / "leads.csv"
    path.write_text(ROWS, encoding="utf-8")
    errors = tmp_path / ("ahead" if read_ahead else "inline") / "errors.csv"
    with transaction.atomic():
        summary = LeadImport(
            path=path, source=None, now=NOW, error_path=errors, chunk_rows=100, read_ahead=read_ahead
        ).run()
        leads = sorted(
            Lead.objects.values_list(
                "email_key", "first_name", "last_name", "company_size", "phone_key", "stage", "account__name"
            )
        )
        transaction.set_rollback(True)
    return summary, errors.read_text(encoding="utf-8"), leads


def test_an_import_reading_ahead_ends_exactly_like_one_reading_inline(db, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    inline = _run(tmp_path, read_ahead=False)
    ahead = _run(tmp_path, read_ahead=True)
    assert ahead[0]["error_file"] == "ahead/errors.csv"
    ahead[0]["error_file"] = inline[0]["error_file"]
    assert ahead == inline
    summary, error_file, leads = ahead
    assert (summary["rows"], summary["created"], summary["merged"], summary["rejected"]) == (234, 231, 2, 1)
    assert summary["kept_with_warnings"] == 1
    assert "not-an-email" in error_file and "lots" in error_file
    assert ("p5@acme5.com", "P5", "Later", 5, "+442079460005", "inquiry", "Acme 5") in leads
    assert not _alive()


def test_a_failing_chunk_stops_the_reading_thread_too(db, tmp_path, monkeypatch):
    path = tmp_path / "leads.csv"
    path.write_text(ROWS, encoding="utf-8")

    def fail(self, groups):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(LeadImport, "_chunk", fail)
    run = LeadImport(
        path=path, source=None, now=NOW, error_path=tmp_path / "e.csv", chunk_rows=100, read_ahead=True
    )
    with pytest.raises(RuntimeError, match="went away"):
        run.run()
    assert not _alive()


def test_a_large_import_refreshes_the_lead_tables_statistics_as_it_grows_on_postgresql(
    db, tmp_path, monkeypatch
):
    from django.db import connection

    from accord.intake.importing import engine

    if connection.vendor != "postgresql":
        pytest.skip("SQLite plans without statistics")
    monkeypatch.setattr(engine, "ANALYZE_FROM_ROWS", 50)
    analysed: list[int] = []
    original = LeadImport._statistics_refresh

    def watch(self):
        before = self._analyzed
        original(self)
        if self._analyzed is not before and self._analyzed and self._analyzed[1]:
            analysed.append(self._analyzed[0])

    monkeypatch.setattr(LeadImport, "_statistics_refresh", watch)
    path = tmp_path / "leads.csv"
    path.write_text(ROWS, encoding="utf-8")
    LeadImport(path=path, source=None, now=NOW, error_path=tmp_path / "e.csv", chunk_rows=50).run()
    # Doubling from 100 rows: analysed after the 2nd chunk (100 leads) and the 4th (200), not each.
    assert analysed == [100, 200]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'leads_lead'::regclass")
        assert cursor.fetchone()[0] == 200
        # Only the columns the chunk's look-ups filter on (the other columns' statistics, most of an
        # ANALYZE's cost on a wide table, wait for the finished import's).
        cursor.execute("SELECT attname FROM pg_stats WHERE tablename = 'leads_lead'")
        assert {name for (name,) in cursor.fetchall()} == {"id", "phone_key", "merged_into_id", "account_id"}
