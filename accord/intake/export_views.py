"""CSV downloads of accounts, deals, campaigns, their cost lines and touches (the lead list's is the
leads app's, the audit trail's the audit app's). Each lists only what the person may see, streamed,
formula-escaped and logged as an export (``accord.audit.exports.csv_response``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from accord.audit.exports import csv_response
from accord.intake.exports import RECORD_EXPORTS
from accord.people.access import signed_in_user


@require_GET
@login_required
def record_export_csv(request: HttpRequest, what: str) -> HttpResponse | StreamingHttpResponse:
    export = RECORD_EXPORTS.get(what)
    if export is None:
        raise Http404("No such export.")
    user = signed_in_user(request)
    return csv_response(export.filename, export.header, export.rows(user), user=user, what=export.what)


urlpatterns = [
    path("exports/<slug:what>.csv", record_export_csv, name="export"),
]
