"""Opens the audit context for every request: channel by path, actor = the signed-in user."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accord.audit import context
from accord.audit.models import AuditChannel


def channel_for_path(path: str) -> str:
    if path.startswith("/admin/"):
        return AuditChannel.ADMIN
    if path.startswith("/api/"):
        return AuditChannel.API
    if path.startswith("/f/"):
        return AuditChannel.FORM
    return AuditChannel.PAGE


class AuditContextMiddleware:
    """Sets the audit context for the request and answers with its X-Request-ID."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = context.AuditContext(
            channel=channel_for_path(request.path),
            request=request,
            request_id=context.new_request_id(request.headers.get("X-Request-ID")),
        )
        token = context.enter(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.leave(token)
        response.setdefault("X-Request-ID", ctx.request_id)
        return response
