"""Campaigns (nested parent/child), their cost lines over time, touchpoints linking people to them, and
communications with A/B variants and one delivery row per recipient."""

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
    is_launch = models.BooleanField(
        default=False, help_text="A launch asks for sales' attention; it is shown on the launch calendar."
    )
    override_reason = models.TextField(
        blank=True,
        help_text="Why a launch starts at a quarter's or month's end anyway; shown to sales.",
    )
    benefit_for_sales = models.TextField(
        blank=True, help_text="What's in it for sales: required before a launch goes live."
    )
    external_id = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="The campaign's id in another system (a Salesforce Campaign_ID): forms that send it "
        "put the lead in this campaign.",
    )

    class Meta:
        ordering = ["-start_date", "name", "id"]
        indexes = [models.Index(fields=["is_launch", "start_date"], name="campaign_launch_start")]
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
    EMAIL_SENT = "email_sent", "Email sent"
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

    # Neither key has an index of its own: touchpoint_lead_time and touchpoint_campaign_time lead with
    # them (every write of an import pays for each index).
    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="touchpoints", db_index=False
    )
    # PROTECT: a campaign with touches is history; cancel it rather than delete it.
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="touchpoints",
        db_index=False,
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
    # db_default: the import's bulk insert names its columns and leaves this one to the database.
    member_status = models.CharField(
        max_length=60,
        blank=True,
        default="",
        db_default="",
        help_text="Campaign member status the form sent (Salesforce member_status).",
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


class CommunicationKind(models.TextChoices):
    """What a communication is. Accord sends emails itself; the other kinds go out through their own
    channel (SMS gateway, dialler, ad platform, website) and Accord records who got which variant."""

    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    CALL_SCRIPT = "call_script", "Call script"
    AD = "ad", "Ad"
    LANDING_PAGE = "landing_page", "Landing page"


class CommunicationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENT = "sent", "Sent"


class SuccessMetric(models.TextChoices):
    """What counts as a conversion when the variants are judged (within the success window)."""

    CLICK = "click", "Clicked a link"
    REPLY = "reply", "Replied"
    MEETING = "meeting", "Booked a meeting"
    MQL = "mql", "Became an MQL"


class Audience(models.TextChoices):
    """Who a send goes to when no explicit list of leads is given."""

    CAMPAIGN = "campaign", "People touched by the campaign"
    ALL = "all", "Every lead with an email address"


class Communication(BaseModel):
    """One message of a campaign (an email, an SMS, a call script, an ad, a landing page) that can be
    A/B tested: each recipient gets one of its variants, and the variants are judged on one metric.

    ``subject`` and ``body`` are the defaults a variant without its own text uses. Variants are fixed
    once the first delivery exists, so every recipient of a variant saw the same thing.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="communications")
    kind = models.CharField(max_length=16, choices=CommunicationKind.choices, default=CommunicationKind.EMAIL)
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=CommunicationStatus.choices, default=CommunicationStatus.DRAFT
    )
    success_metric = models.CharField(
        max_length=10, choices=SuccessMetric.choices, default=SuccessMetric.CLICK
    )
    success_window_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="A recipient converts when the metric happens within this many days of the send.",
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.CAMPAIGN)
    audience_stage = models.CharField(
        max_length=16, blank=True, help_text="Only leads in this lifecycle stage (empty: any stage)."
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(success_window_days__gte=1, success_window_days__lte=365),
                name="communication_window_range",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="scheduled") | models.Q(scheduled_for__isnull=False),
                name="communication_scheduled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Variant(BaseModel):
    """One version of a communication (A is the control), with its share of the recipients.

    Weights are relative: A 1 and B 1 split evenly, A 3 and B 1 give A three quarters.
    """

    communication = models.ForeignKey(Communication, on_delete=models.CASCADE, related_name="variants")
    key = models.CharField(max_length=1, help_text="A, B, C...: A is the control.")
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["communication", "key"]
        constraints = [
            models.UniqueConstraint(fields=["communication", "key"], name="variant_unique_key"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=1000), name="variant_weight_range"
            ),
            models.CheckConstraint(condition=models.Q(key__in=list("ABCDEFGHIJ")), name="variant_key_letter"),
        ]

    def __str__(self) -> str:
        return f"{self.communication}: variant {self.key}"

    @property
    def effective_subject(self) -> str:
        return self.subject or self.communication.subject

    @property
    def effective_body(self) -> str:
        return self.body or self.communication.body


class Outcome(models.TextChoices):
    """What a recipient did after a delivery; each is recorded once, with its first moment."""

    OPENED = "opened", "Opened"
    CLICKED = "clicked", "Clicked"
    REPLIED = "replied", "Replied"
    MEETING_BOOKED = "meeting_booked", "Booked a meeting"


# The Delivery column holding each outcome's moment, and the outcome each metric is judged on.
OUTCOME_FIELDS: dict[str, str] = {
    Outcome.OPENED: "opened_at",
    Outcome.CLICKED: "clicked_at",
    Outcome.REPLIED: "replied_at",
    Outcome.MEETING_BOOKED: "meeting_booked_at",
}
METRIC_OUTCOMES: dict[str, str] = {
    SuccessMetric.CLICK: Outcome.CLICKED,
    SuccessMetric.REPLY: Outcome.REPLIED,
    SuccessMetric.MEETING: Outcome.MEETING_BOOKED,
}


class DeliveryStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(BaseModel):
    """One recipient of a communication: the variant they got, when, and what they did afterwards.

    A lead gets a communication once. Only sent deliveries are trials of the test; a failed one
    (the mail server refused it) is kept with the error and is not counted.
    """

    communication = models.ForeignKey(Communication, on_delete=models.CASCADE, related_name="deliveries")
    variant = models.ForeignKey(Variant, on_delete=models.PROTECT, related_name="deliveries")
    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.SENT)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField()
    from_email = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    meeting_booked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["communication", "sent_at", "id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["communication", "variant", "status"], name="delivery_comm_variant")]
        constraints = [
            models.UniqueConstraint(fields=["communication", "lead"], name="delivery_once_per_lead"),
        ]

    def __str__(self) -> str:
        return f"{self.communication} variant {self.variant.key} to lead {self.lead_id}"
