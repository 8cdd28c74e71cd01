"""Lead-qualification criteria: numbered versions of rules, signed off by both department heads."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import BaseModel


class CriteriaStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class CriteriaSet(BaseModel):
    """One numbered version of the qualification criteria. Only one version is active at a time.

    A draft becomes active only when both the marketing head and the sales head have signed it off;
    an active or retired version never changes (edit by starting a new draft from it).
    """

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200, default="Lead qualification criteria")
    status = models.CharField(max_length=10, choices=CriteriaStatus.choices, default=CriteriaStatus.DRAFT)
    mql_threshold = models.IntegerField(default=60, help_text="Leads scoring at least this become MQLs.")
    notes = models.TextField(blank=True, help_text="What changed and why.")
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="criteria_single_active"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name} ({self.status})"


class RuleKind(models.TextChoices):
    FIT = "fit", "Fit points"
    ENGAGEMENT = "engagement", "Engagement points (decay)"
    DISQUALIFIER = "disqualifier", "Hard disqualifier"


class Operator(models.TextChoices):
    EQUALS = "equals", "equals"
    NOT_EQUALS = "not_equals", "does not equal"
    IN = "in", "is one of"
    CONTAINS = "contains", "contains"
    REGEX = "regex", "matches pattern"
    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"
    PRESENT = "present", "is present"
    ABSENT = "absent", "is absent"


class CriteriaRule(models.Model):
    """One condition with its points. Engagement rules match activities and decay with age."""

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=RuleKind.choices, default=RuleKind.FIT)
    field = models.CharField(max_length=100)
    operator = models.CharField(max_length=12, choices=Operator.choices)
    value = models.JSONField(default=str, blank=True, help_text="Text, number or list, by operator.")
    points = models.IntegerField(default=0)
    half_life_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Engagement rules: points halve every this many days."
    )
    label = models.CharField(max_length=200, blank=True, help_text="Plain words shown in explanations.")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label or f"{self.field} {self.operator} {self.value!r}"


class SignOffRole(models.TextChoices):
    MARKETING_HEAD = "marketing_head", "Marketing head"
    SALES_HEAD = "sales_head", "Sales head"


class SignOff(models.Model):
    """A department head's agreement to one criteria version."""

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="sign_offs")
    role = models.CharField(max_length=20, choices=SignOffRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["criteria_set", "role"], name="signoff_once_per_role")]

    def __str__(self) -> str:
        return f"v{self.criteria_set.version} signed by {self.user} as {self.get_role_display()}"
