"""The public web-form endpoint ``POST /f/<source-key>`` that websites post to.

Takes form-encoded or JSON bodies (HubSpot's ``{"fields": [...]}`` shape too), understands the field
names of Salesforce web-to-lead and HubSpot forms, drops bot submissions caught by the honeypot, and
answers with a redirect (``retURL`` / the source's success URL), a thank-you page, or JSON. A source
with ``queue_submissions`` on answers as soon as the checked submission is stored, and the worker makes
the lead (``accord.intake.queue``).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from accord.core.bodies import json_body_load
from accord.core.errors import ApplicationError
from accord.core.idempotency import idempotent_call
from accord.core.models import Channel
from accord.core.ratelimit import rate_limit_hit
from accord.core.rows import row_first
from accord.core.signing import SIGNATURE_HEADER, signature_verify
from accord.intake.queue import submission_enqueue
from accord.intake.services import lead_intake
from accord.leads.models import Source
from accord.leads.normalize import flatten_hubspot

log = logging.getLogger(__name__)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": f"Content-Type, Idempotency-Key, {SIGNATURE_HEADER}",
    "Access-Control-Max-Age": "86400",
}


def _with_cors(response: HttpResponse) -> HttpResponse:
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response


def _wants_json(request: HttpRequest, is_json_body: bool) -> bool:
    accept = request.headers.get("Accept", "")
    return (
        is_json_body
        or request.GET.get("format") == "json"
        or ("application/json" in accept and "text/html" not in accept)
    )


def _parse_body(request: HttpRequest) -> tuple[dict[str, Any], bool]:
    content_type = request.content_type or ""
    is_json = content_type == "application/json" or content_type.endswith("+json")
    if content_type == "text/plain" and (request.body or b"").lstrip()[:1] == b"{":
        is_json = True  # scripts send JSON as text/plain to spare the browser a CORS preflight
    elif content_type == "text/plain":
        raise ApplicationError(
            "A text/plain body is read only when it is a JSON object; send the form as "
            "application/x-www-form-urlencoded, multipart/form-data or application/json.",
            detail={"body": "unsupported content type"},
        )
    if is_json:
        payload = json_body_load(request.body or b"{}")
        if not isinstance(payload, dict):
            raise ApplicationError(
                "The JSON body must be an object of field names to values.",
                detail={"body": "expected an object"},
            )
        return flatten_hubspot(payload), True
    data: dict[str, Any] = {}
    try:
        posted = request.POST
    except (MultiPartParserError, SuspiciousOperation) as exc:
        # A broken multipart body or too many fields: the sender's fault, said as such (not a 500).
        raise ApplicationError(
            f"The form body cannot be read: {exc}. Send the fields as application/x-www-form-urlencoded, "
            "multipart/form-data or application/json.",
            detail={"body": "unreadable form"},
        ) from None
    for key in posted:
        values = posted.getlist(key)
        data[key] = values[0] if len(values) == 1 else ";".join(values)
    if "hs_context" in data:
        data.update(_hubspot_context(str(data.pop("hs_context") or ""), data))
    return data, False


def _hubspot_context(raw: str, data: dict[str, Any]) -> dict[str, Any]:
    """HubSpot's form-encoded posts carry the page in a JSON ``hs_context`` field: its page becomes
    custom fields, its redirectUrl the retURL (checked against the source's hosts like any other)."""
    try:
        context = json_body_load(raw.encode())
    except ApplicationError:
        return {"hs_context_unreadable": raw[:1000]}
    if not isinstance(context, dict):
        return {}
    out: dict[str, Any] = {}
    for name, key in (("pageUrl", "page_uri"), ("pageUri", "page_uri"), ("pageName", "page_name")):
        if isinstance(context.get(name), str) and context[name] and key not in data:
            out[key] = context[name]
    if isinstance(context.get("redirectUrl"), str) and not data.get("retURL"):
        out["retURL"] = context["redirectUrl"]
    for name in ("hutk", "ipAddress"):
        if context.get(name):
            out.setdefault(name, str(context[name]))
    return out


def _safe_redirect(source: Source, requested: str) -> str:
    """retURL only to the source's allowed hosts (or its success URL's host): no open redirect."""
    allowed = source.redirect_hosts()
    if source.success_url:
        allowed.add((urlsplit(source.success_url).hostname or "").lower())
    if requested:
        parts = urlsplit(requested)
        if parts.scheme in ("http", "https") and (parts.hostname or "").lower() in allowed:
            return requested
    return source.success_url


@csrf_exempt
def form_submit(request: HttpRequest, key: str) -> HttpResponse:
    if request.method == "OPTIONS":
        return _with_cors(HttpResponse(status=204))
    if request.method != "POST":
        return _with_cors(JsonResponse({"message": "Post the form here (POST).", "detail": {}}, status=405))
    # A NUL byte (/f/x%00) is never part of a key, and PostgreSQL refuses it even in a WHERE clause.
    source = row_first(Source, "public_key = %s AND is_active", [key]) if "\x00" not in key else None
    if source is None:
        return _with_cors(
            JsonResponse(
                {
                    "message": "Unknown or disabled form key: check the form's action URL.",
                    "detail": {"key": key},
                },
                status=404,
            )
        )
    if source.queue_submissions and connection.vendor == "sqlite":
        # A busy form on SQLite: its rate count and the stored submission are one write transaction,
        # not two (one wait for the database's write lock per post). A refusal commits its count too.
        # On PostgreSQL each is one statement, its own transaction: two round trips instead of four,
        # and the address's rate row is not locked while the submission is stored.
        with transaction.atomic():
            return _form_answer(request, source)
    return _form_answer(request, source)


def _form_answer(request: HttpRequest, source: Source) -> HttpResponse:
    refusal = _guard(request, source)
    if refusal is not None:
        return _with_cors(refusal)
    try:
        data, is_json = _parse_body(request)
    except ApplicationError as exc:
        return _with_cors(
            JsonResponse({"message": exc.message, "detail": exc.detail}, status=exc.status_code)
        )
    wants_json = _wants_json(request, is_json)
    redirect_to = _safe_redirect(source, str(data.pop("retURL", "") or data.pop("redirect", "") or ""))

    if str(data.pop(source.honeypot_field, "") or "").strip():
        log.info("form %s: honeypot filled, submission dropped", source.name)
        return _respond_ok(request, source, wants_json, redirect_to)

    def run() -> tuple[int, Any]:
        if source.queue_submissions:
            # A busy form: checked and stored now, made into a lead by the worker (accord.intake.queue).
            submission_enqueue(data=data, channel=Channel.FORM, source=source)
        else:
            lead_intake(data=data, channel=Channel.FORM, source=source)
        return 200, {"ok": True, "message": "Thank you: your details were received."}

    try:
        idempotent_call(
            scope=f"source:{source.pk}", key=request.headers.get("Idempotency-Key"), body=data, call=run
        )
    except ApplicationError as exc:
        if wants_json:
            return _with_cors(
                JsonResponse({"message": exc.message, "detail": exc.detail}, status=exc.status_code)
            )
        return _with_cors(
            render(
                request,
                "intake/form_error.html",
                {"message": exc.message, "detail": exc.detail, "source": source},
                status=exc.status_code,
            )
        )
    return _respond_ok(request, source, wants_json, redirect_to)


def client_address(request: HttpRequest) -> str:
    if settings.ACCORD_TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _guard(request: HttpRequest, source: Source) -> HttpResponse | None:
    """Size, rate and signature checks, before the body is parsed. None when the post may proceed."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = min(
        source.max_body_bytes, settings.ACCORD_PUBLIC_MAX_BODY_BYTES, settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
    if length > limit:
        return JsonResponse(
            {
                "message": f"The post is {length} bytes; this form accepts at most {limit}.",
                "detail": {"body": "too large"},
            },
            status=413,
        )
    decision = rate_limit_hit(
        key=f"form:{source.pk}:{client_address(request)}", limit=source.rate_limit_per_minute
    )
    if not decision.allowed:
        response = JsonResponse(
            {
                "message": f"Too many submissions from this address (limit {decision.limit} a minute); "
                f"retry in {decision.retry_after} seconds.",
                "detail": {"retry_after": decision.retry_after},
            },
            status=429,
        )
        response["Retry-After"] = str(max(decision.retry_after, 1))
        return response
    if source.require_signature:
        secrets = [source.signing_secret]
        if source.previous_signing_secret and (
            source.previous_secret_valid_until is None or source.previous_secret_valid_until > timezone.now()
        ):
            secrets.append(source.previous_signing_secret)
        try:
            signature_verify(secrets=secrets, header=request.headers.get(SIGNATURE_HEADER), body=request.body)
        except ApplicationError as exc:
            return JsonResponse({"message": exc.message, "detail": exc.detail}, status=exc.status_code)
    return None


def _respond_ok(request: HttpRequest, source: Source, wants_json: bool, redirect_to: str) -> HttpResponse:
    if wants_json:
        return _with_cors(JsonResponse({"ok": True, "message": "Thank you: your details were received."}))
    if redirect_to:
        return _with_cors(HttpResponseRedirect(redirect_to, status=303))
    return _with_cors(render(request, "intake/form_thanks.html", {"source": source}))
