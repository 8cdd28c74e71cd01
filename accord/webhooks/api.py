"""REST API for webhooks: the signed, deduplicated lead intake hook, and outgoing endpoints (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut, json_response
from accord.core.bodies import json_body_load
from accord.core.errors import ApplicationError
from accord.core.idempotency import REPLAYED_HEADER, idempotent_response
from accord.intake.public import _guard
from accord.leads.models import Source
from accord.leads.normalize import flatten_hubspot
from accord.people.access import signed_in_user
from accord.webhooks import services
from accord.webhooks.selectors import webhook_endpoint_list, webhooks_can_manage

router = Router(tags=["webhooks"])

EVENT_ID_HEADER = "X-Event-Id"


class HookLeadOut(Schema):
    ok: bool
    event_id: str
    lead_id: int
    created: bool = Field(description="False when the email matched a lead Accord already had.")
    duplicate: bool = Field(description="True when this event id was delivered before: nothing new happened.")


# The handler reads the body itself (it must be signed byte for byte), so the schema is written out:
# the two shapes it takes, the web form's flat fields or a HubSpot Forms submission (flatten_hubspot).
_EVENT_ID = {"type": "string", "description": "The event's id when the X-Event-Id header is not sent."}
HOOK_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "anyOf": [
                    {
                        "title": "HookLeadFields",
                        "type": "object",
                        "description": "The lead's fields, named as the web form names them (email, "
                        "first_name, company ...).",
                        "properties": {"event_id": _EVENT_ID, "email": {"type": "string"}},
                        "required": ["email"],
                        "additionalProperties": True,
                    },
                    {
                        "title": "HookHubSpotForm",
                        "type": "object",
                        "description": "A HubSpot Forms submission: the lead's fields (email among them) "
                        "as name/value pairs; the page and the consent answer are taken too.",
                        "properties": {
                            "event_id": _EVENT_ID,
                            "fields": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
                                    "required": ["name", "value"],
                                },
                            },
                            "context": {"type": "object", "properties": {"pageUri": {"type": "string"}}},
                            "legalConsentOptions": {"type": "object"},
                        },
                        "required": ["fields"],
                        "additionalProperties": True,
                    },
                ]
            }
        }
    },
}


@router.post(
    "/hooks/leads/{source_key}",
    auth=None,
    response={
        200: HookLeadOut,
        201: HookLeadOut,
        400: ErrorOut,
        401: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Receive a lead from another system (deduplicated by event id, optionally signed)",
    openapi_extra={
        "requestBody": HOOK_BODY,
        "parameters": [
            {
                "in": "header",
                "name": EVENT_ID_HEADER,
                "required": False,
                "schema": {"type": "string"},
                "description": "The sender's id for this event; a redelivery with the same id has no "
                "second effect.",
            },
        ],
    },
)
def receive_lead(request: HttpRequest, source_key: str) -> HttpResponse:
    """201 when a new lead was made, 200 when it matched one; a redelivery replays the first answer."""
    # The public form's guard: size limit (413), per-address rate limit (429), HMAC signature (401).
    source = None
    if "\x00" not in source_key:  # PostgreSQL refuses a NUL byte even in a WHERE clause; no key holds one
        source = Source.objects.filter(public_key=source_key, is_active=True).first()
    if source is None:
        raise ApplicationError(
            "Unknown or disabled source key: check the hook's URL.",
            detail={"source_key": "unknown"},
            status=404,
        )
    refusal = _guard(request, source)
    if refusal is not None:
        return refusal
    body = json_body_load(request.body or b"{}")
    if not isinstance(body, dict):
        raise ApplicationError(
            "The JSON body must be an object of field names to values.", detail={"body": "expected an object"}
        )
    body_event_id = body.pop("event_id", None)
    external_id = (
        request.headers.get(EVENT_ID_HEADER)
        or (str(body_event_id) if body_event_id is not None else "")
        or request.headers.get("Idempotency-Key")
        or ""
    )
    status, response, replayed = services.external_lead_intake(
        source=source, external_id=external_id, data=flatten_hubspot(body)
    )
    http = json_response(request, response, status=status)
    if replayed:
        http[REPLAYED_HEADER] = "true"
    return http


class EndpointOut(Schema):
    id: int
    name: str
    url: str
    event_types: list[str]
    is_active: bool
    allow_private: bool
    created_at: datetime


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(description="The signing secret. Shown this once: store it now.")


class EndpointIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    name: str
    url: str
    event_types: list[str] = Field(description="Types to receive; see GET /webhooks/event-types.")
    is_active: bool = True
    allow_private: bool = Field(
        False, description="Allow private/loopback targets (admins; inside your network)."
    )


class EventTypeOut(Schema):
    type: str
    description: str


def endpoint_out(endpoint: Any) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "name": endpoint.name,
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
        "allow_private": endpoint.allow_private,
        "created_at": endpoint.created_at,
    }


def _require_admin(request: HttpRequest) -> None:
    if not webhooks_can_manage(signed_in_user(request)):
        raise ApplicationError("Only admins manage webhooks.", status=403)


@router.get(
    "/webhooks/event-types", response=list[EventTypeOut], summary="Event types an endpoint may receive"
)
def list_event_types(request: HttpRequest) -> list[dict[str, str]]:
    return [{"type": t, "description": d} for t, d in services.EVENT_TYPES.items()]


@router.get(
    "/webhooks", response={200: list[EndpointOut], 403: ErrorOut}, summary="Outgoing webhook endpoints"
)
def list_endpoints(request: HttpRequest) -> list[dict[str, Any]]:
    _require_admin(request)
    return [endpoint_out(e) for e in webhook_endpoint_list(user=signed_in_user(request))]


@router.post(
    "/webhooks",
    response={201: EndpointCreatedOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Add an outgoing webhook endpoint (the secret is in this answer only)",
)
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> HttpResponse:
    _require_admin(request)
    data = payload.model_dump()

    def run() -> tuple[int, Any]:
        endpoint = services.webhook_endpoint_create(actor=signed_in_user(request), **data)
        out = EndpointCreatedOut.model_validate({**endpoint_out(endpoint), "secret": endpoint.secret})
        return 201, out.model_dump(mode="json")

    return idempotent_response(request, operation="webhook_endpoint_create", body=data, call=run)
