"""Privacy records: erasures carried out and leads in the trash (soft delete with restore)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import BaseModel


class ErasureRecord(BaseModel):
    """Proof that a person was erased: who did it, when, why, and how many rows went from each table.

    It never holds the email itself, only a keyed hash of it (HMAC with the site's secret key), so
    "was this address erased?" can be answered without keeping the address.
    """

    email_hash = models.CharField(max_length=64, db_index=True, blank=True)
    lead_ids = models.JSONField(default=list, blank=True, help_text="Ids of the lead rows removed.")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(
        max_length=150, blank=True, help_text="Username at the time, kept if the user goes."
    )
    reason = models.TextField()
    counts = models.JSONField(default=dict, blank=True, help_text="Rows removed or redacted per table.")
    files = models.JSONField(
        default=list, blank=True, help_text="Files rewritten or deleted (paths under MEDIA_ROOT)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Erasure {self.pk} by {self.actor_name or 'system'} at {self.created_at:%Y-%m-%d %H:%M}"


class LeadTrash(BaseModel):
    """A lead deleted the normal way: hidden everywhere, restorable until it is erased."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="trash")
    deleted_at = models.DateTimeField()
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return f"Lead {self.lead_id} in the trash since {self.deleted_at:%Y-%m-%d %H:%M}"
