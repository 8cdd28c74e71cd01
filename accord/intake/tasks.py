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
