"""Read-only audit pages: the change list with filters, and its CSV export."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accord.audit.exports import csv_response
from accord.audit.forms import ChangeFilterForm
from accord.audit.selectors import (
    ChangeFilters,
    can_read_audit,
    change_object_types,
    change_record_get,
    change_record_list,
)
from accord.audit.wording import change_lines
from accord.core.errors import NotFound
from accord.people.access import signed_in_user

PAGE_SIZE = 50
EXPORT_HEADER = (
    "id", "when", "actor", "channel", "request_id", "object_type", "object_id", "object", "action",
    "field", "old", "new",
)  # fmt: skip


def _form(request: HttpRequest) -> ChangeFilterForm:
    user = signed_in_user(request)
    if not can_read_audit(user):
        # The audit trail's existence is no secret, but nothing in it is for this user: same as a record
        # outside their scope.
        raise Http404("No such page.")
    return ChangeFilterForm(request.GET or None, object_types=change_object_types(user))


@require_GET
@login_required
def change_list_page(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    records = change_record_list(
        user=signed_in_user(request), filters=form.filters() if form.is_bound else ChangeFilters()
    )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    change_lines(list(page))  # field labels and names, not codes and ids
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/change_list.html", {"form": form, "page": page, "query": query.urlencode()})


@require_GET
@login_required
def change_detail_page(request: HttpRequest, record_id: int) -> HttpResponse:
    user = signed_in_user(request)
    if not can_read_audit(user):
        raise Http404("No such change.")
    try:
        record = change_record_get(user=user, record_id=record_id)
    except NotFound:
        raise Http404("No such change.") from None
    change_lines([record])
    return render(request, "audit/change_detail.html", {"record": record})


def export_rows(records: Any) -> Any:
    """One CSV row per changed field (a record with no field changes still gets one row)."""
    for r in records.iterator(chunk_size=2000):
        base = [r.pk, r.occurred_at, r.actor_name, r.channel, r.request_id, r.object_type, r.object_id,
                r.object_repr, r.action]  # fmt: skip
        if not r.changes:
            yield [*base, "", "", ""]
        for field, (old, new) in sorted(r.changes.items()):
            yield [*base, field, _cell(old), _cell(new)]


def _cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    return value


@require_GET
@login_required
def change_list_csv(request: HttpRequest) -> Any:
    user = signed_in_user(request)
    form = _form(request)
    filters = form.filters() if form.is_bound else ChangeFilters()
    records = change_record_list(user=user, filters=filters)
    return csv_response(
        "audit-changes.csv", EXPORT_HEADER, export_rows(records), user=user, what="audit.changes",
        filters={k: v for k, v in asdict(filters).items() if v},
    )  # fmt: skip


urlpatterns = [
    path("audit/", change_list_page, name="list"),
    path("audit/<int:record_id>/", change_detail_page, name="detail"),
    path("audit/export.csv", change_list_csv, name="export"),
]
