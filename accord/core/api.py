"""The REST API under /api/v1/: authentication, the one error format, and the app routers."""

from __future__ import annotations

import re
from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, django_auth

from accord.audit import context as audit_context
from accord.core.errors import ApplicationError, ModelValidationError, application_error_from_validation
from accord.people.models import ApiToken


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


# Lead intake cleans text itself (control characters dropped, surrogates refused per field).
_INTAKE_URL_NAMES = {"create_lead"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable_text(value: str) -> str | None:
    if "\x00" in value:
        return "must not contain a NUL character (\\u0000 or %00); remove it"
    if _LONE_SURROGATE.search(value):
        return (
            "contains an unpaired UTF-16 surrogate (such as \\ud800), which is not text; send the whole pair"
        )
    return None


def _refuse_unstorable_text(data: Any, where: str = "") -> None:
    """A 422 naming the field for text no database stores: PostgreSQL refuses NUL, none a lone surrogate."""
    items: Any = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        name = f"{where}.{key}" if where else str(key)
        problem = _unstorable_text(key) if isinstance(key, str) else None
        if problem is None and isinstance(value, str):
            problem = _unstorable_text(value)
        if problem is not None:
            shown = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", name.replace("\x00", "\\u0000"))
            raise ApplicationError(
                f"Invalid input in {shown}: it {problem}.", detail={shown: problem}, status=422
            )
        _refuse_unstorable_text(value, name)


class TextParser(Parser):
    """JSON bodies and query strings, refused with a 422 when they hold text no database can store."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        match = request.resolver_match
        if match is None or match.url_name not in _INTAKE_URL_NAMES:
            _refuse_unstorable_text(data)
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest) -> Any:
        result = super().parse_querydict(data, list_fields, request)
        _refuse_unstorable_text(result)
        return result


api = NinjaAPI(
    title="Accord API",
    version="1",
    description=(
        "Accord's REST API. Authenticate with a personal token (`accord token create --user NAME`) "
        "sent as `Authorization: Bearer <token>`. Create calls honour an `Idempotency-Key` header: "
        "a repeat with the same key and body returns the first response. Errors are JSON "
        '`{"message": ..., "detail": {field: problem}}`.'
    ),
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
    parser=TextParser(),
)


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
    return _error(
        request, 401, "Authentication required: send 'Authorization: Bearer <token>' with a valid API token."
    )


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
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database cannot be reached (e.g. restarting): 503 with Retry-After, never a 500."""
    from accord.core.middleware import unavailable_response

    return unavailable_response(request)


def _register_routers() -> None:
    from accord.audit.api import router as audit_router
    from accord.campaigns.api import router as campaigns_router
    from accord.campaigns.communications_api import router as communications_router
    from accord.deals.api import router as deals_router
    from accord.leads.api import router as leads_router
    from accord.notifications.api import router as notifications_router
    from accord.people.api import router as people_router
    from accord.privacy.api import router as privacy_router
    from accord.qualification.api import router as qualification_router
    from accord.reporting.api import router as reporting_router
    from accord.routing.api import router as routing_router
    from accord.sla.api import router as sla_router
    from accord.sla.external_api import router as external_review_router
    from accord.webhooks.api import router as webhooks_router

    api.add_router("", people_router)
    api.add_router("", leads_router)
    api.add_router("", qualification_router)
    api.add_router("", routing_router)
    api.add_router("", sla_router)
    api.add_router("", external_review_router)
    api.add_router("", notifications_router)
    api.add_router("", campaigns_router)
    api.add_router("", communications_router)
    api.add_router("", deals_router)
    api.add_router("", reporting_router)
    api.add_router("", privacy_router)
    api.add_router("", webhooks_router)
    api.add_router("", audit_router)


_register_routers()
