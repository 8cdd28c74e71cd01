"""Background work for leads: running a CSV import job."""

from __future__ import annotations

from django_tasks import task


@task()
def import_job_run_task(job_id: int) -> str:
    """Run import job ``job_id``. Idempotent: a job that is running or done is left as it is."""
    from accord.intake.importing.jobs import import_job_run

    return import_job_run(job_id=job_id).status


@task()
def import_jobs_resume_stale_task() -> list[int]:
    """Requeue import jobs whose worker stopped mid-import (periodic; see import_jobs_resume_stale)."""
    from accord.intake.importing.jobs import import_jobs_resume_stale

    return import_jobs_resume_stale()


@task()
def submissions_drain_task() -> int:
    """Make the leads of the queued submissions (accord.intake.queue); returns how many were worked."""
    from accord.intake.queue import submissions_drain

    return submissions_drain()


@task()
def submissions_sweep_task() -> int:
    """Schedule a drain if submissions wait, and forget old done ones (periodic; accord.intake.queue)."""
    from accord.intake.queue import submissions_sweep

    return submissions_sweep()
