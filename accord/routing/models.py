"""Routing rules (versioned sets of ordered rules), queues, rep capacity, round-robin state and
where each lead was routed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accord.core.models import BaseModel


class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class TargetKind(models.TextChoices):
    USER = "user", "Rep"
    TEAM = "team", "Team (round-robin)"
    QUEUE = "queue", "Queue"


class RoutingRuleSet(BaseModel):
    """One version of the routing rules. Drafts are edited; exactly one version at most is active."""

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=10, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="routing_one_active_rule_set"
            )
        ]

    def __str__(self) -> str:
        return f"Routing v{self.version} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == RuleSetStatus.DRAFT


class Queue(BaseModel):
    """A place leads wait for someone to pick them up; its owner is alerted when a lead lands there.

    The fallback queue (one at most) takes every lead no rule could place, so none is left unassigned.
    """

    name = models.CharField(max_length=120, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="routing_queues",
    )
    is_fallback = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_fallback", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_fallback"], condition=Q(is_fallback=True), name="routing_one_fallback_queue"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(BaseModel):
    """One ordered rule: when all its conditions hold, the lead goes to a rep, a team or a queue.

    ``conditions`` is a list of ``{"field", "operator", "value"}``; an empty list matches every lead.
    """

    rule_set = models.ForeignKey(RoutingRuleSet, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=120)
    conditions = models.JSONField(default=list, blank=True)
    target_kind = models.CharField(max_length=8, choices=TargetKind.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_team = models.ForeignKey(
        "people.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weighted = models.BooleanField(default=False, help_text="Round-robin weighted by each rep's weight.")

    class Meta:
        ordering = ["rule_set", "position", "id"]

    def __str__(self) -> str:
        return f"v{self.rule_set.version} #{self.position} {self.name}"

    def target_label(self) -> str:
        if self.target_kind == TargetKind.USER:
            return f"rep {self.target_user}" if self.target_user_id else "rep (removed)"
        if self.target_kind == TargetKind.TEAM:
            return f"team {self.target_team}" if self.target_team_id else "team (removed)"
        return f"queue {self.target_queue}" if self.target_queue_id else "queue (removed)"


class RepCapacity(BaseModel):
    """How many leads a rep takes: daily and weekly limits (empty = no limit), round-robin weight."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rep_capacity"
    )
    daily_limit = models.PositiveIntegerField(null=True, blank=True)
    weekly_limit = models.PositiveIntegerField(null=True, blank=True)
    weight = models.PositiveSmallIntegerField(default=1, help_text="Share in weighted round-robin.")
    accepts_leads = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="routing_capacity_weight_positive")
        ]

    def __str__(self) -> str:
        daily = "∞" if self.daily_limit is None else self.daily_limit
        weekly = "∞" if self.weekly_limit is None else self.weekly_limit
        return f"{self.user}: {daily}/day, {weekly}/week, weight {self.weight}"


class RoundRobinPointer(BaseModel):
    """A team's round-robin state, locked while a lead is placed so concurrent routings queue.

    ``credits`` holds smooth weighted round-robin credit per rep id; ``counter`` counts picks.
    """

    team = models.OneToOneField("people.Team", on_delete=models.CASCADE, related_name="round_robin")
    last_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    counter = models.PositiveBigIntegerField(default=0)
    credits = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.team}: {self.counter} picks, last {self.last_user}"


class LeadRouting(BaseModel):
    """Where a lead was last routed: its queue (when not with a rep) and the decision behind it."""

    lead = models.OneToOneField("leads.Lead", on_delete=models.CASCADE, related_name="routing")
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries")
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_set_version = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=32)
    explanation = models.TextField(blank=True)
    routed_at = models.DateTimeField()

    class Meta:
        ordering = ["-routed_at"]

    def __str__(self) -> str:
        return f"lead {self.lead_id}: {self.explanation}"
