"""Change records (the audit trail) and export records. Both are append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditChannel(models.TextChoices):
    PAGE = "page", "Web page"
    ADMIN = "admin", "Admin site"
    API = "api", "REST API"
    FORM = "form", "Public web form"
    IMPORT = "import", "CSV import"
    WEBHOOK = "webhook", "Webhook"
    EMAIL = "email", "Email"
    TASK = "task", "Background task"
    SYSTEM = "system", "System"


class ChangeAction(models.TextChoices):
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"


class ChangeRecord(models.Model):
    """One change to one tracked object: who, when, through which channel, old and new values.

    ``changes`` maps each tracked field that changed to ``[old, new]``; secrets are masked. Rows are
    written by the capture receivers only and never updated or deleted.
    """

    occurred_at = models.DateTimeField(db_index=True)
    # No index of its own: ``change_actor_time`` (actor, occurred_at) serves look-ups by actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="Kept if the user is deleted.")
    channel = models.CharField(max_length=10, choices=AuditChannel.choices, default=AuditChannel.SYSTEM)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_type = models.CharField(max_length=64, help_text="app_label.model, e.g. leads.lead")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=6, choices=ChangeAction.choices)
    changes = models.JSONField(default=dict, blank=True)
    is_configuration = models.BooleanField(
        default=False, help_text="A change to criteria, routing, SLA policies or roles (heads may read it)."
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "occurred_at"], name="change_object_time"),
            models.Index(fields=["actor", "occurred_at"], name="change_actor_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id} by {self.actor_name or 'system'}"


class ExportRecord(models.Model):
    """One CSV export: who downloaded what, with which filters, how many rows, when."""

    occurred_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    what = models.CharField(max_length=120, help_text="What was exported, e.g. 'sla.scorecards'.")
    filename = models.CharField(max_length=255, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True, help_text="Empty until a stream finishes.")
    channel = models.CharField(max_length=10, choices=AuditChannel.choices, default=AuditChannel.PAGE)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.what} by {self.username or 'system'} ({self.row_count} rows)"
