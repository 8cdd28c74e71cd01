"""Resuming an interrupted import job, requeueing a job whose worker stopped, and a run that finds
its job taken over (quick, in one process; the kill -9 of a real worker is test_import_kill.py)."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from accord.core.models import Event
from accord.intake.importing.engine import LeadImport
from accord.intake.importing.jobs import _disk_full, import_job_run, import_jobs_resume_stale
from accord.leads.models import ImportJob, Lead

pytestmark = pytest.mark.faults

CHUNK = 100


@pytest.fixture(autouse=True)
def small_chunks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ACCORD_IMPORT_CHUNK_ROWS = CHUNK
    settings.ACCORD_IMPORT_STALE_SECONDS = 60


def make_job(rows: int = 1000) -> tuple[ImportJob, set[str], int, int]:
    """A job over ``rows`` rows with invalid rows and emails repeated in later chunks."""
    lines, emails, repeats, invalid = ["email,first_name"], [], 0, 0
    for n in range(rows):
        if n % 37 == 5:
            lines.append(f"broken-{n},Bad")
            invalid += 1
        elif n % 23 == 11 and n > CHUNK:
            lines.append(f"{emails[n % 50]},Again")  # an email of the first chunk
            repeats += 1
        else:
            emails.append(f"p{n}@acme{n % 9}.example")
            lines.append(f"{emails[-1]},P{n}")
    job = ImportJob(original_name="people.csv")
    job.file.save("people.csv", ContentFile(("\n".join(lines) + "\n").encode()))
    return job, set(emails), repeats, invalid


def fail_on_chunk(monkeypatch, number: int, action=None) -> None:
    original = LeadImport._chunk
    calls = {"n": 0}

    def chunk(self, groups):
        calls["n"] += 1
        if calls["n"] == number:
            if action is None:
                raise RuntimeError("the worker died")
            action(self)
        return original(self, groups)

    monkeypatch.setattr(LeadImport, "_chunk", chunk)


@pytest.mark.django_db
def test_a_job_run_again_goes_on_after_its_committed_rows_with_the_counts_of_one_run(monkeypatch, settings):
    job, emails, repeats, invalid = make_job()
    fail_on_chunk(monkeypatch, 4)
    job = import_job_run(job_id=job.pk)
    assert job.status == "failed" and job.rows_done == 3 * CHUNK
    assert Lead.objects.count() == Event.objects.filter(type="lead.intake").count() == job.summary["created"]
    monkeypatch.undo()
    chunks: list[int] = []  # the first row of each chunk read to be imported
    original = LeadImport._validate
    monkeypatch.setattr(
        LeadImport,
        "_validate",
        lambda self, kind, rows: (
            (kind == "apply" and chunks.append(rows[0].number)) or original(self, kind, rows)
        ),
    )

    job = import_job_run(job_id=job.pk)

    assert job.status == "done"
    assert chunks[0] == 3 * CHUNK + 1  # the committed rows were not imported again
    summary = job.summary
    assert (summary["rows"], summary["created"], summary["merged"], summary["rejected"]) == (
        1000,
        len(emails),
        repeats,
        invalid,
    )
    assert summary["updated"] == summary["unchanged"] == 0
    assert set(Lead.objects.values_list("email", flat=True)) == emails
    assert Event.objects.filter(type="lead.intake").count() == len(emails)
    with open(settings.MEDIA_ROOT / summary["error_file"], encoding="utf-8") as fh:
        rejected = [row[-5] for row in csv.reader(fh)][1:]  # error_row: the diagnostics come last
    assert len(rejected) == len(set(rejected)) == invalid  # each rejected row once, earlier ones kept


@pytest.mark.django_db
def test_a_running_job_without_heartbeat_is_requeued_once(settings):
    from django_tasks_db.models import DBTaskResult

    stale, _, _, _ = make_job(10)
    fresh, _, _, _ = make_job(10)
    old = timezone.now() - timedelta(seconds=61)
    ImportJob.objects.filter(pk=stale.pk).update(status="running", updated_at=old)
    ImportJob.objects.filter(pk=fresh.pk).update(status="running", updated_at=timezone.now())

    assert import_jobs_resume_stale() == [stale.pk]
    assert import_jobs_resume_stale() == []  # claimed: a second sweep (another worker) finds nothing
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.status, fresh.status) == ("pending", "running")
    queued = DBTaskResult.objects.filter(task_path="accord.intake.tasks.import_job_run_task")
    assert [task.args_kwargs["args"] for task in queued] == [[stale.pk]]


def test_the_periodic_sweep_requeues_stale_imports():
    from accord.core.periodic import SCHEDULE

    entry = next(e for e in SCHEDULE if e.name == "import-jobs-resume")
    assert entry.task == "accord.intake.tasks.import_jobs_resume_stale_task"
    assert entry.every <= timedelta(minutes=5)


@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_finishes_a_job_its_predecessor_left_running(tmp_path):
    job, emails, _, _ = make_job(300)
    fail_on_chunk_at = 2
    original = LeadImport._chunk
    calls = {"n": 0}

    def dying(self, groups):
        calls["n"] += 1
        if calls["n"] == fail_on_chunk_at:
            raise SystemExit("killed")  # not caught by the job: it stays RUNNING, like kill -9
        return original(self, groups)

    LeadImport._chunk = dying
    try:
        with pytest.raises(SystemExit):
            import_job_run(job_id=job.pk)
    finally:
        LeadImport._chunk = original
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(seconds=61))

    call_command("worker", "--batch", "--no-startup-delay", "--no-periodic", verbosity=0)

    job.refresh_from_db()
    assert job.status == "done" and job.summary["created"] == len(emails)
    assert Lead.objects.count() == len(emails)


@pytest.mark.django_db
def test_a_run_whose_job_was_taken_over_stops_without_writing_more(monkeypatch):
    job, _, _, _ = make_job(300)

    def take_over(run):  # a sweeper decided the job was stale and requeued it
        ImportJob.objects.filter(pk=run.job.pk).update(status="pending", updated_at=timezone.now())

    fail_on_chunk(monkeypatch, 2, take_over)
    job = import_job_run(job_id=job.pk)
    assert job.status == "pending"  # not failed, not done: the new owner's
    assert job.rows_done == CHUNK
    assert Lead.objects.count() == Event.objects.filter(type="lead.intake").count() == job.summary["created"]
    assert job.summary["rows"] == CHUNK  # the second chunk was rolled back


def test_disk_full_errors_get_a_message_saying_so():
    import errno
    import sqlite3

    from django.db import OperationalError

    assert _disk_full(OSError(errno.ENOSPC, "No space left on device", "/data/x.csv"))
    assert _disk_full(OSError(errno.EFBIG, "File too large"))
    wrapped = OperationalError("database or disk is full")
    wrapped.__cause__ = sqlite3.OperationalError("database or disk is full")
    assert _disk_full(wrapped) == "the database"
    assert _disk_full(ValueError("bad")) == ""
    assert _disk_full(OSError(errno.ENOENT, "No such file")) == ""
