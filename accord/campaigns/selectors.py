"""Reads for campaigns: who may manage them, exact costs per period and listings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.utils import timezone

from accord.campaigns.models import (
    Campaign,
    CostLine,
    Touchpoint,
)
from accord.core.errors import NotFound
from accord.leads.models import Stage
from accord.people import access
from accord.people.models import User

ZERO = Decimal("0.00")
# Who may create and change campaigns and their costs (accord.people.access). Everyone signed in reads them.
CAMPAIGN_MANAGER_ROLES = access.CAMPAIGN_MANAGER_ROLES
# Who may read revenue attribution: everyone but individual reps (it is revenue of every team).
ATTRIBUTION_ROLES = access.ATTRIBUTION_ROLES
# Reaching any of these stages counts as "became an MQL" for the W-shaped lead-creation touch
# (a lead accepted straight from inquiry skipped MQL but passed it).
MQL_OR_BEYOND = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)


def can_manage_campaigns(user: User) -> bool:
    return user.is_authenticated and user.has_role(*CAMPAIGN_MANAGER_ROLES)


def can_read_attribution(user: User) -> bool:
    return user.is_authenticated and user.has_role(*ATTRIBUTION_ROLES)


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    """Every signed-in person reads every campaign; touches on them are filtered by lead access."""
    return access.campaigns_visible_to(user)


def campaign_get(*, user: User, campaign_id: int) -> Campaign:
    campaign = campaigns_visible_to(user).select_related("owner", "parent").filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} was not found.", detail={"id": campaign_id})
    return campaign


# --- cost arithmetic -------------------------------------------------------------------------------


def cost_between(
    amount: Decimal, line_start: date, line_end: date, start: date | None, end: date | None
) -> Decimal:
    """The part of a cost spread evenly over ``line_start..line_end`` falling on ``start..end`` (inclusive).

    Works in whole cents: each day gets ``amount / days`` rounded down, and the leftover cents go one
    each to the first days, so the days of one line always add back to its amount exactly.
    """
    lo = max(line_start, start) if start else line_start
    hi = min(line_end, end) if end else line_end
    if hi < lo:
        return ZERO
    days = (line_end - line_start).days + 1
    sign = -1 if amount < 0 else 1
    cents = int(abs(amount) * 100)
    base, extra = divmod(cents, days)
    first, last = (lo - line_start).days, (hi - line_start).days
    extra_days = max(0, min(last, extra - 1) - first + 1)
    total = base * (last - first + 1) + extra_days
    return (Decimal(sign * total) / 100).quantize(Decimal("0.01"))


def campaign_tree() -> dict[int, list[int]]:
    """Children ids per campaign id, from one query."""
    children: dict[int, list[int]] = defaultdict(list)
    for pk, parent_id in Campaign.objects.values_list("pk", "parent_id"):
        if parent_id is not None:
            children[parent_id].append(pk)
    return children


def descendants(campaign_id: int, children: dict[int, list[int]]) -> set[int]:
    """The campaign and every campaign below it (cycle-safe)."""
    found = {campaign_id}
    stack = [campaign_id]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def campaign_costs(
    *,
    campaign_ids: Iterable[int],
    start: date | None = None,
    end: date | None = None,
    include_children: bool = True,
) -> dict[int, Decimal]:
    """Exact cost of each campaign in ``start..end`` (open ends allowed), children included; two queries."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    children = campaign_tree() if include_children else {}
    trees = {pk: descendants(pk, children) for pk in ids}
    wanted = set().union(*trees.values())
    lines = CostLine.objects.filter(campaign_id__in=wanted)
    if start:
        lines = lines.filter(period_end__gte=start)
    if end:
        lines = lines.filter(period_start__lte=end)
    own: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for campaign_id, amount, line_start, line_end in lines.values_list(
        "campaign_id", "amount", "period_start", "period_end"
    ):
        own[campaign_id] += cost_between(amount, line_start, line_end, start, end)
    return {pk: sum((own[c] for c in tree), ZERO) for pk, tree in trees.items()}


def campaign_cost(
    campaign: Campaign, start: date | None = None, end: date | None = None, include_children: bool = True
) -> Decimal:
    """Exact cost of ``campaign`` in ``start..end`` (days inclusive; None leaves that end open)."""
    return campaign_costs(
        campaign_ids=[campaign.pk], start=start, end=end, include_children=include_children
    )[campaign.pk]


# --- listings --------------------------------------------------------------------------------------


@dataclass
class CampaignRow:
    campaign: Campaign
    cost_to_date: Decimal
    leads_touched: int


def campaign_listing(
    *, user: User, as_of: date | None = None, channel: str = "", status: str = ""
) -> list[CampaignRow]:
    """Campaigns with cost to date (children included) and distinct leads touched; fixed query count."""
    today = as_of or timezone.localdate()
    qs = (
        campaigns_visible_to(user)
        .select_related("owner", "parent")
        .annotate(leads_touched=Count("touchpoints__lead", distinct=True))
    )
    if channel:
        qs = qs.filter(channel=channel)
    if status:
        qs = qs.filter(status=status)
    campaigns = list(qs)
    costs = campaign_costs(campaign_ids=[c.pk for c in campaigns], end=today)
    return [CampaignRow(c, costs[c.pk], c.leads_touched) for c in campaigns]


@dataclass
class CampaignDetail:
    campaign: Campaign
    cost_lines: list[CostLine]
    children: list[Campaign]
    touchpoints: list[Touchpoint]
    touchpoints_total: int
    cost_own_to_date: Decimal
    cost_to_date: Decimal
    cost_total: Decimal
    leads_touched: int
    as_of: date | None = None

    @property
    def cost_still_to_come(self) -> Decimal:
        """The days of cost lines after ``as_of``: why all cost lines exceed the cost to date."""
        return self.cost_total - self.cost_to_date


def campaign_detail(
    *, user: User, campaign_id: int, touch_limit: int = 100, as_of: date | None = None
) -> CampaignDetail:
    """A campaign with its cost lines, children, latest touches of leads the user may see, and cost totals."""
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    today = as_of or timezone.localdate()
    visible = access.touchpoints_visible_to(user).filter(campaign=campaign)
    touches = list(visible.select_related("lead", "source").order_by("-occurred_at", "-id")[:touch_limit])
    children = campaign_tree()
    tree = descendants(campaign.pk, children)
    lines = list(CostLine.objects.filter(campaign=campaign).select_related("created_by"))
    to_date = campaign_costs(campaign_ids=[campaign.pk], end=today)[campaign.pk]
    total = campaign_costs(campaign_ids=[campaign.pk])[campaign.pk]
    own = sum(
        (cost_between(line.amount, line.period_start, line.period_end, None, today) for line in lines), ZERO
    )
    return CampaignDetail(
        campaign=campaign,
        cost_lines=lines,
        children=list(Campaign.objects.filter(parent=campaign).order_by("name")),
        touchpoints=touches,
        touchpoints_total=visible.count(),
        cost_own_to_date=own,
        cost_to_date=to_date,
        cost_total=total,
        as_of=today,
        leads_touched=Touchpoint.objects.filter(campaign_id__in=tree).values("lead_id").distinct().count(),
    )
