"""Reads over touchpoints: revenue of won deals credited to the campaigns and channels that touched
them, and the leads each campaign touched in a period."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q
from django.utils import timezone

from accord.campaigns import attribution
from accord.campaigns.models import (
    Campaign,
    CampaignChannel,
    Touchpoint,
)
from accord.campaigns.selectors import MQL_OR_BEYOND, ZERO, campaign_costs
from accord.core.models import Event
from accord.leads.registry import won_deals

NO_CAMPAIGN_LABEL = "(touch without a campaign)"
NO_TOUCH_KEY = "unattributed"
NO_TOUCH_LABEL = "(no touch before the deal)"


@dataclass
class AttributionRow:
    key: Hashable
    label: str
    currency: str
    revenue: Decimal = ZERO
    deals: int = 0
    sourced_revenue: Decimal = ZERO
    sourced_deals: int = 0
    influenced_revenue: Decimal = ZERO
    influenced_deals: int = 0

    @property
    def campaign_id(self) -> int | None:
        """The campaign this row is about, when rows are per campaign (for links)."""
        return self.key if isinstance(self.key, int) and not isinstance(self.key, bool) else None


@dataclass
class AttributionResult:
    """Revenue of won deals closed in ``start..end`` credited under one model, with the model's caveat."""

    model: str
    label: str
    caveat: str
    group_by: str
    start: date
    end: date
    rows: list[AttributionRow]
    totals: dict[str, Decimal] = field(default_factory=dict)
    deals: int = 0
    sourced_caveat: str = attribution.SOURCED_CAVEAT
    influenced_caveat: str = attribution.INFLUENCED_CAVEAT

    def as_list(self) -> list[dict[str, Any]]:
        """Rows as plain dicts, each naming the model and its caveat next to the figure."""
        return [
            {
                "key": r.key,
                "label": r.label,
                "currency": r.currency,
                "revenue": r.revenue,
                "deals": r.deals,
                "model": self.model,
                "caveat": self.caveat,
            }
            for r in self.rows
        ]


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def attributed_revenue(
    *, model: str, start: date, end: date, group_by: str = "campaign"
) -> AttributionResult:
    """Won deals closed in ``start..end`` (days inclusive, site time zone), credited per campaign or channel.

    Four queries whatever the number of deals: the deals, all their contacts' touches, the moments
    those contacts first reached MQL or beyond, and the campaign names. Only touches at or before a
    deal was opened count. Deals with no such touch are reported as one "unattributed" row so the
    rows of each currency add up to the revenue won. With ``group_by="campaign"`` each row also carries
    sourced and influenced revenue (see ``attribution.SOURCED_CAVEAT`` / ``INFLUENCED_CAVEAT``).
    """
    attribution.check_model(model)
    if group_by not in ("campaign", "channel"):
        raise ValueError("group_by must be 'campaign' or 'channel'")
    since, until = _day_bounds(start, end)
    won = won_deals(since=since, until=until)
    deals = list(won.values_list("pk", "amount", "currency", "created_at", "contact_id"))
    rows: dict[tuple[Hashable, str], AttributionRow] = {}
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    if deals:
        latest = max(d[3] for d in deals)
        contact_ids = won.values("contact_id")
        contacts = {d[4] for d in deals}
        touches_by_lead: dict[int, list[attribution.Touch]] = defaultdict(list)
        # Touches of people merged into a contact count as the contact's (merges flatten chains).
        for pk, lead_id, merged_into_id, occurred_at, campaign_id, channel in (
            Touchpoint.objects.filter(
                Q(lead_id__in=contact_ids) | Q(lead__merged_into_id__in=contact_ids), occurred_at__lte=latest
            )
            .order_by()
            .values_list("pk", "lead_id", "lead__merged_into_id", "occurred_at", "campaign_id", "channel")
        ):
            touches_by_lead[lead_id if lead_id in contacts else merged_into_id].append(
                attribution.Touch(pk, occurred_at, campaign_id, channel)
            )
        mql_at = dict(
            Event.objects.filter(subject_type="lead", subject_id__in=contact_ids, stage__in=MQL_OR_BEYOND)
            .order_by()
            .values("subject_id")
            .annotate(first=Min("occurred_at"))
            .values_list("subject_id", "first")
        )
        for _pk, amount, currency, created_at, contact_id in deals:
            totals[currency] += amount
            touches = touches_by_lead.get(contact_id, [])
            parts = attribution.credit_by(
                model,
                amount,
                touches,
                deal_created_at=created_at,
                mql_at=mql_at.get(contact_id),
                group_by=group_by,
            )
            if not parts:
                parts = {NO_TOUCH_KEY: amount}
            for key, part in parts.items():
                row = rows.setdefault((key, currency), AttributionRow(key, "", currency))
                row.revenue += part
                if part > 0:
                    row.deals += 1
            if group_by == "campaign":
                sourced = attribution.sourced_campaign(touches, created_at)
                if sourced is not None:
                    row = rows.setdefault((sourced, currency), AttributionRow(sourced, "", currency))
                    row.sourced_revenue += amount
                    row.sourced_deals += 1
                for campaign_id in attribution.influenced_campaigns(touches, created_at):
                    row = rows.setdefault((campaign_id, currency), AttributionRow(campaign_id, "", currency))
                    row.influenced_revenue += amount
                    row.influenced_deals += 1
    _label_rows(rows.values(), group_by)
    ordered = sorted(rows.values(), key=lambda r: (r.currency, -r.revenue, r.label))
    return AttributionResult(
        model=model,
        label=attribution.LABELS[model],
        caveat=attribution.CAVEATS[model],
        group_by=group_by,
        start=start,
        end=end,
        rows=ordered,
        totals=dict(totals),
        deals=len(deals),
    )


def _label_rows(rows: Iterable[AttributionRow], group_by: str) -> None:
    rows = list(rows)
    if group_by == "campaign":
        ids = [r.key for r in rows if isinstance(r.key, int)]
        names = dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    else:
        names = dict(CampaignChannel.choices)
    for row in rows:
        if row.key == NO_TOUCH_KEY:
            row.label = NO_TOUCH_LABEL
        elif row.key is None:
            row.label = NO_CAMPAIGN_LABEL if group_by == "campaign" else "(no channel)"
        else:
            row.label = names.get(row.key, str(row.key))


def campaign_period_summary(
    *, campaign_ids: Iterable[int], start: date, end: date
) -> dict[int, dict[str, Any]]:
    """Cost (children included) and distinct leads touched per campaign in a period; for dashboards."""
    ids = list(campaign_ids)
    costs = campaign_costs(campaign_ids=ids, start=start, end=end)
    since, until = _day_bounds(start, end)
    touched = dict(
        Touchpoint.objects.filter(campaign_id__in=ids, occurred_at__gte=since, occurred_at__lt=until)
        .order_by()
        .values("campaign_id")
        .annotate(n=Count("lead_id", distinct=True))
        .values_list("campaign_id", "n")
    )
    return {pk: {"cost": costs[pk], "leads_touched": touched.get(pk, 0)} for pk in ids}
