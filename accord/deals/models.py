"""Deals (opportunities): what an accepted lead is worth, who works it, and how it ended."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.core.models import BaseModel


class DealStage(models.TextChoices):
    QUALIFICATION = "qualification", "Qualification"
    PROPOSAL = "proposal", "Proposal"
    NEGOTIATION = "negotiation", "Negotiation"
    WON = "won", "Won"
    LOST = "lost", "Lost"


OPEN_STAGES = frozenset({DealStage.QUALIFICATION, DealStage.PROPOSAL, DealStage.NEGOTIATION})
CLOSED_STAGES = frozenset({DealStage.WON, DealStage.LOST})


class DealQuerySet(models.QuerySet["Deal"]):
    def won(self) -> DealQuerySet:
        return self.filter(stage=DealStage.WON)

    def open(self) -> DealQuerySet:
        return self.filter(stage__in=OPEN_STAGES)


class Deal(BaseModel):
    """An opportunity with one account and one contact. Revenue counts when it is won.

    ``created_at`` is when the opportunity was opened: attribution credits touches up to that moment.
    """

    name = models.CharField(max_length=255)
    account = models.ForeignKey("leads.Account", on_delete=models.PROTECT, related_name="deals")
    contact = models.ForeignKey("leads.Lead", on_delete=models.PROTECT, related_name="deals")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals"
    )
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3, default="USD")
    stage = models.CharField(max_length=16, choices=DealStage.choices, default=DealStage.QUALIFICATION)
    expected_close = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    won_reason = models.TextField(blank=True)
    lost_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = DealQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["stage", "closed_at"], name="deal_stage_closed"),
            models.Index(fields=["owner", "stage"], name="deal_owner_stage"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(stage__in=[DealStage.WON, DealStage.LOST], closed_at__isnull=False)
                | (~models.Q(stage__in=[DealStage.WON, DealStage.LOST]) & models.Q(closed_at__isnull=True)),
                name="deal_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=~models.Q(stage=DealStage.LOST) | ~models.Q(lost_reason=""),
                name="deal_lost_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.amount} {self.currency}, {self.get_stage_display()})"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES
