"""Reads for campaigns: who may manage them, exact costs per period, listings, and attributed revenue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from accord.campaigns import attribution
from accord.campaigns.models import Campaign, CampaignChannel, CostLine, Touchpoint
from accord.core.errors import NotFound
from accord.core.models import Event
from accord.leads.models import Stage
from accord.leads.selectors import leads_visible_to
from accord.people.models import Role, User

ZERO = Decimal("0.00")
# Who may create and change campaigns and their costs. Everyone signed in may read them.
CAMPAIGN_MANAGER_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Who may read revenue attribution: everyone but individual reps (it is revenue of every team).
ATTRIBUTION_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.SALES_MANAGER, Role.EXECUTIVE}
)
# Reaching any of these stages counts as "became an MQL" for the W-shaped lead-creation touch
# (a lead accepted straight from inquiry skipped MQL but passed it).
MQL_OR_BEYOND = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)


def can_manage_campaigns(user: User) -> bool:
    return user.is_authenticated and user.has_role(*CAMPAIGN_MANAGER_ROLES)


def can_read_attribution(user: User) -> bool:
    return user.is_authenticated and user.has_role(*ATTRIBUTION_ROLES)


def campaigns_visible_to(user: User) -> QuerySet[Campaign]:
    """Every signed-in person reads every campaign; touches on them are filtered by lead access."""
    if not user.is_authenticated or not user.is_active:
        return Campaign.objects.none()
    return Campaign.objects.all()


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


def campaign_detail(
    *, user: User, campaign_id: int, touch_limit: int = 100, as_of: date | None = None
) -> CampaignDetail:
    """A campaign with its cost lines, children, latest touches of leads the user may see, and cost totals."""
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    today = as_of or timezone.localdate()
    visible = Touchpoint.objects.filter(campaign=campaign, lead__in=leads_visible_to(user))
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
        leads_touched=Touchpoint.objects.filter(campaign_id__in=tree).values("lead_id").distinct().count(),
    )


# --- attribution -----------------------------------------------------------------------------------

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
    from accord.deals.models import Deal, DealStage  # deals builds on leads; campaigns reads it lazily

    attribution.check_model(model)
    if group_by not in ("campaign", "channel"):
        raise ValueError("group_by must be 'campaign' or 'channel'")
    since, until = _day_bounds(start, end)
    won = Deal.objects.filter(stage=DealStage.WON, closed_at__gte=since, closed_at__lt=until)
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
