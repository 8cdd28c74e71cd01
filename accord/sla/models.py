"""SLA policies, the clocks they start on a lead, the touches that stop them, and rejection reasons."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accord.core.models import BaseModel, Channel
from accord.leads.models import Stage


class SlaPolicy(BaseModel):
    """How fast a kind of lead must be accepted and touched, in business hours of the rep's team.

    Active policies are tried in ``priority`` order (lowest first); the first whose conditions all
    hold wins, else the default policy. A policy with no condition matches every lead.
    """

    name = models.CharField(max_length=120, unique=True)
    priority = models.PositiveIntegerField(default=100, help_text="Lower numbers are tried first.")
    is_active = models.BooleanField(default=True)
    is_default = models.BooleanField(default=False, help_text="Used when no other policy matches.")
    min_score = models.IntegerField(null=True, blank=True, help_text="Matches leads scoring at least this.")
    stage = models.CharField(
        max_length=16, choices=Stage.choices, blank=True, help_text="Matches this stage."
    )
    source = models.ForeignKey(
        "leads.Source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Matches leads from this source.",
    )
    accept_hours = models.FloatField(default=8, help_text="Business hours to accept or reject.")
    first_touch_hours = models.FloatField(
        default=8, help_text="Business hours from acceptance to first touch."
    )
    next_touch_hours = models.FloatField(default=40, help_text="Business hours from a touch to the next.")
    reminder_before_minutes = models.PositiveIntegerField(
        default=30, help_text="Remind the rep this many minutes before a deadline (0: no reminder)."
    )
    escalate_after_hours = models.FloatField(
        default=4, help_text="Business hours after a breach before the next manager up is told, and so on."
    )
    recycle_after_hours = models.FloatField(
        null=True,
        blank=True,
        help_text=(
            "Business hours after a breach before the lead goes to another rep of the team (empty: never)."
        ),
    )

    class Meta:
        ordering = ["priority", "name"]
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="sla_policy_one_default"
            ),
            models.CheckConstraint(
                condition=Q(
                    accept_hours__gt=0,
                    first_touch_hours__gt=0,
                    next_touch_hours__gt=0,
                    escalate_after_hours__gt=0,
                ),
                name="sla_policy_positive_windows",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.recycle_after_hours is not None and self.recycle_after_hours <= 0:
            raise ValidationError({"recycle_after_hours": "must be positive, or empty for never"})

    def window_hours(self, kind: str) -> float:
        """The business hours a clock of ``kind`` runs for under this policy."""
        return {
            ClockKind.ACCEPT: self.accept_hours,
            ClockKind.FIRST_TOUCH: self.first_touch_hours,
            ClockKind.NEXT_TOUCH: self.next_touch_hours,
        }[ClockKind(kind)]


class ClockKind(models.TextChoices):
    ACCEPT = "accept", "Accept"
    FIRST_TOUCH = "first_touch", "First touch"
    NEXT_TOUCH = "next_touch", "Next touch"


class ClockStatus(models.TextChoices):
    ON_TIME = "on_time", "On time"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"
    STOPPED = "stopped", "Stopped"


class SlaClockQuerySet(models.QuerySet["SlaClock"]):
    def open(self) -> SlaClockQuerySet:
        """Clocks still running: neither met nor stopped (a breached clock is still open)."""
        return self.filter(met_at__isnull=True, stopped_at__isnull=True)


class SlaClock(BaseModel):
    """One deadline on one lead for its owner: accept it, touch it first, or touch it again.

    A clock ends when it is met (the rep acted) or stopped (the lead was rejected, recycled or
    reassigned). Breaching does not end it: a late action still meets it, ``breached_at`` stays.
    """

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="sla_clocks")
    kind = models.CharField(max_length=16, choices=ClockKind.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="clocks")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="sla_clocks",
        help_text="The rep who owned the lead when the clock started.",
    )
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_level = models.PositiveSmallIntegerField(
        default=0, help_text="How far up the owner's manager chain the breach has gone (1 = their manager)."
    )
    met_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=32, blank=True)

    objects = SlaClockQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "due_at"], name="sla_clock_owner_due"),
            # The inbox's sections walk the running clocks in deadline order, a rep's (owner) or a team's
            # (all), and stop at a page; the met and stopped clocks, most of the table, are not in them.
            models.Index(
                fields=["owner", "due_at"],
                condition=Q(met_at__isnull=True, stopped_at__isnull=True),
                name="sla_clock_open_owner_due",
            ),
            models.Index(
                fields=["due_at"],
                condition=Q(met_at__isnull=True, stopped_at__isnull=True),
                name="sla_clock_open_due",
            ),
        ]
        constraints = [
            # Starting the same clock twice (a task or a request retried) must not give two deadlines.
            models.UniqueConstraint(
                fields=["lead", "kind"],
                condition=Q(met_at__isnull=True, stopped_at__isnull=True),
                name="sla_clock_one_open_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=models.F("started_at")), name="sla_clock_due_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} clock on lead {self.lead_id} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.stopped_at is None

    def status_at(self, now: datetime) -> str:
        """Met, stopped, breached, at risk (inside the reminder window) or on time, as of ``now``."""
        if self.met_at is not None:
            return ClockStatus.MET
        if self.stopped_at is not None:
            return ClockStatus.STOPPED
        if self.breached_at is not None or now >= self.due_at:
            return ClockStatus.BREACHED
        if self.remind_at is not None and now >= self.remind_at:
            return ClockStatus.AT_RISK
        return ClockStatus.ON_TIME

    @property
    def status(self) -> str:
        return self.status_at(timezone.now())

    @property
    def met_on_time(self) -> bool | None:
        """Whether it was met before its deadline (None while open or when stopped)."""
        if self.met_at is None:
            return None
        return self.met_at <= self.due_at

    def time_left(self, now: datetime) -> timedelta:
        """Wall-clock time to the deadline; negative once overdue."""
        return self.due_at - now


class TouchKind(models.TextChoices):
    CALL = "call", "Call"
    EMAIL = "email", "Email"
    MEETING = "meeting", "Meeting"
    NOTE = "note", "Note"


class TouchOutcome(models.TextChoices):
    NONE = "", "Not recorded"
    CONNECTED = "connected", "Connected"
    LEFT_MESSAGE = "left_message", "Left a message"
    NO_ANSWER = "no_answer", "No answer"
    MEETING_BOOKED = "meeting_booked", "Meeting booked"
    NOT_INTERESTED = "not_interested", "Not interested"
    OTHER = "other", "Other"


class Touch(BaseModel):
    """One follow-up a rep made on a lead: a call, an email, a meeting or a note."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="touches")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="touches"
    )
    kind = models.CharField(max_length=10, choices=TouchKind.choices)
    outcome = models.CharField(max_length=20, choices=TouchOutcome.choices, blank=True, default="")
    note = models.TextField(blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PAGE)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["lead", "occurred_at"], name="touch_lead_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on lead {self.lead_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class RejectionReason(models.TextChoices):
    """Why sales sent a lead back. Marketing reads these as feedback on its criteria and sources."""

    NOT_A_FIT = "not_a_fit", "Not a fit"
    BAD_DATA = "bad_data", "Bad data"
    DUPLICATE = "duplicate", "Duplicate"
    NOT_READY = "not_ready", "Not ready (nurture)"
    ALREADY_WORKING = "already_working", "Already working it"
    OTHER = "other", "Other (note required)"


