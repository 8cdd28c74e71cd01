"""Joint planning: goals on both sides, plans with a pre-plan and a plan version, the drastic changes
between them, previews to each sales team with comments and disagreements that climb the chain of
command, meetings with decisions and action items, promises made to sales, and the prospect profile."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from accord.core.models import BaseModel

USER = settings.AUTH_USER_MODEL


class Side(models.TextChoices):
    SALES = "sales", "Sales"
    MARKETING = "marketing", "Marketing"


class Metric(models.TextChoices):
    """What a goal counts. The first ones Accord measures from its own records (live progress); the
    participation metrics are measured from planning's own rows; ``custom`` is counted by hand."""

    MQLS = "mqls", "MQLs"
    SALS = "sals", "SALs"
    SQLS = "sqls", "SQLs"
    CLOSED_QUALIFIED_LEADS = "closed_qualified_leads", "Closed, qualified leads (won deals of MQLs)"
    WON_REVENUE = "won_revenue", "Won revenue"
    COST_PER_QUALIFIED_LEAD = "cost_per_qualified_lead", "Cost per qualified lead (SQL)"
    SLA_MET_PCT = "sla_met_pct", "SLA met on time (%)"
    MARKETING_ROI = "marketing_roi", "Marketing ROI (attributed revenue ÷ cost)"
    LIFETIME_VALUE = "lifetime_value", "Customer lifetime value"
    PREVIEWS_COMMENTED = "previews_commented", "Plan items commented in previews"
    MEETINGS_ATTENDED = "meetings_attended", "Planning meetings attended"
    CUSTOM = "custom", "Another measure (counted by hand)"


# Metrics where less is better: progress is reached when the figure is at or below the target.
LOWER_IS_BETTER = frozenset({Metric.COST_PER_QUALIFIED_LEAD})
MEASURED_METRICS = frozenset(set(Metric.values) - {Metric.CUSTOM})


class Goal(BaseModel):
    """A SMART goal of one side for one period: a measurable metric, a number, a deadline, an owner.

    A marketing goal ``serves`` the sales goals it mirrors; they are shown side by side.
    """

    side = models.CharField(max_length=10, choices=Side.choices)
    title = models.CharField(max_length=200)
    metric = models.CharField(max_length=32, choices=Metric.choices)
    unit = models.CharField(
        max_length=80,
        blank=True,
        help_text="For a custom metric: what is counted (e.g. creative reviews done).",
    )
    target = models.DecimalField(max_digits=16, decimal_places=2)
    period_start = models.DateField()
    period_end = models.DateField()
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="planning_goals")
    team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="planning_goals"
    )
    plan = models.ForeignKey("Plan", null=True, blank=True, on_delete=models.SET_NULL, related_name="goals")
    serves = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="served_by")
    reported_progress = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="For a custom metric: the count so far.",
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["period_start", "side", "title", "id"]
        indexes = [models.Index(fields=["side", "period_start"], name="goal_side_period")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="goal_period_order"
            ),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="goal_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_side_display()})"

    @property
    def is_measured(self) -> bool:
        return self.metric in MEASURED_METRICS


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Plan(BaseModel):
    """Marketing's plan for a fiscal year, with a pre-plan and a plan version, previews to each sales
    team and the thresholds beyond which a change from pre-plan to plan is drastic."""

    name = models.CharField(max_length=200)
    fiscal_year = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    executive_sponsor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="sponsored_plans"
    )
    target_threshold_pct = models.PositiveSmallIntegerField(
        default=20, help_text="A target moved by more than this share (%) is a drastic change."
    )
    budget_threshold_pct = models.PositiveSmallIntegerField(
        default=15, help_text="A budget line moved by more than this share (%) is a drastic change."
    )
    escalation_business_days = models.PositiveSmallIntegerField(
        default=3, help_text="Business days a disagreement waits at one level before it climbs to the next."
    )
    attribution_model = models.CharField(max_length=16, default="linear")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-fiscal_year", "name", "id"]

    def __str__(self) -> str:
        return self.name


class VersionKind(models.TextChoices):
    PRE_PLAN = "pre_plan", "Pre-plan"
    PLAN = "plan", "Plan"


