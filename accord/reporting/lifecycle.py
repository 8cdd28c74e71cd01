"""Customer lifetime value by how customers were found (C8): which acquisition sources, campaigns
and reps bring the customers worth the most, how long they took to close, and how far they went
(customer, loyal, advocate).

A customer is a live lead in a customer stage. Revenue to date is the sum of its won deals; time
to close runs from the lead's creation to its first won deal. The campaign is the one of the
customer's first campaign touch ("how they were found"); the rep is the lead's owner ("who closed
and serves them"). One query loads every customer with its figures; grouping happens in Python,
over customers only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median
from typing import Any

from django.db.models import Min, OuterRef, Q, Subquery, Sum

from accord.leads.models import Lead, Stage

CUSTOMER_STAGES = (Stage.CUSTOMER, Stage.LOYAL, Stage.ADVOCATE)
DIMENSIONS = {"source": "Acquisition source", "campaign": "First campaign", "rep": "Rep"}
NONE_LABEL = "(none)"


@dataclass
class ValueRow:
    key: str
    customers: int = 0
    revenue: Decimal = Decimal("0")
    by_stage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CUSTOMER_STAGES, 0))
    days_to_close: list[float] = field(default_factory=list)

    @property
    def revenue_per_customer(self) -> Decimal:
        return (self.revenue / self.customers).quantize(Decimal("0.01")) if self.customers else Decimal("0")

    @property
    def median_days_to_close(self) -> float | None:
        return round(median(self.days_to_close), 1) if self.days_to_close else None


def customers_with_value() -> list[dict[str, Any]]:
    """Every customer with source, first campaign, owner, revenue to date and first win."""
    from accord.campaigns.models import Touchpoint
    from accord.deals.models import DealStage

    first_campaign = (
        Touchpoint.objects.filter(lead=OuterRef("pk"), campaign__isnull=False)
        .order_by("occurred_at", "id")
        .values("campaign__name")[:1]
    )
    won = Q(deals__stage=DealStage.WON)
    return list(
        Lead.objects.live()
        .filter(stage__in=CUSTOMER_STAGES)
        .annotate(
            revenue=Sum("deals__amount", filter=won),
            first_win=Min("deals__closed_at", filter=won),
            campaign_name=Subquery(first_campaign),
        )
        .values(
            "pk",
            "stage",
            "created_at",
            "source__name",
            "owner__username",
            "campaign_name",
            "revenue",
            "first_win",
        )
    )


def customer_value_by(dimension: str) -> list[ValueRow]:
    """Customers grouped by ``dimension`` (source, campaign or rep), most revenue first."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    column = {"source": "source__name", "campaign": "campaign_name", "rep": "owner__username"}[dimension]
    rows: dict[str, ValueRow] = defaultdict(lambda: ValueRow(key=""))
    for customer in customers_with_value():
        key = customer[column] or NONE_LABEL
        row = rows[key]
        row.key = key
        row.customers += 1
        row.revenue += customer["revenue"] or Decimal("0")
        row.by_stage[customer["stage"]] += 1
        if customer["first_win"] is not None:
            row.days_to_close.append((customer["first_win"] - customer["created_at"]).total_seconds() / 86400)
    return sorted(rows.values(), key=lambda r: (-r.revenue, -r.customers, r.key))
