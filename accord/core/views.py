"""Operational endpoints."""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accord.core.health import health_sections
from accord.core.middleware import RETRY_AFTER_SECONDS
from accord.core.workers import worker_health

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Health for load balancers and monitors: 503 when the database does not answer; otherwise 200,
    saying whether a task worker was seen recently (a stale worker does not stop the web serving)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        worker = worker_health()
        sections = health_sections()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        response = JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    status = "ok" if worker["ok"] else "degraded"
    return JsonResponse({"status": status, "database": "ok", "worker": worker, **sections})


# --- error pages: JSON for the API and the public form endpoint, pages elsewhere -------------------

_MACHINE_PATHS = ("/api/", "/f/")


def _json_error(status: int, message: str, detail: dict | None = None) -> JsonResponse:
    return JsonResponse({"message": message, "detail": detail or {}}, status=status)


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(_MACHINE_PATHS):
        return _json_error(
            400,
            "The request could not be read (too large, too many fields, or malformed).",
            {"request": "bad"},
        )
    return defaults.bad_request(request, exception)


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(_MACHINE_PATHS):
        return _json_error(403, "You may not do this.", {"permission": "denied"})
    return defaults.permission_denied(request, exception)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _json_error(
            404,
            f"No such API endpoint: {request.method} {request.path}. The endpoints are listed at "
            "/api/v1/openapi.json.",
            {"path": "not found"},
        )
    if request.path.startswith("/f/"):
        return _json_error(
            404,
            "No form here: post to /f/<source key> (accord source create NAME prints one).",
            {"path": "not found"},
        )
    return defaults.page_not_found(request, exception)


def error_500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(_MACHINE_PATHS):
        return _json_error(
            500,
            "Something went wrong on our side and the request did not complete. Try again later "
            "(with an Idempotency-Key, a retried create cannot make a second record).",
        )
    return defaults.server_error(request)