class PlanVersion(BaseModel):
    """The pre-plan (what the heads agreed before planning) or the plan (what marketing submits)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    kind = models.CharField(max_length=10, choices=VersionKind.choices)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "kind"]
        constraints = [models.UniqueConstraint(fields=["plan", "kind"], name="plan_version_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.plan}: {self.get_kind_display()}"


class ItemKind(models.TextChoices):
    STRATEGY = "strategy", "Strategy"
    TARGET = "target", "Target"
    BUDGET = "budget", "Budget line"


class PlanItem(BaseModel):
    """One strategy, target or budget line of a version. ``key`` names the same item in both versions
    (the diff pairs items by it)."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=ItemKind.choices)
    key = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="A target's number or a budget line's money.",
    )
    description = models.TextField(blank=True)
    involves_sales = models.BooleanField(default=True)
    benefit_for_sales = models.TextField(blank=True, help_text="What's in it for sales (strategies).")
    campaigns = models.ManyToManyField("campaigns.Campaign", blank=True, related_name="plan_items")

    class Meta:
        ordering = ["version", "kind", "key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="plan_item_key_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class ChangeKind(models.TextChoices):
    TARGET_MOVED = "target_moved", "Target moved"
    BUDGET_MOVED = "budget_moved", "Budget line moved"
    STRATEGY_ADDED = "strategy_added", "Strategy added"
    STRATEGY_DROPPED = "strategy_dropped", "Strategy dropped"


class DrasticChange(BaseModel):
    """A change from pre-plan to plan beyond the plan's thresholds: marketing explains it, sales
    acknowledges the explanation, and only then may the plan be published."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="drastic_changes")
    key = models.SlugField(max_length=80)
    kind = models.CharField(max_length=20, choices=ChangeKind.choices)
    title = models.CharField(max_length=200)
    before = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    after = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    explanation = models.TextField(blank=True)
    explained_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    explained_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "key"]
        constraints = [models.UniqueConstraint(fields=["plan", "key", "kind"], name="drastic_change_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def change_pct(self) -> Decimal | None:
        if self.before in (None, Decimal(0)) or self.after is None:
            return None
        assert self.before is not None
        return ((self.after - self.before) / self.before * 100).quantize(Decimal("0.1"))

    @property
    def is_settled(self) -> bool:
        return bool(self.explained_at and self.acknowledged_at)


class Preview(BaseModel):
    """The plan submitted to one sales team: members comment, the team lead marks it done."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="previews")
    team = models.ForeignKey("people.Team", on_delete=models.CASCADE, related_name="plan_previews")
    sent_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "team__name"]
        constraints = [models.UniqueConstraint(fields=["plan", "team"], name="preview_one_per_team")]

    def __str__(self) -> str:
        return f"{self.plan} for {self.team}"


class ItemComment(BaseModel):
    """A comment on a plan item, made in a team's preview."""

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="comments")
    preview = models.ForeignKey(Preview, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="plan_comments")
    body = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["author", "created_at"], name="plan_comment_author_time")]

    def __str__(self) -> str:
        return f"{self.author} on {self.item}"


class DisagreementStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Disagreement(BaseModel):
    """A disagreement on a plan item. It waits at one level of the chain of command until its due
    date, then climbs to the next; someone with authority resolves it. Its steps are the history."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="disagreements")
    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="disagreements")
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DisagreementStatus.choices, default=DisagreementStatus.OPEN
    )
    level = models.PositiveSmallIntegerField(default=1, help_text="1 = the first person asked to decide.")
    assignee = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="disagreement_status_due")]

    def __str__(self) -> str:
        return f"Disagreement on {self.item.title}"


class StepKind(models.TextChoices):
    RAISED = "raised", "Raised"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"


class DisagreementStep(models.Model):
    """One step of a disagreement's history: raised, escalated to someone with a due date, resolved."""

    disagreement = models.ForeignKey(Disagreement, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=10, choices=StepKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    level = models.PositiveSmallIntegerField(default=1)
    due_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d}"


class MeetingKind(models.TextChoices):
    PRE_PLANNING = "pre_planning", "Pre-planning meeting"
    TEAM = "team", "Team meeting"


class Meeting(BaseModel):
    """A pre-planning meeting between the heads, or a sales team's meeting on the tactics that involve
    it, with the plan items attached, attendance, decisions and action items."""

    kind = models.CharField(max_length=16, choices=MeetingKind.choices)
    title = models.CharField(max_length=200)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings")
    team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    starts_at = models.DateTimeField(db_index=True)
    agenda = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    items = models.ManyToManyField(PlanItem, blank=True, related_name="meetings")
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_at", "id"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """Who was invited to a meeting and whether they came."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="meeting_attendance")
    attended = models.BooleanField(default=False)

    class Meta:
        ordering = ["meeting", "user__username"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="attendance_unique")]

    def __str__(self) -> str:
        return f"{self.user} at {self.meeting}"


class Decision(BaseModel):
    """A decision taken in a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class ActionItem(BaseModel):
    """Something to do after a meeting, with an owner and a due date, tracked to done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="planning_actions")
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class PromiseSource(models.TextChoices):
    MEETING = "meeting", "Meeting"
    PREVIEW = "preview", "Plan preview"
    INTERVIEW = "interview", "Rep interview"
    OTHER = "other", "Other"


class Promise(BaseModel):
    """A commitment made to sales, with an owner and a due date; kept when marked done by the due day."""

    title = models.CharField(max_length=300)
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="planning_promises")
    due_on = models.DateField(db_index=True)
    made_in = models.CharField(max_length=12, choices=PromiseSource.choices, default=PromiseSource.MEETING)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises"
    )
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises")
    team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kept_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.title


class ProspectProfile(BaseModel):
    """Next year's ideal prospect as criteria: verticals, a size band and regions (empty: any)."""

    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="profiles")
    name = models.CharField(max_length=200)
    industries = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    min_size = models.PositiveIntegerField(null=True, blank=True)
    max_size = models.PositiveIntegerField(null=True, blank=True)
    rationale = models.TextField(
        blank=True, help_text="Why next year's prospect differs from today's customers."
    )
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return self.name
