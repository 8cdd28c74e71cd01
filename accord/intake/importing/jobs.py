"""Import jobs: the default import source, creating a job from an uploaded file, its mapping and
preview, running it as a background task, and resuming or retrying jobs a dead worker left behind."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from accord.core import fulltext
from accord.core.errors import ApplicationError, Conflict
from accord.intake.importing.engine import ImportTakenOver, LeadImport, leads_import
from accord.intake.importing.mapping import mapping_default, mapping_plan
from accord.intake.importing.reading import ImportFileError, csv_header, encoding_check, encoding_resolve
from accord.intake.importing.records import RecordImport, record_mapping_check, record_mapping_default
from accord.leads.models import Account, ImportJob, ImportKind, ImportStatus, Source, SourceKind
from accord.people.models import User

logger = logging.getLogger(__name__)


DEFAULT_SOURCE_NAME = "CSV import"


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
    *,
    uploaded: Any,
    source: Source | None,
    encoding: str = "",
    actor: User | None = None,
    kind: str = ImportKind.LEADS,
) -> ImportJob:
    """Store an uploaded file as a pending import job (the header must be readable).

    ``kind``: leads (the default), accounts, deals or cost_lines (``records.RecordImport``)."""
    if kind not in ImportKind.values:
        raise ApplicationError(
            f"Unknown import kind {kind!r}; use one of {', '.join(ImportKind.values)}.",
            detail={"kind": "unknown"},
        )
    encoding = (encoding or "").strip()
    encoding_resolve(encoding)
    name = os.path.basename(getattr(uploaded, "name", "") or "import.csv")[:255]
    job = ImportJob(
        kind=kind,
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
    job.mapping = (
        mapping_default(header) if kind == ImportKind.LEADS else record_mapping_default(kind, header)
    )
    job.save()
    return job


def import_job_set_mapping(*, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Record the column mapping chosen on the mapping page (checked against the file's header)."""
    if job.status != ImportStatus.PENDING or job.rows_done:
        raise Conflict("This import has already started; its mapping can no longer change.")
    header = csv_header(job.file.path, job.encoding)
    if job.kind == ImportKind.LEADS:
        mapping_plan(header, mapping)
    else:
        record_mapping_check(job.kind, header, mapping)
    job.mapping = {c: mapping.get(c, "") for c in header}
    job.save(update_fields=["mapping", "updated_at"])
    return job


def import_job_preview(*, job: ImportJob, rows: int = 20) -> dict[str, Any]:
    """A dry run over the whole file: the counts, the first rows as they will be stored, the first errors."""
    error_path = Path(settings.MEDIA_ROOT) / f"imports/errors/job-{job.pk}-preview-errors.csv"
    if job.kind != ImportKind.LEADS:
        records = RecordImport(
            kind=job.kind,
            path=job.file.path,
            mapping=job.mapping or None,
            encoding=job.encoding,
            dry_run=True,
            error_path=error_path,
            keep_preview=rows,
        )
        summary = records.run()
        ImportJob.objects.filter(pk=job.pk).update(rows_total=summary["rows"])
        return {"summary": summary, "rows": records.preview, "errors": records.errors.first}
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
        if job.kind == ImportKind.LEADS:
            summary = leads_import(
                path=job.file.path,
                source=job.source,
                mapping=job.mapping or None,
                encoding=job.encoding,
                actor=job.created_by,
                job=job,
            )
        else:
            # Accounts, deals and cost lines: a run again after a failure goes through the whole file,
            # and rows already imported come out unchanged (they are found, not duplicated).
            summary = RecordImport(
                kind=job.kind,
                path=job.file.path,
                mapping=job.mapping or None,
                encoding=job.encoding,
                actor=job.created_by,
                job=job,
            ).run()
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
    _after_import(job, summary)
    job.refresh_from_db()
    return job


# From this many rows on, an import refreshes the planner's statistics of the tables it filled: a list
# planned with the statistics of a table a tenth its size walks the wrong index (issue 13: 8 s before
# ANALYZE against 3 s after at 1M leads on a PostgreSQL without autovacuum).
ANALYZE_AFTER_ROWS = 10_000
IMPORTED_TABLES = ("leads_lead", "leads_account", "core_event", "campaigns_touchpoint")


def _after_import(job: ImportJob, summary: dict[str, Any]) -> None:
    """After a finished import: the accounts it created in bulk go into the search index (rows written
    without ``save()`` are not indexed as they are saved), and a large one refreshes the statistics."""
    if "account" in fulltext.document_types():
        to_document = fulltext.document_type("account").to_document
        new_accounts = Account.objects.filter(created_at__gte=job.created_at).iterator(chunk_size=2000)
        if to_document is not None:
            fulltext.index_documents("account", (d for d in map(to_document, new_accounts) if d is not None))
    if summary.get("rows", 0) >= ANALYZE_AFTER_ROWS:
        with connection.cursor() as cursor:
            for table in IMPORTED_TABLES:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


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

    from accord.intake.tasks import import_job_run_task

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
