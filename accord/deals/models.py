"""Deals (opportunities): what an accepted lead is worth, who works it, and how it ended."""

from __future__ import annotations

from decimal import Decimal

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
            # The board and the forecast read open deals by stage and expected close.
            models.Index(fields=["stage", "expected_close"], name="deal_stage_close"),
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


class DealLineItem(BaseModel):
    """One product on a deal: quantity times unit price. A deal with line items is worth their total."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="line_items")
    position = models.PositiveIntegerField(default=0)
    product = models.CharField(max_length=200)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, default=1)
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="deal_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0), name="deal_line_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product}: {self.quantity} × {self.unit_price}"

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


# What a stage is worth in the forecast when nobody has configured it (percent).
DEFAULT_STAGE_PROBABILITIES = {
    DealStage.QUALIFICATION: 20,
    DealStage.PROPOSAL: 50,
    DealStage.NEGOTIATION: 80,
}


class StageProbability(BaseModel):
    """How likely a deal at an open stage is to be won, in percent: the weight of the forecast."""

    stage = models.CharField(max_length=16, choices=DealStage.choices, unique=True)
    probability = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["stage"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__lte=100), name="stage_probability_at_most_100"
            ),
            models.CheckConstraint(
                condition=models.Q(
                    stage__in=[DealStage.QUALIFICATION, DealStage.PROPOSAL, DealStage.NEGOTIATION]
                ),
                name="stage_probability_open_stage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.probability}%"