class ScorecardWeights(BaseModel):
    """The points a scorecard gives and takes, for compensation. One row (pk 1), edited in the admin."""

    on_time_points = models.FloatField(
        default=10, help_text="Points for each SLA clock (accept, first or next touch) met on time."
    )
    breach_penalty = models.FloatField(
        default=15, help_text="Points taken for each SLA clock breached (missed or met late)."
    )
    sql_points = models.FloatField(default=5, help_text="Points for each lead received that reached SQL.")
    opportunity_points = models.FloatField(
        default=20, help_text="Points for each lead received that became an opportunity."
    )

    class Meta:
        verbose_name = "scorecard weights"
        verbose_name_plural = "scorecard weights"
        constraints = [
            models.CheckConstraint(
                condition=Q(on_time_points__gte=0, breach_penalty__gte=0, sql_points__gte=0)
                & Q(opportunity_points__gte=0),
                name="scorecard_weights_not_negative",
            )
        ]

    def __str__(self) -> str:
        return (
            f"+{self.on_time_points:g} on time, -{self.breach_penalty:g} per breach, "
            f"+{self.sql_points:g} per SQL, +{self.opportunity_points:g} per opportunity"
        )

    @classmethod
    def current(cls) -> ScorecardWeights:
        """The weights in force: the saved row, or the defaults when nobody has saved one."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


# --- nurture and external qualification (C2); services in nurture.py and external.py -----------------


class NurtureSource(models.TextChoices):
    CRITERIA = "criteria", "Criteria (score below the threshold)"
    REJECTION = "rejection", "Rejected by sales as not ready"
    EXTERNAL = "external", "External qualification: not ready"
    MANUAL = "manual", "Put in nurture by hand"


class NurtureTrack(BaseModel):
    """Why and since when a lead is in nurture, and when the criteria look at it again.

    One row per lead, reused when the lead enters nurture again; ``exited_at`` is set when it leaves.
    """

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="nurture_track")
    source = models.CharField(max_length=12, choices=NurtureSource.choices, default=NurtureSource.MANUAL)
    reason = models.CharField(max_length=500, blank=True)
    entered_at = models.DateTimeField()
    # Every query for due tracks asks for open ones: the partial index below serves them.
    recheck_on = models.DateField()
    rechecked_at = models.DateTimeField(null=True, blank=True)
    recheck_count = models.PositiveIntegerField(default=0)
    exited_at = models.DateTimeField(null=True, blank=True)
    exit_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["recheck_on"], name="nurture_track_due", condition=Q(exited_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"lead {self.lead_id} in nurture ({self.source}), re-check {self.recheck_on}"


class ExternalQualificationConfig(BaseModel):
    """Whether new MQLs first go to a third party who marks them ready or not (C2), and its SLA.

    One row (pk 1); without it the step is off.
    """

    enabled = models.BooleanField(default=False)
    provider_name = models.CharField(max_length=120, blank=True)
    sla_hours = models.FloatField(
        default=24, help_text="Hours the third party has for a verdict; after that the lead is routed anyway."
    )

    class Meta:
        verbose_name = "external qualification settings"
        verbose_name_plural = "external qualification settings"
        constraints = [
            models.CheckConstraint(condition=Q(sla_hours__gt=0), name="external_qualification_sla_positive"),
        ]

    def __str__(self) -> str:
        state = "on" if self.enabled else "off"
        return f"External qualification {state}: {self.provider_name or 'no provider'}, {self.sla_hours:g} h"

    @classmethod
    def current(cls) -> ExternalQualificationConfig:
        """The saved settings, or the defaults (off) when nobody has saved them."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class ExternalVerdict(models.TextChoices):
    PENDING = "", "Pending"
    READY = "ready", "Ready: route to sales"
    NOT_READY = "not_ready", "Not ready: nurture"
    TIMED_OUT = "timed_out", "No verdict in time: routed anyway"


