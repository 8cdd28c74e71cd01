"""API for the caller's notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from accord.core.api_support import ErrorOut
from accord.notifications.selectors import notification_get, notifications_for
from accord.notifications.services import notification_mark_read
from accord.people.access import signed_in_user

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    url: str
    lead_id: int | None
    created_at: datetime
    read_at: datetime | None
    emailed_at: datetime | None
    email_attempts: int = Field(description="Tries to email it so far.")
    email_error: str = Field(description="Why the last try failed; empty once it was sent.")
    email_retry_at: datetime | None = Field(
        description="When the next try is due; empty when sent or given up."
    )


class NotificationListOut(Schema):
    unread: int
    results: list[NotificationOut]


class NotificationQuery(Schema):
    unread: bool = Field(False, description="Only unread notifications.")
    limit: int = Field(50, ge=1, le=500)


def notification_out(n: Any) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "subject": n.subject,
        "body": n.body,
        "url": n.url,
        "lead_id": n.lead_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "emailed_at": n.emailed_at,
        "email_attempts": n.email_attempts,
        "email_error": n.email_error,
        "email_retry_at": n.email_retry_at,
    }


@router.get("/notifications", response=NotificationListOut, summary="Your notifications, newest first")
def list_notifications(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    qs = notifications_for(user=signed_in_user(request))
    unread = qs.unread()
    shown = unread if query.unread else qs
    return {"unread": unread.count(), "results": [notification_out(n) for n in shown[: query.limit]]}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, 404: ErrorOut},
    summary="Mark one read",
)
def mark_read(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    notification = notification_get(user=user, notification_id=notification_id)
    return notification_out(notification_mark_read(notification=notification, user=user))
