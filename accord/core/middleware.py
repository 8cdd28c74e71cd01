"""Answers 503 (not a 500 page) while the database cannot be reached, e.g. during its restart.

A request that fails because the database connection is refused or lost gets ``503 Service
Unavailable`` with ``Retry-After``: JSON ``{"message", "detail"}`` on the API and the public form
intake (``/api/``, ``/f/``), a short plain page elsewhere. The failure may surface in a view
(``process_exception``) or in another middleware (a session read); the latter is caught through
Django's ``got_request_exception`` signal, which flags the request, and the 500 it produced is
replaced here. Broken connections are dropped at the end of the request (Django's
``close_old_connections`` with ``CONN_HEALTH_CHECKS``), so requests succeed again as soon as the
database is back.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accord.core.errors import ApplicationError, ModelValidationError, application_error_from_validation

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable at the moment; nothing was saved. Retry in a few seconds."
_FLAG = "_accord_database_unavailable"


def database_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` means the database cannot be reached (refused, lost, shutting down)."""
    return isinstance(exc, (OperationalError, InterfaceError))


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith(("/api/", "/f/")):
        response: HttpResponse = JsonResponse(
            {"message": MESSAGE, "detail": {"database": "unavailable", "retry_after": RETRY_AFTER_SECONDS}},
            status=503,
        )
    else:
        response = HttpResponse(
            "<!doctype html><title>Accord is unavailable</title><h1>Accord is unavailable</h1>"
            f"<p>{MESSAGE}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@receiver(got_request_exception)
def _flag_database_unavailable(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    if request is not None and database_unavailable(sys.exc_info()[1]):
        setattr(request, _FLAG, True)


class DatabaseUnavailableMiddleware:
    """First in MIDDLEWARE, so it also sees the 500 another middleware's database error produced."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500 and getattr(request, _FLAG, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_unavailable(exception):
            return None
        log.warning("database unavailable during %s %s: %s", request.method, request.path, exception)
        return unavailable_response(request)


# --- application errors that reach no view's own handling ------------------------------------------

_TITLES = {
    400: ("The request could not be carried out", "Correct what is named above and try again."),
    403: ("You may not do this", "If you need to, ask an administrator or the record's owner."),
    404: ("Nothing here", "It may have been merged, erased or never existed."),
    409: ("This conflicts with the record's current state", "Reload the page to see it as it is now."),
}


class ApplicationErrorMiddleware:
    """Answers an ``ApplicationError`` (or a model's ``ValidationError``) that a view let through with
    the one error format instead of a 500: JSON ``{"message", "detail"}`` on ``/api/`` and ``/f/``, a
    styled page with the navigation elsewhere. The API's own handlers answer first on ``/api/``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ModelValidationError):
            error = application_error_from_validation(exception)
            log.warning("model validation reached %s %s: %s", request.method, request.path, exception)
        elif isinstance(exception, ApplicationError):
            error = exception
        else:
            return None
        if request.path.startswith(("/api/", "/f/")):
            return JsonResponse({"message": error.message, "detail": error.detail}, status=error.status_code)
        title, advice = _TITLES.get(error.status_code, _TITLES[400])
        return render(
            request,
            "error.html",
            {
                "status": error.status_code,
                "error_title": title,
                "reason": error.message,
                "detail": error.detail,
                "advice": advice,
            },
            status=error.status_code,
        )
