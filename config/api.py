"""The REST API under /api/v1/: one NinjaAPI with its authentication, parsers, error handlers and every
app's router.

This is the only module that knows every app's API. An app's ``api.py`` exports a ``router`` and
imports what routers share from ``accord.core.api_support``, never this module.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.operation import Operation
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from accord.audit import context as audit_context
from accord.audit.api import router as audit_router
from accord.campaigns.api import router as campaigns_router
from accord.campaigns.communications_api import router as communications_router
from accord.core.api_support import refuse_unstorable_text
from accord.core.bodies import json_body_load
from accord.core.errors import ApplicationError, ModelValidationError, application_error_from_validation
from accord.core.middleware import unavailable_response
from accord.deals.api import router as deals_router
from accord.deals.pipeline_api import router as pipeline_router
from accord.enablement.api import router as enablement_router
from accord.intake.api import router as intake_router
from accord.intelligence.api import router as intelligence_router
from accord.knowledge.api import router as knowledge_router
from accord.leads.api import router as leads_router
from accord.notifications.api import router as notifications_router
from accord.people.api import router as people_router
from accord.people.models import ApiToken
from accord.planning.api import router as planning_router
from accord.privacy.api import router as privacy_router
from accord.qualification.api import router as qualification_router
from accord.reporting.api import router as reporting_router
from accord.routing.api import router as routing_router
from accord.sla.api import router as sla_router
from accord.sla.external_api import router as external_review_router
from accord.sla.follow_ups_api import router as tasks_router
from accord.webhooks.api import router as webhooks_router

logger = logging.getLogger(__name__)

# --- authentication -----------------------------------------------------------------------------------


class TokenAuth(HttpBearer):
    """Personal API tokens: ``Authorization: Bearer acc_...``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.objects.authenticate(token)
        if found is None:
            return None
        now = timezone.now()
        # Writing on every call would make each read a write; once a minute is precise enough.
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        audit_context.api_authenticated(found.user)
        return found.user


class SessionAuth(APIKeyCookie):
    """A signed-in browser (the /api/v1/docs page): its session cookie, with Django's CSRF check.

    The check runs only for a request that carries a signed-in session, since only such a request
    can be forged across sites. A caller without one (a bad, revoked or missing token) is answered
    401, not "CSRF check failed": there is no session to protect, and the 401 says what to fix.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


# --- parsing ------------------------------------------------------------------------------------------

# Lead intake cleans text itself (control characters dropped, surrogates refused per field).
_INTAKE_URL_NAMES = {"create_lead"}


class TextParser(Parser):
    """JSON bodies and query strings, refused with a 422 when they hold text no database can store."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = json_body_load(request.body)  # depth, number size: a 400 saying which
        match = request.resolver_match
        if match is None or match.url_name not in _INTAKE_URL_NAMES:
            refuse_unstorable_text(data)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        refuse_unstorable_text(result)
        return result


# --- the API ------------------------------------------------------------------------------------------


def operation_id(operation: Operation) -> str:
    """``<router>_<function>``, the router's words dropped from the function's: ``leads_list`` for
    ``list_leads`` under the leads router, ``sla_accept_lead`` for ``accept_lead`` under sla.

    Generated clients name their functions after these ids; tests/api checks that they are unique.
    """
    tag = operation.tags[0] if operation.tags else operation.view_func.__module__.split(".")[1]
    prefix = re.sub(r"\W+", "_", tag.strip().lower())
    own_words = {prefix, prefix.removesuffix("s")}
    words = [w for w in operation.view_func.__name__.split("_") if w and w not in own_words]
    return "_".join([prefix, *words])


class AccordAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        return operation_id(operation)


