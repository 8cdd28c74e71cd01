"""An import at scale: the next chunk read while the database works on this one (``ReadAhead``) and
planned while this one commits, and the lead table's statistics kept fresh as it grows."""

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
    return [
        t
        for t in threading.enumerate()
        if t.name == "accord-read-ahead" or t.name.startswith("accord-import-plan")
    ]


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

    def fail(self, groups, plan):
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


# --- the next chunk planned while this one commits ---------------------------------------------------

TWO_CHUNKS = (
    "Email,First Name,Last Name,Company,Favourite Product\n"
    "ada@acme.com,Ada,Lovelace,Acme,Beacon\n"
    "bob@beta.io,Bob,Babbage,Beta,\n"
    # The second chunk: a lead of the first (a custom field changes in place), and a new one.
    "ada@acme.com,,Later,,Harbour\n"
    "cy@gamma.io,Cy,Cerf,Gamma,\n"
)


def _two_chunks(tmp_path: Path, monkeypatch, meanwhile=None) -> tuple[dict, list[str]]:
    """The two-chunk file imported reading ahead; ``meanwhile`` runs in the first chunk's transaction
    right after the second chunk's plan was started. Returns the summary and how each chunk was
    planned ("ahead" or "here")."""
    planned: list[str] = []
    plan_ahead, plan_here = LeadImport._plan_ahead, LeadImport._plan_here

    def ahead(self):
        future = plan_ahead(self)
        if future is not None:
            planned.append("ahead")
            if meanwhile is not None:
                meanwhile()
        return future

    def here(self, groups):
        planned.append("here")
        return plan_here(self, groups)

    monkeypatch.setattr(LeadImport, "_plan_ahead", ahead)
    monkeypatch.setattr(LeadImport, "_plan_here", here)
    path = tmp_path / "leads.csv"
    path.write_text(TWO_CHUNKS, encoding="utf-8")
    summary = LeadImport(
        path=path, source=None, now=NOW, error_path=tmp_path / "e.csv", chunk_rows=2, read_ahead=True
    ).run()
    return summary, planned


def test_the_next_chunk_is_planned_while_this_one_commits_and_its_accounts_get_real_ids(
    db, tmp_path, monkeypatch
):
    from accord.leads.models import Account

    summary, planned = _two_chunks(tmp_path, monkeypatch)
    assert planned == ["here", "ahead"]  # the second chunk's plan, made ahead, was written as it was
    assert (summary["created"], summary["merged"], summary["accounts_created"]) == (3, 1, 3)
    leads = dict(Lead.objects.values_list("email_key", "account__name"))
    assert leads == {"ada@acme.com": "Acme", "bob@beta.io": "Beta", "cy@gamma.io": "Gamma"}
    # The provisional ids of the accounts planned ahead were made real everywhere.
    assert min(Account.objects.values_list("pk", flat=True)) > 0
    ada = Lead.objects.get(email_key="ada@acme.com")
    assert (ada.last_name, ada.custom) == ("Later", {"favourite_product": "Harbour"})
    assert not _alive()


def test_a_plan_made_ahead_is_made_again_when_a_lead_it_read_changed_before_its_chunk(
    db, tmp_path, monkeypatch
):
    from accord.core.models import Event

    def edit():  # someone edits ada after the import read her for the second chunk
        Lead.objects.filter(email_key="ada@acme.com").update(last_name="Edited")

    summary, planned = _two_chunks(tmp_path, monkeypatch, edit)
    assert planned == ["here", "ahead", "here"]
    ada = Lead.objects.get(email_key="ada@acme.com")
    assert ada.last_name == "Later"
    update = Event.objects.get(type="lead.updated", subject_id=ada.pk)
    assert update.payload["changes"]["last_name"] == ["Edited", "Later"]  # not the stale "Lovelace"
    assert dict(Lead.objects.values_list("email_key", "account__name"))["cy@gamma.io"] == "Gamma"
    assert summary["accounts_created"] == 3


def test_a_lead_created_after_the_look_ahead_is_updated_not_duplicated(db, tmp_path, monkeypatch):
    def create():  # the API makes cy's lead after the import looked for the second chunk's emails
        Lead.objects.create(email="cy@gamma.io", email_key="cy@gamma.io", last_name="Api")

    summary, planned = _two_chunks(tmp_path, monkeypatch, create)
    # The plan made ahead took cy for new; its insert conflicted and the chunk was planned again.
    assert planned[:2] == ["here", "ahead"] and planned[-1] == "here"
    assert (summary["created"], summary["updated"], summary["merged"]) == (2, 1, 1)
    assert Lead.objects.filter(email_key="cy@gamma.io").count() == 1
    cy = Lead.objects.get(email_key="cy@gamma.io")
    assert (cy.first_name, cy.last_name, cy.account.name) == ("Cy", "Cerf", "Gamma")


def test_a_plan_made_ahead_stands_when_only_a_leads_score_changed_before_its_chunk(db, tmp_path, monkeypatch):
    def rescore():  # as the chunk before re-scores the leads it updated, after its commit
        Lead.objects.filter(email_key="ada@acme.com").update(score=77, fit_score=70, stage="mql")

    _, planned = _two_chunks(tmp_path, monkeypatch, rescore)
    assert planned == ["here", "ahead"]  # not planned again: a plan reads no score
    ada = Lead.objects.get(email_key="ada@acme.com")
    assert (ada.last_name, ada.score, ada.fit_score, ada.stage) == ("Later", 77, 70, "mql")
