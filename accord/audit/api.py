"""API for the audit trail: read-only, the same filters as the page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accord.audit.models import AuditChannel, ChangeAction, ChangeRecord
from accord.audit.selectors import ChangeFilters, can_read_audit, change_record_get, change_record_list
from accord.core.api_support import ErrorOut, offset_page
from accord.core.errors import NotFound
from accord.people.access import signed_in_user

router = Router(tags=["audit"])


class ChangeOut(Schema):
    id: int
    occurred_at: datetime
    actor: str | None
    channel: str
    request_id: str
    object_type: str
    object_id: str
    object_repr: str
    action: str
    changes: dict[str, list[Any]] = Field(description="{field: [old, new]}; secrets are masked.")
    redacted: bool = Field(description="The person was erased: the values are gone and changes is empty.")


class ChangeListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[ChangeOut]


class ChangeQuery(Schema):
    object_type: str | None = Field(None, description="app_label.model, e.g. leads.lead")
    object_id: str | None = None
    actor: str | None = Field(None, description="Username of who made the change.")
    channel: AuditChannel | None = None
    action: ChangeAction | None = None
    since: date | None = None
    until: date | None = Field(None, description="Inclusive.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def change_out(r: ChangeRecord) -> dict[str, Any]:
    # Erasure replaces a record's changes with {"redacted": true} (accord.privacy.services).
    redacted = r.changes == {"redacted": True}
    return {
        "id": r.pk, "occurred_at": r.occurred_at, "actor": r.actor_name or None, "channel": r.channel,
        "request_id": r.request_id, "object_type": r.object_type, "object_id": r.object_id,
        "object_repr": r.object_repr, "action": r.action, "changes": {} if redacted else r.changes,
        "redacted": redacted,
    }  # fmt: skip


@router.get(
    "/audit",
    response={200: ChangeListOut, 400: ErrorOut, 404: ErrorOut},
    summary="Changes you may read (admins; heads: configuration)",
)
def list_changes(request: HttpRequest, query: Query[ChangeQuery]) -> dict[str, Any]:
    user = signed_in_user(request)
    if not can_read_audit(user):
        raise NotFound("Not found.")
    filters = ChangeFilters(
        object_type=query.object_type or "", object_id=query.object_id or "", actor=query.actor or "",
        channel=query.channel or "", action=query.action or "", since=query.since, until=query.until,
    )  # fmt: skip
    qs = change_record_list(user=user, filters=filters)
    return offset_page(qs, limit=query.limit, offset=query.offset, row=change_out)


@router.get("/audit/{record_id}", response={200: ChangeOut, 404: ErrorOut}, summary="One change record")
def get_change(request: HttpRequest, record_id: int) -> dict[str, Any]:
    return change_out(change_record_get(user=signed_in_user(request), record_id=record_id))