class ExternalReview(BaseModel):
    """A new MQL waiting for the third party's verdict before it is routed to sales."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="external_reviews")
    provider_name = models.CharField(max_length=120, blank=True)
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    verdict = models.CharField(max_length=10, choices=ExternalVerdict.choices, blank=True, default="")
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(verdict=""), name="external_review_one_pending_per_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"external review of lead {self.lead_id}: {self.get_verdict_display()}"

    @property
    def is_pending(self) -> bool:
        return self.verdict == ExternalVerdict.PENDING


class Note(BaseModel):
    """A note someone wrote on a lead. The people it names with @username are told (``note_add``)."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    mentioned = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["lead", "created_at"], name="note_lead_time")]

    def __str__(self) -> str:
        return f"Note on lead {self.lead_id} by {self.author_id}"


class FollowUp(BaseModel):
    """A follow-up task on a lead ("call back Tuesday 10:00") for one person, reminded once when it is
    nearly due. Done tasks keep their row (who did it, when) so the lead's history shows them."""

    lead = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="follow_ups")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follow_ups"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    due_at = models.DateTimeField()
    remind_at = models.DateTimeField(help_text="When the reminder goes out (a little before the due time).")
    reminded_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # A person's open tasks by due time (the inbox, the calendar feed, the API list).
            models.Index(fields=["assignee", "done_at", "due_at"], name="sla_followup_assignee_due"),
            # The reminder sweep reads only the open, unreminded tasks whose moment has come.
            models.Index(
                fields=["remind_at"],
                condition=Q(done_at__isnull=True, reminded_at__isnull=True),
                name="sla_followup_to_remind",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(remind_at__lte=models.F("due_at")), name="sla_followup_remind_not_after_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (due {self.due_at:%Y-%m-%d %H:%M})"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    def is_overdue(self, now: datetime) -> bool:
        return self.done_at is None and self.due_at < now
