"""Reads for campaigns: who may manage them, exact costs per period, listings, attributed revenue, and
communications with the A/B verdict of their variants."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, F, Min, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accord.campaigns import attribution
from accord.campaigns.models import (
    METRIC_OUTCOMES,
    OUTCOME_FIELDS,
    Audience,
    Campaign,
    CampaignChannel,
    Communication,
    CostLine,
    Delivery,
    DeliveryStatus,
    SuccessMetric,
    Touchpoint,
)
from accord.core import abtest
from accord.core.errors import AccessDenied, NotFound
from accord.core.models import Event
from accord.leads.models import Stage
from accord.leads.registry import won_deals
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


# --- communications and their A/B test -------------------------------------------------------------

# Who may create, edit and send communications (as for campaigns), and who may read their results.
COMMUNICATION_READER_ROLES = access.COMMUNICATION_READER_ROLES
CLICK_SALT = "accord.campaigns.click"
ALPHA = abtest.ALPHA
TEST_EXPLANATION = (
    "Each recipient gets one variant, picked by a fixed hash of the person and the communication in "
    "proportion to the weights, so the groups differ only by chance. A variant's trials are the "
    "people it was delivered to; its conversions are those who did the success metric within the "
    "window after their send. Each variant is compared with A (the control) by a two-sided "
    "two-proportion z-test (pooled rate); the interval is the Wald confidence interval of the "
    'difference in conversion rate. "Not enough data yet" means neither the test nor the '
    "interval can tell the variants apart and each variant has fewer recipients than the test needs "
    "to notice a change of a fifth of A's rate (at least half a point) with 80% power."
)


def can_manage_communications(user: User) -> bool:
    return can_manage_campaigns(user)


def can_read_communications(user: User) -> bool:
    return user.is_authenticated and user.is_active and user.has_role(*COMMUNICATION_READER_ROLES)


def communications_visible_to(user: User) -> QuerySet[Communication]:
    """Marketing, sales, executives and admins read every communication and its result."""
    return access.communications_visible_to(user)


def communication_get(*, user: User, communication_id: int) -> Communication:
    communication = (
        communications_visible_to(user)
        .select_related("campaign", "created_by")
        .filter(pk=communication_id)
        .first()
    )
    if communication is None:
        raise NotFound(f"Communication {communication_id} was not found.", detail={"id": communication_id})
    return communication


def communication_listing(*, user: User, campaign: Campaign | None = None) -> list[Communication]:
    """Communications (of one campaign, or all) with their variant count and deliveries; fixed queries."""
    qs = communications_visible_to(user).select_related("campaign")
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return list(
        qs.annotate(
            variant_count=Count("variants", distinct=True),
            sent_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT), distinct=True),
        )
    )


def communication_recipients(*, communication: Communication, lead_ids: Iterable[int] | None = None) -> Any:
    """The leads a send goes to: ``lead_ids`` as given, else the audience (live leads with an email:
    everyone, or those touched by the campaign; optionally only one stage). Ordered by id."""
    from accord.leads.models import Lead

    if lead_ids is not None:
        qs = Lead.objects.filter(pk__in=list(lead_ids))
    else:
        qs = Lead.objects.live().filter(trash__isnull=True).exclude(email="")
        if communication.audience == Audience.CAMPAIGN:
            qs = qs.filter(
                pk__in=Touchpoint.objects.filter(campaign_id=communication.campaign_id).values("lead_id")
            )
        if communication.audience_stage:
            qs = qs.filter(stage=communication.audience_stage)
    return qs.select_related("owner", "account__owner").order_by("pk")


def click_url(*, delivery_id: int, url: str) -> str:
    """The absolute tracked link for ``url`` in one delivery: /c/<token>, signed so it cannot be
    turned into a redirect to anywhere else."""
    token = signing.Signer(salt=CLICK_SALT).sign_object({"d": delivery_id, "u": url}, compress=True)
    return settings.SITE_URL + reverse("campaigns:click", args=[token])


def click_target(token: str) -> tuple[Delivery, str] | None:
    """The delivery and the web address a tracked link names, or None when forged or gone."""
    try:
        data = signing.Signer(salt=CLICK_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int) or not isinstance(data.get("u"), str):
        return None
    url = data["u"]
    if not url.startswith(("http://", "https://")):
        return None
    delivery = Delivery.objects.select_related("communication__campaign", "variant", "lead").filter(
        pk=data["d"]
    )
    found = delivery.first()
    return (found, url) if found is not None else None


def deliveries_visible_to(*, user: User, communication: Communication) -> QuerySet[Delivery]:
    """Deliveries of ``communication`` to leads the user may see (a rep: their own and their team's)."""
    return access.deliveries_visible_to(user).filter(communication=communication)


def deliveries_actionable_by(*, user: User, communication: Communication, limit: int = 200) -> list[Delivery]:
    """Deliveries whose outcome the user may record: every one they see for marketing, else those to the
    leads they act on (their own and those of everyone they manage); see accord.people.access."""
    return list(
        access.deliveries_actionable_by(user)
        .filter(communication=communication, status=DeliveryStatus.SENT)
        .select_related("lead", "variant")
        .order_by("-sent_at", "-id")[:limit]
    )


def delivery_get_for_outcome(*, user: User, communication: Communication, lead_id: int) -> Delivery:
    """The delivery of ``communication`` to the lead, if the user may record its outcomes.

    NotFound when the lead did not get it or the user does not see the lead; AccessDenied when they
    see the lead but may not act on it. Marketing records outcomes for anyone (integrations, imports).
    """
    delivery = (
        deliveries_visible_to(user=user, communication=communication)
        .select_related("lead", "variant", "communication")
        .filter(lead_id=lead_id)
        .first()
    )
    if delivery is None:
        raise NotFound(f"Lead {lead_id} did not get this communication.", detail={"lead_id": lead_id})
    if not access.deliveries_actionable_by(user).filter(pk=delivery.pk).exists():
        raise AccessDenied(
            f"Only marketing, the lead's owner and the people who manage them record outcomes for lead {lead_id}.",
            detail={"lead_id": lead_id},
        )
    return delivery


@dataclass
class VariantStats:
    """One variant's counts: trials are sent deliveries, conversions those that met the metric in time."""

    key: str
    subject: str
    weight: int
    trials: int = 0
    conversions: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0
    replied: int = 0
    meetings: int = 0

    @property
    def name(self) -> str:
        return f"Variant {self.key}"

    @property
    def rate(self) -> float:
        return self.conversions / self.trials if self.trials else 0.0


@dataclass
class CommunicationResult:
    """The A/B verdict of a communication: counts per variant, each variant against A, in plain words."""

    communication: Communication
    metric: str
    window_days: int
    variants: list[VariantStats]
    comparisons: list[abtest.TestResult]
    alpha: float
    correction: str
    summary: str
    explanation: str = TEST_EXPLANATION

    @property
    def trials(self) -> int:
        return sum(v.trials for v in self.variants)


def _converted(communication: Communication) -> Q:
    """A sent delivery whose recipient met the success metric within the window after the send."""
    window = timedelta(days=communication.success_window_days)
    if communication.success_metric == SuccessMetric.MQL:
        return Q(became_mql=True)
    field = OUTCOME_FIELDS[METRIC_OUTCOMES[communication.success_metric]]
    return Q(**{f"{field}__isnull": False, f"{field}__lte": F("sent_at") + window})


def _delivery_rows(communication: Communication) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(communication=communication)
    if communication.success_metric == SuccessMetric.MQL:
        window = timedelta(days=communication.success_window_days)
        # Became an MQL: the lead's first arrival at MQL or beyond (a stage event) in the window.
        qs = qs.annotate(
            became_mql=Exists(
                Event.objects.filter(
                    subject_type="lead",
                    subject_id=OuterRef("lead_id"),
                    stage__in=MQL_OR_BEYOND,
                    occurred_at__gte=OuterRef("sent_at"),
                    occurred_at__lte=ExpressionWrapper(
                        OuterRef("sent_at") + window, output_field=DateTimeField()
                    ),
                )
            )
        )
    return qs


def communication_result(*, communication: Communication) -> CommunicationResult:
    """Trials and conversions per variant from the deliveries (one aggregate query), then every variant
    judged against A with ``abtest.compare``. With more than two variants the significance level is
    Bonferroni-corrected (alpha divided by the number of comparisons), which also widens the intervals
    and raises the sample size each variant needs."""
    variants = list(communication.variants.order_by("key"))
    stats = {v.key: VariantStats(v.key, v.effective_subject, v.weight) for v in variants}
    sent = Q(status=DeliveryStatus.SENT)
    rows = (
        _delivery_rows(communication)
        .order_by()
        .values("variant__key")
        .annotate(
            trials=Count("id", filter=sent),
            conversions=Count("id", filter=sent & _converted(communication)),
            failed=Count("id", filter=Q(status=DeliveryStatus.FAILED)),
            opened=Count("id", filter=sent & Q(opened_at__isnull=False)),
            clicked=Count("id", filter=sent & Q(clicked_at__isnull=False)),
            replied=Count("id", filter=sent & Q(replied_at__isnull=False)),
            meetings=Count("id", filter=sent & Q(meeting_booked_at__isnull=False)),
        )
    )
    for row in rows:
        s = stats[row["variant__key"]]
        for name in ("trials", "conversions", "failed", "opened", "clicked", "replied", "meetings"):
            setattr(s, name, row[name])
    ordered = [stats[v.key] for v in variants]
    comparisons_wanted = max(len(ordered) - 1, 0)
    alpha = ALPHA / comparisons_wanted if comparisons_wanted > 1 else ALPHA
    correction = (
        f"Bonferroni: {comparisons_wanted} comparisons with A, each at a significance level of "
        f"{ALPHA:g} / {comparisons_wanted} = {alpha:.4f}, so the chance of any false winner stays at "
        f"most {ALPHA:.0%}; intervals are {1 - alpha:.1%} intervals."
        if comparisons_wanted > 1
        else f"None needed: one comparison at a significance level of {ALPHA:g} (95% intervals)."
    )
    comparisons: list[abtest.TestResult] = []
    if ordered:
        control = abtest.Variant(ordered[0].name, ordered[0].conversions, ordered[0].trials)
        for other in ordered[1:]:
            comparisons.append(
                abtest.compare(
                    control, abtest.Variant(other.name, other.conversions, other.trials), alpha=alpha
                )
            )
    metric = SuccessMetric(communication.success_metric).label.lower()
    if not ordered or not any(s.trials for s in ordered):
        summary = "Nothing delivered yet: the verdict appears once people got the variants."
    elif not comparisons:
        summary = "Only one variant: there is nothing to compare. Add a variant B in a new communication."
    else:
        summary = " ".join(c.verdict + "." for c in comparisons)
    return CommunicationResult(
        communication=communication,
        metric=f"{metric} within {communication.success_window_days} days",
        window_days=communication.success_window_days,
        variants=ordered,
        comparisons=comparisons,
        alpha=alpha,
        correction=correction,
        summary=summary,
    )


def communication_send_runs(*, communication: Communication, limit: int = 20) -> list[Event]:
    """The communication's sends with their counts (sent, skipped and why), newest first."""
    return list(
        Event.objects.filter(
            subject_type="communication", subject_id=communication.pk, type="communication.send_run"
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )


DELIVERY_CSV_HEADER = (
    "communication",
    "variant",
    "subject",
    "lead_id",
    "name",
    "email",
    "company",
    "status",
    "sent_at",
    "opened_at",
    "clicked_at",
    "replied_at",
    "meeting_booked_at",
)


def delivery_csv_rows(*, user: User, communication: Communication) -> list[list[Any]]:
    """One row per delivery to a lead the user may see (the CSV export)."""
    rows = []
    for d in (
        deliveries_visible_to(user=user, communication=communication)
        .select_related("lead", "variant")
        .order_by("sent_at", "id")
    ):
        rows.append(
            [
                communication.name,
                d.variant.key,
                d.variant.subject or communication.subject,
                d.lead_id,
                f"{d.lead.first_name} {d.lead.last_name}".strip(),
                d.lead.email,
                d.lead.company,
                d.status,
                d.sent_at,
                d.opened_at,
                d.clicked_at,
                d.replied_at,
                d.meeting_booked_at,
            ]
        )
    return rows
