"""API: subject access export, erasure, unsubscribe, and the lead trash (delete / restore)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema
from pydantic import ConfigDict, Field

from accord.audit.services import export_record
from accord.core.api_support import MAX_ID, ErrorOut
from accord.core.errors import AccessDenied, NotFound
from accord.core.models import Channel
from accord.leads.models import Lead
from accord.leads.selectors import lead_get
from accord.people.access import leads_visible_to, signed_in_user
from accord.privacy.models import LeadTrash
from accord.privacy.selectors import (
    PRIVACY_ROLES,
    email_hash,
    export_filename,
    person_email_check,
    privacy_export,
)
from accord.privacy.services import lead_delete, lead_restore, lead_unsubscribe, privacy_erase

router = Router(tags=["privacy"])


def _admin_only(request: HttpRequest) -> None:
    if not signed_in_user(request).has_role(*PRIVACY_ROLES):
        raise AccessDenied("Only administrators may export or erase personal data.")


@router.get(
    "/privacy/export",
    response={200: dict[str, Any], 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Everything Accord holds about a person (subject access export)",
)
def export(request: HttpRequest, email: str = Query(..., min_length=1, max_length=254)) -> dict[str, Any]:
    _admin_only(request)
    person_email_check(email)  # before the export is logged: a fragment is refused, not searched for
    export_record(
        user=signed_in_user(request),
        what="privacy.subject_access",
        filename=export_filename(email),
        filters={"email_hash": email_hash(email)},
    )
    return privacy_export(email=email)


class EraseIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    email: str = Field("", max_length=254)
    lead_id: int | None = Field(None, ge=1, le=MAX_ID)
    reason: str = Field(..., min_length=1, max_length=2000)


class EraseOut(Schema):
    id: int
    erased_at: datetime
    lead_ids: list[int]
    counts: dict[str, int]
    files: list[dict[str, Any]]


@router.post(
    "/privacy/erase",
    response={200: EraseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Erase a person from every table and file (events stay, redacted)",
)
def erase(request: HttpRequest, payload: EraseIn) -> EraseOut:
    record = privacy_erase(
        email=payload.email,
        lead_id=payload.lead_id,
        actor=signed_in_user(request),
        reason=payload.reason,
        channel=Channel.API,
    )
    return EraseOut(
        id=record.pk,
        erased_at=record.created_at,
        lead_ids=record.lead_ids,
        counts=record.counts,
        files=record.files,
    )


class UnsubscribeIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    email: str = Field(..., min_length=3, max_length=254)
    source: str = Field("api", max_length=200)


class ConsentOut(Schema):
    lead_id: int
    consent: str
    consent_source: str
    consent_at: datetime | None


@router.post(
    "/privacy/unsubscribe",
    response={200: ConsentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Record an unsubscribe (consent denied) for a lead's email",
)
def unsubscribe(request: HttpRequest, payload: UnsubscribeIn) -> ConsentOut:
    lead = leads_visible_to(request.user).filter(email_key=payload.email.strip().lower()).first()
    if lead is None:
        raise NotFound("No lead you can see has this email address.", detail={"email": "unknown"})
    lead = lead_unsubscribe(
        lead=lead, source=payload.source, actor=signed_in_user(request), channel=Channel.API
    )
    return ConsentOut(
        lead_id=lead.pk, consent=lead.consent, consent_source=lead.consent_source, consent_at=lead.consent_at
    )


class TrashIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    reason: str = Field("", max_length=255)


class TrashOut(Schema):
    lead_id: int
    in_trash: bool


@router.post(
    "/leads/{lead_id}/trash",
    response={200: TrashOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Delete a lead (to the trash, restorable)",
)
def trash_add(request: HttpRequest, payload: TrashIn, lead_id: int = Path(..., ge=1, le=MAX_ID)) -> TrashOut:
    user = signed_in_user(request)
    lead = lead_get(user=user, lead_id=lead_id)
    lead_delete(lead=lead, actor=user, reason=payload.reason, channel=Channel.API)
    return TrashOut(lead_id=lead.pk, in_trash=True)


@router.post(
    "/leads/{lead_id}/restore",
    response={200: TrashOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Restore a lead from the trash",
)
def trash_restore(request: HttpRequest, lead_id: int = Path(..., ge=1, le=MAX_ID)) -> TrashOut:
    item = LeadTrash.objects.select_related("lead").filter(lead_id=lead_id).first()
    lead: Lead | None = item.lead if item else None
    if lead is None:
        raise NotFound(f"Lead {lead_id} is not in the trash.", detail={"lead_id": lead_id})
    lead_restore(lead=lead, actor=signed_in_user(request), channel=Channel.API)
    return TrashOut(lead_id=lead.pk, in_trash=False)
