"""API for moving records in and out: CSV exports of every main record, import jobs (create from an
upload, poll, download the error file), queued lead submissions (hand in, poll, retry), and a lead's
marketing touches (its touchpoints)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Field, File, Form, Query, Router, Schema
from ninja import Path as PathParam
from ninja.files import UploadedFile
from pydantic import ConfigDict, field_validator

from accord.audit.exports import csv_response
from accord.core.api_support import MAX_ID, ErrorOut, offset_page
from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.intake.exports import RECORD_EXPORTS
from accord.intake.importing.jobs import import_job_create, import_job_set_mapping, import_source_default
from accord.intake.queue import submission_enqueue, submission_retry
from accord.leads.exports import LEAD_HEADER, lead_rows
from accord.leads.lead_in import LeadIn, lead_in_submission
from accord.leads.models import ImportJob, ImportKind, QueuedSubmission, Source, Stage
from accord.leads.selectors import LeadFilters, lead_get, lead_list
from accord.people import access
from accord.people.access import signed_in_user

router = Router(tags=["intake"])


# --- exports --------------------------------------------------------------------------------------------


class LeadExportQuery(Schema):
    """The lead list's filters (as GET /leads takes them), without paging: the export has every match."""

    email: str | None = None
    stage: Stage | None = None
    owner: str | None = Field(None, description="A username, 'me', or 'none' for unassigned.")
    source: str | None = None
    q: str | None = Field(None, description="Search in email, names and company.")
    import_job: int | None = Field(
        None, ge=1, le=2**63 - 1, description="Only the leads this import created."
    )

    @field_validator("email", "owner", "source", "q")
    @classmethod
    def no_nul_byte(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("must not contain a NUL character (%00); remove it")
        return value


@router.get(
    "/exports/leads",
    response={200: None},
    summary="The lead list as CSV, as filtered (the list's filters)",
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def export_leads(request: HttpRequest, query: Query[LeadExportQuery]) -> HttpResponse | StreamingHttpResponse:
    """Every lead the filters match among those you may see (limit and offset do not apply), streamed,
    formula-escaped, in the columns the import reads; logged as an export."""
    user = signed_in_user(request)
    filters = LeadFilters(
        email=query.email or "",
        stage=query.stage or "",
        owner=query.owner or "",
        source=query.source or "",
        q=query.q or "",
        import_job=query.import_job,
        order="newest",
    )
    return csv_response(
        "leads.csv",
        LEAD_HEADER,
        lead_rows(lead_list(user=user, filters=filters)),
        user=user,
        what="leads",
        filters={k: v for k, v in asdict(filters).items() if v},
    )


@router.get(
    "/exports/{what}",
    response={200: None, 404: ErrorOut},
    summary="Accounts, deals, campaigns, cost lines, touchpoints or logged touches as CSV",
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def export_records(
    request: HttpRequest,
    what: Literal["accounts", "deals", "campaigns", "cost-lines", "touches", "logged-touches"],
) -> HttpResponse | StreamingHttpResponse:
    """What you may see of one kind of record, streamed and formula-escaped; logged as an export.
    The audit trail's export is at /audit/export.csv (admins and the heads)."""
    user = signed_in_user(request)
    export = RECORD_EXPORTS[what]
    return csv_response(export.filename, export.header, export.rows(user), user=user, what=export.what)


# --- import jobs ----------------------------------------------------------------------------------------


class ImportJobOut(Schema):
    id: int
    kind: str = Field(description="leads, accounts, deals or cost_lines")
    status: str = Field(description="pending, running, done or failed")
    original_name: str
    source: str | None
    mapping: dict[str, str]
    rows_total: int
    rows_done: int
    summary: dict[str, Any] = Field(description="created, updated, unchanged, rejected, ... once done")
    error_message: str
    error_file: str | None = Field(description="Where to download the rows rejected or kept with a warning.")
    created_at: datetime
    finished_at: datetime | None


def import_job_out(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "original_name": job.original_name,
        "source": job.source.name if job.source else None,
        "mapping": job.mapping or {},
        "rows_total": job.rows_total,
        "rows_done": job.rows_done,
        "summary": job.summary or {},
        "error_message": job.error_message,
        "error_file": f"/api/v1/imports/{job.pk}/errors" if job.error_file.name else None,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def _importer(request: HttpRequest) -> Any:
    user = signed_in_user(request)
    if not user.has_role(*access.IMPORT_ROLES):
        raise AccessDenied("Only admins and marketing import records.", status=403)
    return user


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    user = _importer(request)
    job: ImportJob | None = (
        access.import_jobs_actionable_by(user).select_related("source").filter(pk=job_id).first()
    )
    if job is None:
        raise NotFound("No such import job.", detail={"import": job_id})
    return job


class ImportJobIn(Schema):
    """The form fields sent with the file (multipart/form-data)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["leads", "accounts", "deals", "cost_lines"] = "leads"
    source: str = Field("", description="Leads only: the source's name (default: 'CSV import').")
    encoding: str = Field("", description="The file's encoding, e.g. latin-1 (default UTF-8).")
    mapping: str = Field("", description='JSON {"column": "field", or "" to skip}; default: by the header.')
    start: bool = Field(True, description="Start at once (default); false: wait for /imports/{id}/start.")


@router.post(
    "/imports",
    response={201: ImportJobOut, 400: ErrorOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    summary="Upload a CSV file as an import job (and start it)",
    # The form's fields are these and no others (checked below, as extra="forbid" does for JSON).
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"schema": {"additionalProperties": False}}}}
    },
)
def create_import(request: HttpRequest, file: File[UploadedFile], options: Form[ImportJobIn]) -> HttpResponse:
    """The same job the import pages make: the header is matched by name (or ``mapping``, a JSON object
    of column to field, "" to skip), the job runs in the background (``start``, the default) and
    ``GET /imports/{id}`` tells how far it is. With ``start`` false the job waits, as after the mapping
    page, for ``POST /imports/{id}/start``. Honours Idempotency-Key (one job for a retried upload)."""
    user = _importer(request)
    unknown = sorted((set(request.POST) | set(request.FILES)) - {"file", *ImportJobIn.model_fields})
    if unknown:
        raise ApplicationError(
            f"Unknown form fields: {', '.join(unknown)}; send file, {', '.join(ImportJobIn.model_fields)}.",
            detail=dict.fromkeys(unknown, "unknown field"),
            status=422,
        )
    kind, source, encoding, mapping, start = (
        options.kind,
        options.source,
        options.encoding,
        options.mapping,
        options.start,
    )
    chosen_source: Source | None = None
    if kind == ImportKind.LEADS:
        if source:
            chosen_source = Source.objects.filter(name=source, is_active=True).first()
            if chosen_source is None:
                raise ApplicationError(
                    f"Unknown source {source!r}: create it first (POST /sources) or leave 'source' out.",
                    detail={"source": "unknown"},
                    status=422,
                )
        else:
            chosen_source = import_source_default()
    columns: dict[str, str] | None = None
    if mapping:
        try:
            columns = json.loads(mapping)
        except ValueError:
            columns = None
        if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
            raise ApplicationError(
                'mapping must be a JSON object of column names to fields, such as {"Mail": "email"}.',
                detail={"mapping": "not a JSON object of strings"},
                status=422,
            )

    def run() -> tuple[int, Any]:
        with transaction.atomic():
            job = import_job_create(
                uploaded=file, source=chosen_source, encoding=encoding, actor=user, kind=kind
            )
            if columns:
                import_job_set_mapping(job=job, mapping=columns)
            if start:
                _enqueue(job)
        return 201, ImportJobOut.model_validate(import_job_out(job)).model_dump(mode="json")

    body = {
        "file": file.name,
        "size": file.size,
        "kind": kind,
        "source": source,
        "mapping": mapping,
        "start": start,
    }
    return idempotent_response(request, operation="import_create", body=body, call=run)


def _enqueue(job: ImportJob) -> None:
    from accord.intake.tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.enqueue(job.pk))


@router.post(
    "/imports/{job_id}/start",
    response={200: ImportJobOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Start a waiting import job",
)
def start_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    job = _job(request, job_id)
    if job.status != "pending" or job.rows_done:
        raise Conflict(f"This import is {job.status}; only a waiting import can be started.")
    _enqueue(job)
    return import_job_out(job)


@router.get(
    "/imports/{job_id}", response={200: ImportJobOut, 403: ErrorOut, 404: ErrorOut}, summary="One import job"
)
def get_import(request: HttpRequest, job_id: int) -> dict[str, Any]:
    """Poll this until ``status`` is done or failed."""
    return import_job_out(_job(request, job_id))


@router.get(
    "/imports/{job_id}/errors",
    response={200: None, 403: ErrorOut, 404: ErrorOut},
    summary="The import's error file (CSV)",
    openapi_extra={"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}},
)
def import_errors(request: HttpRequest, job_id: int) -> FileResponse:
    """The rejected rows (and rows kept without a bad value) as they were, with what was wrong and how
    to fix it; corrected, the file imports again as it is."""
    job = _job(request, job_id)
    if not job.error_file.name:
        raise NotFound("This import has no error file: no row was rejected or warned about.")
    full = (Path(settings.MEDIA_ROOT) / job.error_file.name).resolve()
    if Path(settings.MEDIA_ROOT).resolve() not in full.parents or not full.is_file():
        raise NotFound("The error file is gone.")
    stem = Path(job.original_name).stem or "import"
    return FileResponse(
        open(full, "rb"),
        as_attachment=True,
        filename=f"{stem}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )


# --- a lead's marketing touches -------------------------------------------------------------------------


class TouchpointOut(Schema):
    id: int
    kind: str
    occurred_at: datetime
    campaign: str | None
    member_status: str
    channel: str
    intake_channel: str
    activity: str
    utm_source: str
    utm_medium: str
    utm_campaign: str
    source: str | None


class TouchpointListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[TouchpointOut]


class TouchpointQuery(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)


@router.get(
    "/leads/{lead_id}/touchpoints",
    response={200: TouchpointListOut, 404: ErrorOut},
    summary="A lead's marketing touches (forms, campaigns), newest first",
)
def lead_touchpoints(request: HttpRequest, lead_id: int, query: Query[TouchpointQuery]) -> dict[str, Any]:
    user = signed_in_user(request)
    lead = lead_get(user=user, lead_id=lead_id)
    touches = (
        access.touchpoints_visible_to(user)
        .filter(lead=lead)
        .select_related("campaign", "source")
        .order_by("-occurred_at", "-id")
    )
    return offset_page(
        touches,
        limit=query.limit,
        offset=query.offset,
        row=lambda t: {
            "id": t.pk,
            "kind": t.kind,
            "occurred_at": t.occurred_at,
            "campaign": t.campaign.name if t.campaign_id else None,
            "member_status": t.member_status,
            "channel": t.channel,
            "intake_channel": t.intake_channel,
            "activity": t.activity,
            "utm_source": t.utm_source,
            "utm_medium": t.utm_medium,
            "utm_campaign": t.utm_campaign,
            "source": t.source.name if t.source_id else None,
        },
    )


# --- queued submissions ---------------------------------------------------------------------------------


class SubmissionOut(Schema):
    id: int
    state: Literal["queued", "done", "failed"] = Field(
        description="queued: waiting for the worker; done: the lead is made (lead_id); failed: see error."
    )
    received_at: datetime
    processed_at: datetime | None
    attempts: int
    lead_id: int | None = Field(description="The lead made or updated, once done.")
    lead_created: bool | None = Field(
        description="True when a new lead was made, false when one was updated."
    )
    error: str = Field(description="Why it failed, naming the field; empty otherwise.")
    status_url: str


def submission_out(submission: QueuedSubmission) -> dict[str, Any]:
    return {
        "id": submission.pk,
        "state": submission.state,
        "received_at": submission.received_at,
        "processed_at": submission.processed_at,
        "attempts": submission.attempts,
        "lead_id": submission.lead_id,
        "lead_created": submission.lead_created,
        "error": submission.error,
        "status_url": f"/api/v1/submissions/{submission.pk}",
    }


@router.post(
    "/submissions",
    response={202: SubmissionOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Hand in a lead to be made in the background (answers at once)",
)
def create_submission(request: HttpRequest, payload: LeadIn) -> HttpResponse:
    """The same body as ``POST /leads``, checked the same way (a bad field is a 422 naming it), but
    answered as soon as it is stored: the worker makes or updates the lead within moments, in
    batches. Poll ``status_url`` for the lead's id. For callers that send many leads and do not need
    each one back; honours Idempotency-Key."""
    user = signed_in_user(request)
    if not user.has_role(*access.INTAKE_ROLES):
        raise AccessDenied("Your role may not submit leads.", status=403)
    body = payload.model_dump(exclude_none=True)

    def run() -> tuple[int, Any]:
        data, source = lead_in_submission(body)
        queued = submission_enqueue(data=data, channel=Channel.API, source=source, actor=user)
        return 202, SubmissionOut.model_validate(submission_out(queued)).model_dump(mode="json")

    return idempotent_response(request, operation="submission_create", body=body, call=run)


@router.get(
    "/submissions/{submission_id}",
    response={200: SubmissionOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="A queued submission: waiting, done (with its lead) or failed (with the reason)",
)
def get_submission(
    request: HttpRequest, submission_id: int = PathParam(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = signed_in_user(request)
    submission = access.queued_submissions_visible_to(user).filter(pk=submission_id).first()
    if submission is None:
        raise NotFound("No such submission.", detail={"submission": submission_id})
    return submission_out(submission)


@router.post(
    "/submissions/{submission_id}/retry",
    response={200: SubmissionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Try a failed submission again",
)
def retry_submission(
    request: HttpRequest, submission_id: int = PathParam(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    """For the marketing desk and admins, once what refused it is fixed (a rule, a source)."""
    user = signed_in_user(request)
    submission = access.queued_submissions_actionable_by(user).filter(pk=submission_id).first()
    if submission is None:
        if access.queued_submissions_visible_to(user).filter(pk=submission_id).exists():
            raise AccessDenied("Only marketing and admins try a failed submission again.", status=403)
        raise NotFound("No such submission.", detail={"submission": submission_id})
    return submission_out(submission_retry(submission=submission))