api = AccordAPI(
    title="Accord API",
    version="1",
    description=(
        "Accord's REST API. Authenticate with a personal token (`accord token create --user NAME`) "
        "sent as `Authorization: Bearer <token>`; a missing, unknown or revoked token is a 401. "
        "Create calls honour an `Idempotency-Key` header: a repeat with the same key and body "
        'returns the first response. Errors are JSON `{"message": ..., "detail": {field: problem}}`.'
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    parser=TextParser(),
)

api.add_router("", people_router)
api.add_router("", leads_router)
api.add_router("", qualification_router)
api.add_router("", routing_router)
api.add_router("", sla_router)
api.add_router("", external_review_router)
api.add_router("", tasks_router)
api.add_router("", notifications_router)
api.add_router("", campaigns_router)
api.add_router("", communications_router)
api.add_router("", deals_router)
api.add_router("", planning_router)
api.add_router("", enablement_router)
api.add_router("", intelligence_router)
api.add_router("", knowledge_router)
api.add_router("", pipeline_router)
api.add_router("", reporting_router)
api.add_router("", privacy_router)
api.add_router("", webhooks_router)
api.add_router("", audit_router)
api.add_router("", intake_router)


# --- errors: one format, {"message": ..., "detail": {...}} ------------------------------------------------


def _error(request: HttpRequest, status: int, message: str, detail: Any = None) -> HttpResponse:
    return api.create_response(request, {"message": message, "detail": detail or {}}, status=status)


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _error(request, exc.status_code, exc.message, exc.detail)


@api.exception_handler(ModelValidationError)
def on_model_validation_error(request: HttpRequest, exc: ModelValidationError) -> HttpResponse:
    """A model's full_clean() that a service did not translate: still a 400 naming the fields."""
    return on_application_error(request, application_error_from_validation(exc))


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail: dict[str, str] = {}
    for error in exc.errors:
        loc = [str(p) for p in error.get("loc", []) if p not in ("body", "payload", "query", "path")]
        detail[".".join(loc) or "body"] = error.get("msg", "is invalid")
    fields = ", ".join(detail) or "the request"
    return _error(request, 422, f"Invalid input in {fields}.", detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """401 with ``WWW-Authenticate: Bearer`` (RFC 6750), saying whether the token was missing or refused."""
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and sent.strip():
        response = _error(
            request,
            401,
            "The API token was refused: it is unknown, revoked, or its user is deactivated. "
            "Create a new one with 'accord token create --user NAME'.",
            {"Authorization": "invalid token"},
        )
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    else:
        response = _error(
            request,
            401,
            "Authentication required: send 'Authorization: Bearer <token>' with a valid API token.",
            {"Authorization": "missing"},
        )
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, ApplicationError):
        # Raised while reading the body (TextParser): the field's own error, not "cannot parse".
        return on_application_error(request, exc.__cause__)
    if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
        # django-ninja's own words name neither the problem nor the fix.
        cause = exc.__cause__
        reason = "it is nested too deeply" if isinstance(cause, RecursionError) else str(cause or "")
        return _error(
            request,
            400,
            f"The body is not valid JSON ({reason}). Send one JSON object with "
            "Content-Type: application/json, encoded as UTF-8.",
            {"body": "invalid JSON"},
        )
    if exc.status_code == 403 and str(exc) == "CSRF check Failed":
        # Only a signed-in session is checked (SessionAuth): say how a browser call passes.
        return _error(
            request,
            403,
            "CSRF check failed: a call made with a signed-in session must send the X-CSRFToken header "
            "(the csrftoken cookie's value). Scripts should send 'Authorization: Bearer <token>' instead.",
            {"X-CSRFToken": "missing or wrong"},
        )
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(DataError)
def on_value_the_database_cannot_store(request: HttpRequest, exc: DataError) -> HttpResponse:
    """A value the schema let through but the database cannot hold (a number past 64 bits, a time zone
    offset PostgreSQL refuses): the caller's input, so 422 naming it, never a 500. The schemas bound
    what they can; this is the net under them."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "value out of range"
    logger.warning("API %s %s: the database refused a value: %s", request.method, request.path, reason)
    return _error(
        request,
        422,
        f"A value you sent is outside what Accord can store ({reason}). Check the numbers and dates.",
        {"database": reason},
    )


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database cannot be reached (e.g. restarting): 503 with Retry-After, never a 500."""
    return unavailable_response(request)
