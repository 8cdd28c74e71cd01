"""CSV import pages: upload, column mapping, validated preview, progress and the error file.

Only admins and marketing (marketing, marketing head) import; everyone else gets a 403. The work is
done by ``accord.intake.importing``; the import itself runs as a background task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from accord.core.errors import ApplicationError
from accord.intake.importing.jobs import (
    import_job_create,
    import_job_preview,
    import_job_retry,
    import_job_set_mapping,
    import_source_default,
)
from accord.intake.importing.mapping import CUSTOM_TARGET, MAPPING_TARGETS, mapping_default
from accord.intake.importing.reading import csv_sample
from accord.intake.importing.records import RECORD_FIELDS, record_mapping_default
from accord.leads.models import ImportJob, ImportKind, ImportStatus, Source
from accord.leads.selectors import import_job_outcome
from accord.people.access import (
    IMPORT_ROLES,
    import_jobs_actionable_by,
    import_jobs_visible_to,
    signed_in_user,
)


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="The file holds",
        choices=ImportKind.choices,
        initial=ImportKind.LEADS,
        required=False,
        help_text="Import leads first: deals are linked to their leads by email.",
    )
    file = forms.FileField(
        label="CSV file", help_text="The first line names the columns (email is required for leads)."
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label="CSV import (default)",
        help_text="Where these leads came from.",
    )
    encoding = forms.CharField(
        required=False,
        max_length=40,
        help_text="Leave empty for UTF-8. Files saved by older Excel: latin-1 or cp1252.",
    )


def _require_importer(request: HttpRequest) -> None:
    if not request.user.has_role(*IMPORT_ROLES):  # type: ignore[union-attr]
        raise PermissionDenied("Only admins and marketing import leads and other records.")


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    _require_importer(request)
    return get_object_or_404(
        import_jobs_actionable_by(request.user).select_related("source", "created_by"), pk=job_id
    )


@login_required
def import_upload_page(request: HttpRequest) -> HttpResponse:
    _require_importer(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                uploaded=form.cleaned_data["file"],
                source=form.cleaned_data["source"] or import_source_default(),
                encoding=form.cleaned_data["encoding"],
                actor=signed_in_user(request),
                kind=form.cleaned_data["kind"] or ImportKind.LEADS,
            )
        except ApplicationError as exc:
            form.add_error("encoding" if "encoding" in exc.detail else "file", exc.message)
        else:
            return redirect("intake:import_map", job_id=job.pk)
    status = 422 if request.method == "POST" else 200
    jobs = import_jobs_visible_to(request.user).select_related("source", "created_by")[:20]
    return render(request, "intake/import_upload.html", {"form": form, "jobs": jobs}, status=status)


def _mapping_rows(job: ImportJob) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    header, sample = csv_sample(job.file.path, job.encoding, rows=5)
    leads = job.kind == ImportKind.LEADS
    defaults = mapping_default(header) if leads else record_mapping_default(job.kind, header)
    chosen = {**defaults, **(job.mapping or {})}
    rows = []
    for i, column in enumerate(header):
        target = chosen.get(column, "")
        rows.append(
            {
                "index": i,
                "column": column,
                "target": target,
                "suggested": defaults.get(column, ""),
                "samples": [r[i] for r in sample if i < len(r) and r[i].strip()][:3],
            }
        )
    if not leads:
        return rows, [("", "— skip this column —"), *RECORD_FIELDS[job.kind].items()]
    choices = [("", "— skip this column —"), (CUSTOM_TARGET, "custom field (named after the column)")]
    choices += list(MAPPING_TARGETS.items())
    return rows, choices


@login_required
def import_map_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if job.status != ImportStatus.PENDING:
        return redirect("intake:import_progress", job_id=job.pk)
    rows, choices = _mapping_rows(job)
    error = ""
    if request.method == "POST":
        mapping = {row["column"]: request.POST.get(f"map-{row['index']}", "") for row in rows}
        for row in rows:
            # A custom field under the name the person typed ("Budget (USD)" kept as budget).
            name = request.POST.get(f"name-{row['index']}", "").strip()
            if (name and mapping[row["column"]] in (CUSTOM_TARGET,)) or (
                name and mapping[row["column"]].startswith("custom.")
            ):
                mapping[row["column"]] = f"custom.{name}"
        try:
            import_job_set_mapping(job=job, mapping=mapping)
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("intake:import_preview", job_id=job.pk)
        for row in rows:
            row["target"] = mapping[row["column"]]
    known = {value for value, _ in choices}
    for row in rows:
        # resolve_field's custom.<key> suggestion is offered as its own option.
        row["options"] = choices if row["target"] in known else [*choices, (row["target"], row["target"])]
        row["custom_name"] = row["target"][7:] if row["target"].startswith("custom.") else ""
    context = {
        "job": job,
        "rows": rows,
        "choices": choices,
        "error": error,
        "leads": job.kind == ImportKind.LEADS,
    }
    return render(request, "intake/import_map.html", context, status=422 if error else 200)


@login_required
def import_preview_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if request.method == "POST":
        if job.status != ImportStatus.PENDING:
            return redirect("intake:import_progress", job_id=job.pk)
        _enqueue(job)
        # No flash message: the progress panel says "started" only while the import runs.
        return redirect("intake:import_progress", job_id=job.pk)
    if job.status != ImportStatus.PENDING:
        return redirect("intake:import_progress", job_id=job.pk)
    try:
        preview = import_job_preview(job=job, rows=20)
    except ApplicationError as exc:
        return render(request, "intake/import_preview.html", {"job": job, "error": exc.message}, status=422)
    return render(request, "intake/import_preview.html", {"job": job, **preview})


def _enqueue(job: ImportJob) -> None:
    from accord.intake.tasks import import_job_run_task

    transaction.on_commit(lambda: import_job_run_task.enqueue(job.pk))


def _progress_context(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    """The job, its summary and, once done, where the leads it created went (stage, owner)."""
    outcome = (
        import_job_outcome(user=request.user, job_id=job.pk)  # type: ignore[arg-type]
        if job.status == ImportStatus.DONE
        else None
    )
    return {"job": job, "summary": job.summary or {}, "outcome": outcome}


@login_required
def import_progress_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(request, "intake/import_progress.html", _progress_context(request, job))


@login_required
def import_progress_partial(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    return render(request, "intake/_import_progress.html", _progress_context(request, job))


@login_required
@require_POST
def import_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    try:
        job = import_job_retry(job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        _enqueue(job)  # the progress panel says it runs again (after the rows already imported)
    return redirect("intake:import_progress", job_id=job.pk)


@login_required
def import_errors_download(request: HttpRequest, job_id: int) -> FileResponse:
    job = _job(request, job_id)
    if not job.error_file.name:
        raise Http404("This import rejected no rows.")
    full = (Path(settings.MEDIA_ROOT) / job.error_file.name).resolve()
    if Path(settings.MEDIA_ROOT).resolve() not in full.parents or not full.is_file():
        raise Http404("The error file is gone.")
    stem = Path(job.original_name).stem or "import"
    return FileResponse(
        open(full, "rb"),
        as_attachment=True,
        filename=f"{stem}-errors.csv",
        content_type="text/csv; charset=utf-8",
    )


urlpatterns = [
    path("leads/import/", import_upload_page, name="import_upload"),
    path("leads/import/<int:job_id>/", import_progress_page, name="import_progress"),
    path("leads/import/<int:job_id>/progress/", import_progress_partial, name="import_progress_partial"),
    path("leads/import/<int:job_id>/map/", import_map_page, name="import_map"),
    path("leads/import/<int:job_id>/preview/", import_preview_page, name="import_preview"),
    path("leads/import/<int:job_id>/retry/", import_retry, name="import_retry"),
    path("leads/import/<int:job_id>/errors.csv", import_errors_download, name="import_errors"),
]
