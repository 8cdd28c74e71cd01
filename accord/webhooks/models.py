"""Webhooks both ways: external events taken in once (dedupe), and endpoints Accord posts its events to."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from accord.core.models import BaseModel, Event


class ExternalEvent(BaseModel):
    """An event another system sent us (by its own id), remembered so a redelivery has no second effect.

    Only a hash of the body is kept, not the body: the lead it made holds the personal data.
    """

    source = models.ForeignKey("leads.Source", on_delete=models.CASCADE, related_name="external_events")
    external_id = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64)
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="external_event_source_id"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_id}"


def webhook_secret_new() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(BaseModel):
    """A URL that receives Accord's events of the subscribed types, signed with the endpoint's secret.

    The secret is stored as it is (signing needs the secret itself, so it cannot be hashed) and is
    shown once, when the endpoint is made; pages and the API never display it again.
    """

    name = models.CharField(max_length=120)
    url = models.URLField(max_length=1000)
    secret = models.CharField(max_length=128, default=webhook_secret_new)
    event_types = models.JSONField(default=list, help_text="Event types sent here, e.g. ['lead.assigned'].")
    is_active = models.BooleanField(default=True)
    allow_private = models.BooleanField(
        default=False,
        help_text="Allow targets on private, loopback or link-local addresses (set by an admin, for "
        "services inside your own network).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def wants(self, event_type: str) -> bool:
        return event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (not retried)"
    GAVE_UP = "gave_up", "Gave up after retries"


class WebhookDelivery(BaseModel):
    """One event on its way to one endpoint, with its attempts so far.

    ``payload`` is the exact JSON body sent on every attempt (the signature is made afresh each
    time). ``subject_type``/``subject_id`` let a privacy erasure find the payloads that name a person.
    """

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    event_type = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker sending this delivery holds it until then."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # An event reaches an endpoint once, however often the hand-off runs.
            models.UniqueConstraint(
                fields=["endpoint", "event", "event_type"],
                name="webhook_delivery_once",
                condition=models.Q(event__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["subject_type", "subject_id"], name="webhook_delivery_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id}: {self.status}"
