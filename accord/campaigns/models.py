"""Campaigns (nested parent/child), their cost lines over time, and touchpoints linking people to them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accord.core.models import BaseModel


class CampaignChannel(models.TextChoices):
    """The marketing channel a campaign (or an uncampaigned touch) runs in."""

    EMAIL = "email", "Email"
    PAID_SEARCH = "paid_search", "Paid search"
    PAID_SOCIAL = "paid_social", "Paid social"
    WEBINAR = "webinar", "Webinar"
    EVENT = "event", "Event"
    CONTENT = "content", "Content"
    PARTNER = "partner", "Partner"
    DIRECT_MAIL = "direct_mail", "Direct mail"
    OTHER = "other", "Other"


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Campaign(BaseModel):
    """A marketing campaign: channel, owner, dates, budget, and the utm_campaign key that links touches.

    ``utm_campaign`` is stored lower-cased (the services normalise it) so the intake hook can find a
    campaign with an exact, indexed lookup. Children share their parent's currency so costs roll up exactly.
    """

    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=20, choices=CampaignChannel.choices, default=CampaignChannel.OTHER)
    status = models.CharField(max_length=12, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    budget = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(max_length=3, default="USD")
    utm_campaign = models.CharField(
        max_length=200, blank=True, help_text="The utm_campaign value that links touches to this campaign."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-start_date", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["utm_campaign"], condition=~models.Q(utm_campaign=""), name="campaign_utm_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(utm_campaign=Lower("utm_campaign")), name="campaign_utm_lower"
            ),
            models.CheckConstraint(condition=models.Q(budget__gte=0), name="campaign_budget_not_negative"),
            models.CheckConstraint(
                condition=models.Q(start_date__isnull=True)
                | models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="campaign_dates_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="campaign_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CostLine(BaseModel):
    """Money spent on a campaign over a period of days (inclusive), spread evenly per day.

    A one-day cost has ``period_start == period_end``. Spreading works in whole cents, with the
    leftover cents on the first days, so the cost of any set of periods adds up to the line exactly.
    A negative amount is a correction (a refund or credit note).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="cost_lines")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    period_start = models.DateField()
    period_end = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["period_start", "id"]
        indexes = [
            models.Index(fields=["campaign", "period_start", "period_end"], name="costline_campaign_period")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="costline_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.amount} {self.currency} {self.period_start}..{self.period_end}"

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1


class TouchpointKind(models.TextChoices):
    FORM_SUBMISSION = "form_submission", "Form submission"
    EMAIL_CLICK = "email_click", "Email click"
    WEBINAR_ATTENDED = "webinar_attended", "Webinar attended"
    AD_CLICK = "ad_click", "Ad click"
    EVENT_VISIT = "event_visit", "Event visit"
    CALL = "call", "Call"
    OTHER = "other", "Other"


class Touchpoint(BaseModel):
    """One interaction of a person with marketing, at a moment, possibly through a campaign.

    ``channel`` is the marketing channel (the campaign's, else read from utm_medium);
    ``intake_channel`` is how the record reached Accord (form, API, import, email...).
    The same person, kind, moment and campaign is recorded once.
    """

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="touchpoints")
    # PROTECT: a campaign with touches is history; cancel it rather than delete it.
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="touchpoints"
    )
    kind = models.CharField(max_length=20, choices=TouchpointKind.choices, default=TouchpointKind.OTHER)
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=20, choices=CampaignChannel.choices, default=CampaignChannel.OTHER)
    intake_channel = models.CharField(max_length=16, blank=True)
    activity = models.CharField(max_length=64, blank=True, help_text="The activity as the intake named it.")
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    source = models.ForeignKey(
        "leads.Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["lead", "occurred_at"], name="touchpoint_lead_time"),
            models.Index(fields=["campaign", "occurred_at"], name="touchpoint_campaign_time"),
        ]
        constraints = [
            # NULLs are distinct in unique indexes, so touches without a campaign need their own rule.
            models.UniqueConstraint(
                fields=["lead", "kind", "occurred_at", "campaign"],
                condition=models.Q(campaign__isnull=False),
                name="touchpoint_unique_with_campaign",
            ),
            models.UniqueConstraint(
                fields=["lead", "kind", "occurred_at"],
                condition=models.Q(campaign__isnull=True),
                name="touchpoint_unique_without_campaign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by lead {self.lead_id} at {self.occurred_at:%Y-%m-%d %H:%M}"
