"""Intelligence: research questions answered in calls, pulse surveys of reps, field reports and
customer research, ride-alongs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from accord.core.models import BaseModel, Channel

# --- research questions --------------------------------------------------------------------------


class QuestionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


MAX_ACTIVE_QUESTIONS = 2


class ResearchQuestion(BaseModel):
    """One question marketing asks in every sales call and meeting while it is active (at most two are)."""

    text = models.CharField(max_length=200)
    options = models.JSONField(help_text="The answers a rep picks from, 2 to 6 short labels.")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=QuestionStatus.choices, default=QuestionStatus.DRAFT)
    activated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    min_reps = models.PositiveSmallIntegerField(
        default=5, help_text="Below this many reps answering, results are withheld as noise."
    )
    min_answers = models.PositiveSmallIntegerField(default=20)

    class Meta:
        indexes = [models.Index(fields=["status", "activated_at"], name="rq_status")]

    def __str__(self) -> str:
        return self.text


class ResearchAnswer(models.Model):
    """One rep's one-click answer, given with a logged call or meeting (or on its own)."""

    question = models.ForeignKey(ResearchQuestion, on_delete=models.CASCADE, related_name="answers")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    option = models.CharField(max_length=60)
    touch = models.ForeignKey("sla.Touch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lead = models.ForeignKey("leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PAGE)

    class Meta:
        indexes = [
            models.Index(fields=["question", "answered_at"], name="ra_question_time"),
            models.Index(fields=["rep", "answered_at"], name="ra_rep_time"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "touch"], condition=models.Q(touch__isnull=False), name="ra_one_per_touch"
            )
        ]

    def __str__(self) -> str:
        return f"{self.option} to question {self.question_id}"


# --- pulse surveys ---------------------------------------------------------------------------------


class SurveyStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class SurveyItemKind(models.TextChoices):
    SCALE = "scale", "Scale 1–5"
    TEXT = "text", "Free text"
    CHOICE = "choice", "Pick several"


# The scale item every pulse survey may carry: it feeds "reps' pulse score of marketing" on the panel.
MARKETING_SCORE_KEY = "marketing_score"
MIN_ANONYMOUS_RESULTS = 3


class PulseSurvey(BaseModel):
    """A survey of reps: how marketing is doing, challenges, tools that work, customer objections.

    ``items`` is a list of ``{"key", "kind", "label", "options"}``. When ``anonymous``, answers are kept
    with no link to the person (see ``AnonymousSurveyResponse``)."""

    title = models.CharField(max_length=120)
    items = models.JSONField()
    anonymous = models.BooleanField(default=True)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.SCHEDULED)
    team = models.ForeignKey(
        "people.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Only this team's reps; empty: every rep.",
    )
    repeat_quarterly = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "opens_at"], name="survey_status_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="survey_window"
            )
        ]

    def __str__(self) -> str:
        return self.title


class SurveyResponse(BaseModel):
    """A named answer to a survey that is not anonymous."""

    survey = models.ForeignKey(PulseSurvey, on_delete=models.CASCADE, related_name="named_responses")
    respondent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answers = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "respondent"], name="survey_named_once")]

    def __str__(self) -> str:
        return f"response to {self.survey_id}"


class AnonymousSurveyResponse(models.Model):
    """An answer to an anonymous survey. Deliberately holds nothing that could lead back to a person:
    no user, no time, and a random key instead of a counter (rows cannot be put in the order they came
    in and matched with the order of ``SurveyParticipation``); when the survey closes, its rows are
    written again in random order with new keys."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(PulseSurvey, on_delete=models.CASCADE, related_name="anonymous_responses")
    answers = models.JSONField()

    def __str__(self) -> str:
        return "anonymous response"


class SurveyParticipation(models.Model):
    """Who has answered a survey: only so reminders skip them. No time, no order, no link to answers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(PulseSurvey, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "user"], name="survey_participation_once")]

    def __str__(self) -> str:
        return f"participation in {self.survey_id}"


# --- field reports and customer research ------------------------------------------------------------


class ReportOrigin(models.TextChoices):
    SALES_CALL = "sales_call", "Heard in a sales call"
    RIDE_ALONG = "ride_along", "Ride-along"
    TRADE_SHOW = "trade_show", "Trade show"
    SERVICE_CALL = "service_call", "Customer-service call"
    MARKET_RESEARCH = "market_research", "Market research"


# Marketing's own research: it counts as an independent source when it backs a field report.
RESEARCH_ORIGINS = frozenset(
    {ReportOrigin.TRADE_SHOW, ReportOrigin.SERVICE_CALL, ReportOrigin.MARKET_RESEARCH}
)


class ReportTopic(models.TextChoices):
    COMPETITOR = "competitor", "Competitor mention"
    BUZZ = "buzz", "Market buzz"
    CAMPAIGN = "campaign", "Feedback on a campaign"
    PRODUCT = "product", "Product feedback"
    OBJECTION = "objection", "Customer objection"


class FieldReport(BaseModel):
    """Something heard from the market, tagged to a competitor, campaign or product.

    Anecdotal until corroborated: by another person's report, or by a source (a link, data)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=16, choices=ReportOrigin.choices, default=ReportOrigin.SALES_CALL)
    topic = models.CharField(max_length=10, choices=ReportTopic.choices)
    summary = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    competitor = models.CharField(max_length=80, blank=True, db_index=True)
    product = models.CharField(max_length=80, blank=True, db_index=True)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_url = models.URLField(blank=True, max_length=500)
    corroborated_at = models.DateTimeField(null=True, blank=True)
    ride_along = models.ForeignKey(
        "intelligence.RideAlong", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.summary

    @property
    def corroborated(self) -> bool:
        return self.corroborated_at is not None

    @property
    def is_research(self) -> bool:
        return self.origin in RESEARCH_ORIGINS


class Corroboration(BaseModel):
    """Why a field report is more than an anecdote: another person's report, or a source."""

    report = models.ForeignKey(FieldReport, on_delete=models.CASCADE, related_name="corroborations")
    by_report = models.ForeignKey(
        FieldReport, null=True, blank=True, on_delete=models.CASCADE, related_name="corroborates"
    )
    source_url = models.URLField(blank=True, max_length=500)
    note = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(by_report__isnull=False) | ~models.Q(source_url=""),
                name="corroboration_has_evidence",
            )
        ]

    def __str__(self) -> str:
        return f"corroboration of {self.report_id}"


# --- ride-alongs --------------------------------------------------------------------------------------


class RideAlongKind(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled (rotation)"
    ON_DEMAND = "on_demand", "Asked for by a rep"


class RideAlongStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    REQUESTED = "requested", "Waiting for marketing"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "No answer in time"
    DONE = "done", "Done"


class RideAlong(BaseModel):
    """A marketer joins a rep's sales call: on the quarterly rotation, or when a rep asks for help."""

    kind = models.CharField(max_length=10, choices=RideAlongKind.choices)
    status = models.CharField(max_length=10, choices=RideAlongStatus.choices)
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    marketer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    deal = models.ForeignKey("deals.Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    quarter = models.CharField(max_length=12, blank=True, help_text="The fiscal quarter of a rotation slot.")
    respond_by = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)
    call_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "respond_by"], name="ridealong_status_due")]

    def __str__(self) -> str:
        return f"ride-along with {self.rep}"
