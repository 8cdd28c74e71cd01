"""The one way a lower app tells a user something: ``notify(...)``.

SLA, routing and the rest sit below the notifications app, so they may not import it. They call
``notify`` here instead; the notifications app registers the function that does the work (the inbox
row, the email by the user's preference) in its ``AppConfig.ready``::

    from accord.core.notify import register_notification_sender
    register_notification_sender(notify)

The kinds live here too, so a caller names them without importing the notifications app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models

from accord.core.actors import Actor


class NotificationKind(models.TextChoices):
    SLA_REMINDER = "sla_reminder", "SLA deadline coming up"
    SLA_BREACH = "sla_breach", "SLA deadline missed"
    SLA_ESCALATION = "sla_escalation", "SLA breach escalated to you"
    LEAD_RECYCLED = "lead_recycled", "Lead recycled"
    LEAD_ASSIGNED = "lead_assigned", "Lead assigned to you"
    QUEUE_ALERT = "queue_alert", "Lead waiting in a queue you own"
    MAIL_IN_REPORT = "mail_in_report", "Email sent to your mail-in address was not logged"
    EXTERNAL_REVIEW_OVERDUE = "external_review_overdue", "External qualification review overdue"
    LEAD_REQUALIFIED = "lead_requalified", "Nurture lead re-qualified"
    OTHER = "other", "Other"


# Apps above core add their own kinds in their AppConfig.ready, so no app edits this file or migrates the
# notifications tables for a new kind: ``register_notification_kind("plan_preview", "Plan preview to comment")``.
_extra_kinds: dict[str, str] = {}


def register_notification_kind(value: str, label: str) -> str:
    """Make ``value`` a kind of notification with a label people read; returns ``value``."""
    if len(value) > 32:
        raise ImproperlyConfigured(f"notification kind {value!r} is longer than 32 characters")
    if value in NotificationKind.values and NotificationKind(value).label != label:
        raise ImproperlyConfigured(
            f"notification kind {value!r} is already defined as {NotificationKind(value).label!r}"
        )
    _extra_kinds[value] = label
    return value


def notification_kinds() -> list[tuple[str, str]]:
    """Every kind with its label: the built-in ones, then those apps registered, in order."""
    kinds = list(NotificationKind.choices)
    kinds += [(value, label) for value, label in _extra_kinds.items() if value not in NotificationKind.values]
    return kinds


def notification_kind_label(value: str) -> str:
    return dict(notification_kinds()).get(value, value.replace("_", " ").capitalize())


NotificationSender = Callable[..., Any]

_sender: NotificationSender | None = None


def register_notification_sender(sender: NotificationSender) -> NotificationSender:
    """``sender(*, user, kind, subject, body, url, lead, already_emailed)`` delivers one notification.
    One sender: registering again replaces it (the app's ``ready`` may run twice in tests)."""
    global _sender
    _sender = sender
    return sender


def notify(
    *,
    user: Actor,
    kind: str,
    subject: str,
    body: str,
    url: str = "",
    lead: Any = None,
    already_emailed: bool = False,
) -> Any:
    """Tell ``user`` about ``subject``: the registered sender puts it in their inbox and emails it as
    they prefer. Raises when no sender is registered, so a notification is never dropped silently."""
    if kind not in dict(notification_kinds()):
        raise ImproperlyConfigured(
            f"unknown notification kind {kind!r}: register it with register_notification_kind"
        )
    if _sender is None:
        raise ImproperlyConfigured(
            "No notification sender is registered: add 'accord.notifications' to INSTALLED_APPS "
            "(its AppConfig.ready registers one with accord.core.notify.register_notification_sender)."
        )
    return _sender(
        user=user,
        kind=kind,
        subject=subject,
        body=body,
        url=url,
        lead=lead,
        already_emailed=already_emailed,
    )
