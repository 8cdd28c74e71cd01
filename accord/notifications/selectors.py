"""Reads for notifications: a user sees only their own."""

from __future__ import annotations

from typing import Any

from accord.core.errors import NotFound
from accord.notifications.models import Notification, NotificationQuerySet


def notifications_for(*, user: Any) -> NotificationQuerySet:
    """The user's notifications, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_get(*, user: Any, notification_id: int) -> Notification:
    notification = notifications_for(user=user).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound(f"Notification {notification_id} was not found.", detail={"id": notification_id})
    return notification


def unread_count(*, user: Any) -> int:
    return notifications_for(user=user).unread().count()
