"""In-app notifications, with how each user wants each kind delivered by email."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accord.core.models import BaseModel


class NotificationKind(models.TextChoices):
    SLA_REMINDER = "sla_reminder", "SLA deadline coming up"
    SLA_BREACH = "sla_breach", "SLA deadline missed"
    SLA_ESCALATION = "sla_escalation", "SLA breach escalated to you"
    LEAD_RECYCLED = "lead_recycled", "Lead recycled"
    LEAD_ASSIGNED = "lead_assigned", "Lead assigned to you"
    QUEUE_ALERT = "queue_alert", "Lead waiting in a queue you own"
    OTHER = "other", "Other"


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "Email each one"
    DIGEST = "digest", "Email a daily digest"
    OFF = "off", "No email (in-app only)"


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def pending_digest(self) -> NotificationQuerySet:
        return self.filter(email_mode=EmailMode.DIGEST, emailed_at__isnull=True)


class Notification(BaseModel):
    """One message to one user, shown in their inbox and, by their preference, emailed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="Where the notification leads in Accord.")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email_mode = models.CharField(
        max_length=10,
        choices=EmailMode.choices,
        default=EmailMode.IMMEDIATE,
        help_text="The user's preference when the notification was made.",
    )
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_read"),
            models.Index(
                fields=["email_mode", "emailed_at"],
                name="notification_email_pending",
                condition=Q(emailed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.subject}"


class NotificationPreference(BaseModel):
    """How one user wants one kind of notification emailed. Without a row: immediately."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    mode = models.CharField(max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.mode}"
