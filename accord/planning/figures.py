"""The figures of joint planning, computed from the raw records: live goal progress, marketing ROI,
customer lifetime value, the prospect profile's match, promises kept on time, and the joint
performance statement per person.

Planning sits below reporting, so these read the records of the apps below (events, deals, SLA clocks,
campaigns and their cost lines, touchpoints) with the same definitions as ``docs/metrics.md``:
a stage figure counts the times leads entered the stage in the period (stage events), won revenue is
deals won and closed in the period, SLA met is clocks due in the period met on time ÷ met or breached,
marketing cost is the cost lines spread evenly per day. Money counts in one currency (``CURRENCY``):
Accord keeps no exchange rates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from accord.campaigns import attribution
from accord.campaigns.models import Campaign, CostLine, Touchpoint
from accord.campaigns.selectors import campaign_costs, cost_between
from accord.campaigns.touchpoint_selectors import attributed_revenue
from accord.core.calendar import fiscal_calendar
from accord.core.models import Event
from accord.deals.models import Deal, DealStage
from accord.leads.models import Account, Lead, Stage
from accord.people.models import Role, User
from accord.planning.models import (
    LOWER_IS_BETTER,
    Attendance,
    Goal,
    ItemComment,
    ItemKind,
    Metric,
    Plan,
    PlanItem,
    Preview,
    Promise,
    ProspectProfile,
    VersionKind,
)
from accord.sla.models import SlaClock

CURRENCY = "USD"
ZERO = Decimal("0.00")
INTERNAL = "Internal: revenue figure, not for use outside the company."


def period_moments(start: date, end: date) -> tuple[datetime, datetime]:
    """``start..end`` (days inclusive, site time zone) as half-open aware moments."""
    zone = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=zone), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=zone
    )


def _team_member_ids(goal: Goal) -> list[int] | None:
    if goal.team_id is None:
        return None
    return list(
        User.objects.filter(Q(team_id=goal.team_id) | Q(managed_teams=goal.team_id)).values_list(
            "pk", flat=True
        )
    )


def stage_entries(stage: str, start: date, end: date, owners: list[int] | None = None) -> QuerySet[Event]:
    since, until = period_moments(start, end)
    events = Event.objects.filter(
        subject_type="lead", stage=stage, occurred_at__gte=since, occurred_at__lt=until
    )
    if owners is not None:
        events = events.filter(subject_id__in=Lead.objects.filter(owner_id__in=owners).values("pk"))
    return events


def won_deals(start: date, end: date, owners: list[int] | None = None) -> QuerySet[Deal]:
    since, until = period_moments(start, end)
    deals = Deal.objects.filter(
        stage=DealStage.WON, closed_at__gte=since, closed_at__lt=until, currency=CURRENCY
    )
    if owners is not None:
        deals = deals.filter(owner_id__in=owners)
    return deals


def qualified_leads_won(start: date, end: date, owners: list[int] | None = None) -> QuerySet[Deal]:
    """Won deals of the period whose contact was a marketing-qualified lead (entered MQL at some time)."""
    mqls = Event.objects.filter(subject_type="lead", stage=Stage.MQL).values("subject_id")
    return won_deals(start, end, owners).filter(contact_id__in=mqls)


def marketing_cost(start: date, end: date, campaign_ids: list[int] | None = None) -> Decimal:
    """Every campaign's own cost lines (or those of ``campaign_ids``) on the period's days, exactly."""
    lines = CostLine.objects.filter(period_end__gte=start, period_start__lte=end, currency=CURRENCY)
    if campaign_ids is not None:
        lines = lines.filter(campaign_id__in=campaign_ids)
    total = ZERO
    for amount, line_start, line_end in lines.values_list("amount", "period_start", "period_end"):
        total += cost_between(amount, line_start, line_end, start, end)
    return total


def sla_met(
    start: date, end: date, owners: list[int] | None = None, now: datetime | None = None
) -> tuple[int, int]:
    """(met on time, breached) of clocks due in the period, as the SLA compliance figure counts them."""
    since, until = period_moments(start, end)
    now = now or timezone.now()
    clocks = SlaClock.objects.filter(due_at__gte=since, due_at__lt=until)
    if owners is not None:
        clocks = clocks.filter(owner_id__in=owners)
    on_time = Q(met_at__isnull=False, met_at__lte=F("due_at"))
    met = clocks.filter(on_time).count()
    breached = (
        clocks.exclude(on_time)
        .filter(
            Q(breached_at__isnull=False)
            | Q(met_at__isnull=False)
            | Q(stopped_at__isnull=True, due_at__lte=now)
        )
        .count()
    )
    return met, breached


@dataclass(frozen=True)
class Progress:
    value: Decimal | None
    target: Decimal
    percent: Decimal | None  # of the target reached (for lower-is-better metrics: target ÷ value)
    measured: bool
    note: str = ""


def _ratio(numerator: Decimal, denominator: Decimal, places: str = "0.01") -> Decimal | None:
    if not denominator:
        return None
    return (numerator / denominator).quantize(Decimal(places))


def metric_value(
    metric: str, start: date, end: date, owners: list[int] | None = None, model: str = attribution.LINEAR
) -> Decimal | None:
    """One measured metric over ``start..end`` (None when it has no value, e.g. a ratio over nothing)."""
    if metric == Metric.MQLS:
        return Decimal(stage_entries(Stage.MQL, start, end).count())
    if metric == Metric.SALS:
        return Decimal(stage_entries(Stage.SAL, start, end, owners).count())
    if metric == Metric.SQLS:
        return Decimal(stage_entries(Stage.SQL, start, end, owners).count())
    if metric == Metric.CLOSED_QUALIFIED_LEADS:
        return Decimal(qualified_leads_won(start, end, owners).count())
    if metric == Metric.WON_REVENUE:
        return won_deals(start, end, owners).aggregate(t=Sum("amount"))["t"] or ZERO
    if metric == Metric.COST_PER_QUALIFIED_LEAD:
        return _ratio(marketing_cost(start, end), Decimal(stage_entries(Stage.SQL, start, end).count()))
    if metric == Metric.SLA_MET_PCT:
        met, breached = sla_met(start, end, owners)
        return _ratio(Decimal(met * 100), Decimal(met + breached), "0.1")
    if metric == Metric.MARKETING_ROI:
        return roi_total(start, end, model)
    if metric == Metric.LIFETIME_VALUE:
        return lifetime_value(end).value
    if metric == Metric.PREVIEWS_COMMENTED:
        since, until = period_moments(start, end)
        comments = ItemComment.objects.filter(created_at__gte=since, created_at__lt=until)
        if owners is not None:
            comments = comments.filter(author_id__in=owners)
        return Decimal(comments.values("item_id").distinct().count())
    if metric == Metric.MEETINGS_ATTENDED:
        since, until = period_moments(start, end)
        rows = Attendance.objects.filter(
            attended=True, meeting__starts_at__gte=since, meeting__starts_at__lt=until
        )
        if owners is not None:
            rows = rows.filter(user_id__in=owners)
        return Decimal(rows.count())
    return None


def goal_progress(goal: Goal) -> Progress:
    """Live progress of a goal Accord measures (from the records), else the count reported by hand."""
    if not goal.is_measured:
        value = goal.reported_progress
        measured = False
    else:
        model = goal.plan.attribution_model if goal.plan_id and goal.plan else attribution.LINEAR
        value = metric_value(goal.metric, goal.period_start, goal.period_end, _team_member_ids(goal), model)
        measured = True
    percent: Decimal | None = None
    if value is not None and goal.target:
        if goal.metric in LOWER_IS_BETTER:
            percent = (goal.target / value * 100).quantize(Decimal("0.1")) if value else None
        else:
            percent = (value / goal.target * 100).quantize(Decimal("0.1"))
    note = "lower is better" if goal.metric in LOWER_IS_BETTER else ""
    return Progress(value=value, target=goal.target, percent=percent, measured=measured, note=note)


# --- marketing ROI ---------------------------------------------------------------------------------------


@dataclass
class RoiRow:
    key: Hashable
    label: str
    revenue: Decimal = ZERO
    cost: Decimal = ZERO

    @property
    def roi(self) -> Decimal | None:
        return _ratio(self.revenue, self.cost)


@dataclass
class Roi:
    model: str
    label: str
    caveat: str
    start: date
    end: date
    by_campaign: list[RoiRow] = field(default_factory=list)
    by_channel: list[RoiRow] = field(default_factory=list)
    by_strategy: list[RoiRow] = field(default_factory=list)
    revenue: Decimal = ZERO
    cost: Decimal = ZERO
    internal: str = INTERNAL

    @property
    def roi(self) -> Decimal | None:
        return _ratio(self.revenue, self.cost)


def _costed_campaigns(start: date, end: date) -> dict[int, Decimal]:
    ids = set(
        CostLine.objects.filter(period_end__gte=start, period_start__lte=end, currency=CURRENCY).values_list(
            "campaign_id", flat=True
        )
    )
    return campaign_costs(campaign_ids=ids, start=start, end=end, include_children=False)


def roi(start: date, end: date, model: str = attribution.LINEAR, plan: Plan | None = None) -> Roi:
    """Attributed revenue ÷ cost per campaign, per channel and per plan strategy (its campaigns), under
    ``model`` (attribution credits each campaign exactly; cost is the campaign's own cost lines)."""
    attribution.check_model(model)
    costs = _costed_campaigns(start, end)
    credited = attributed_revenue(model=model, start=start, end=end, group_by="campaign")
    revenue: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for credited_row in credited.rows:
        if credited_row.currency == CURRENCY and credited_row.campaign_id is not None:
            revenue[credited_row.campaign_id] += credited_row.revenue
    ids = set(costs) | set(revenue)
    campaigns = {c.pk: c for c in Campaign.objects.filter(pk__in=ids).only("pk", "name", "channel")}
    result = Roi(
        model=model, label=attribution.LABELS[model], caveat=attribution.CAVEATS[model], start=start, end=end
    )
    channels: dict[str, RoiRow] = {}
    for pk in sorted(ids, key=lambda i: campaigns[i].name if i in campaigns else ""):
        campaign = campaigns.get(pk)
        if campaign is None:
            continue
        row = RoiRow(key=pk, label=campaign.name, revenue=revenue.get(pk, ZERO), cost=costs.get(pk, ZERO))
        result.by_campaign.append(row)
        channel = channels.setdefault(
            campaign.channel, RoiRow(key=campaign.channel, label=campaign.get_channel_display())
        )
        channel.revenue += row.revenue
        channel.cost += row.cost
    result.by_channel = sorted(channels.values(), key=lambda r: r.label)
    result.revenue = sum((r.revenue for r in result.by_campaign), ZERO)
    result.cost = marketing_cost(start, end)
    if plan is not None:
        items = PlanItem.objects.filter(
            version__plan=plan, version__kind=VersionKind.PLAN, kind=ItemKind.STRATEGY
        ).prefetch_related("campaigns")
        for item in items:
            linked = [c.pk for c in item.campaigns.all()]
            own = (
                campaign_costs(campaign_ids=linked, start=start, end=end, include_children=False)
                if linked
                else {}
            )
            result.by_strategy.append(
                RoiRow(
                    key=item.key,
                    label=item.title,
                    revenue=sum((revenue.get(c, ZERO) for c in linked), ZERO),
                    cost=sum(own.values(), ZERO),
                )
            )
    return result


def roi_total(start: date, end: date, model: str = attribution.LINEAR) -> Decimal | None:
    result = roi(start, end, model)
    return result.roi


# --- customer lifetime value -------------------------------------------------------------------------------


@dataclass
class LtvRow:
    key: str
    customers: int = 0
    revenue: Decimal = ZERO

    @property
    def value(self) -> Decimal | None:
        return _ratio(self.revenue, Decimal(self.customers)) if self.customers else None


@dataclass
class Ltv:
    by_source: list[LtvRow]
    by_first_campaign: list[LtvRow]
    by_segment: list[LtvRow]
    customers: int
    revenue: Decimal
    internal: str = INTERNAL

    @property
    def value(self) -> Decimal | None:
        return _ratio(self.revenue, Decimal(self.customers)) if self.customers else None


def lifetime_value(until: date | None = None) -> Ltv:
    """Lifetime value of a customer (an account with a won deal): all its won revenue up to ``until``,
    averaged per group: by the source and the first campaign of the contact of its first won deal, and
    by its segment (the account's vertical)."""
    deals = Deal.objects.filter(stage=DealStage.WON, currency=CURRENCY)
    if until is not None:
        deals = deals.filter(closed_at__lt=period_moments(until, until)[1])
    totals = {
        row["account_id"]: row["total"] for row in deals.values("account_id").annotate(total=Sum("amount"))
    }
    first_contact: dict[int, int] = {}
    for account_id, contact_id in deals.order_by("account_id", "closed_at", "id").values_list(
        "account_id", "contact_id"
    ):
        first_contact.setdefault(account_id, contact_id)
    sources = dict(Lead.objects.filter(pk__in=first_contact.values()).values_list("pk", "source__name"))
    first_campaign: dict[int, str] = {}
    for lead_id, campaign_name in (
        Touchpoint.objects.filter(lead_id__in=first_contact.values())
        .order_by("lead_id", "occurred_at", "id")
        .values_list("lead_id", "campaign__name")
    ):
        first_campaign.setdefault(lead_id, campaign_name or "(no campaign)")
    segments = dict(Account.objects.filter(pk__in=totals).values_list("pk", "industry"))
    groups: dict[str, dict[str, LtvRow]] = {"source": {}, "campaign": {}, "segment": {}}
    for account_id, total in totals.items():
        contact = first_contact[account_id]
        keys = {
            "source": sources.get(contact) or "(no source)",
            "campaign": first_campaign.get(contact, "(no touch)"),
            "segment": segments.get(account_id) or "(no vertical)",
        }
        for group, key in keys.items():
            row = groups[group].setdefault(key, LtvRow(key=key))
            row.customers += 1
            row.revenue += total

    def ordered(rows: dict[str, LtvRow]) -> list[LtvRow]:
        return sorted(rows.values(), key=lambda r: (-(r.value or 0), r.key))

    return Ltv(
        by_source=ordered(groups["source"]),
        by_first_campaign=ordered(groups["campaign"]),
        by_segment=ordered(groups["segment"]),
        customers=len(totals),
        revenue=sum(totals.values(), ZERO),
    )


# --- prospect profile match -----------------------------------------------------------------------------


@dataclass
class ProfileMatch:
    customers: int
    customers_matching: int
    pipeline: int
    pipeline_matching: int
    differences: dict[
        str, list[tuple[str, int, int, bool]]
    ]  # dimension -> (value, customers, pipeline, in profile)

    @staticmethod
    def share(part: int, whole: int) -> Decimal | None:
        return (Decimal(part * 100) / whole).quantize(Decimal("0.1")) if whole else None

    @property
    def customers_share(self) -> Decimal | None:
        return self.share(self.customers_matching, self.customers)

    @property
    def pipeline_share(self) -> Decimal | None:
        return self.share(self.pipeline_matching, self.pipeline)


def profile_condition(profile: ProspectProfile) -> Q:
    condition = Q()
    if profile.industries:
        names = Q()
        for name in profile.industries:
            names |= Q(industry__iexact=name)
        condition &= names
    if profile.countries:
        names = Q()
        for name in profile.countries:
            names |= Q(country__iexact=name)
        condition &= names
    if profile.min_size is not None:
        condition &= Q(size__gte=profile.min_size)
    if profile.max_size is not None:
        condition &= Q(size__lte=profile.max_size)
    return condition


SIZE_BANDS = ((0, 49, "1-49"), (50, 199, "50-199"), (200, 999, "200-999"), (1000, None, "1000+"))


def _band(size: int | None) -> str:
    if size is None:
        return "(unknown)"
    for low, high, label in SIZE_BANDS:
        if size >= low and (high is None or size <= high):
            return label
    return "(unknown)"


def profile_match(profile: ProspectProfile) -> ProfileMatch:
    """What share of current customers (accounts with a won deal) and of open pipeline (accounts with an
    open deal) match the profile, and how they spread by vertical, size band and region."""
    customers = Account.objects.filter(deals__stage=DealStage.WON).distinct()
    pipeline = Account.objects.filter(
        deals__stage__in=[DealStage.QUALIFICATION, DealStage.PROPOSAL, DealStage.NEGOTIATION]
    ).distinct()
    condition = profile_condition(profile)
    differences: dict[str, list[tuple[str, int, int, bool]]] = {}
    wanted_industries = {i.lower() for i in profile.industries}
    wanted_countries = {c.lower() for c in profile.countries}
    for dimension, column in (("Vertical", "industry"), ("Region", "country")):
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for index, accounts in enumerate((customers, pipeline)):
            for row in accounts.values(column).annotate(n=Count("pk", distinct=True)).order_by("-n")[:12]:
                counts[row[column] or "(unknown)"][index] += row["n"]
        wanted = wanted_industries if column == "industry" else wanted_countries
        differences[dimension] = [
            (value, c, p, (value.lower() in wanted) if wanted else True)
            for value, (c, p) in sorted(counts.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))
        ]
    bands: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for index, accounts in enumerate((customers, pipeline)):
        for low, high, label in SIZE_BANDS:
            q = Q(size__gte=low) if high is None else Q(size__gte=low, size__lte=high)
            bands[label][index] = accounts.filter(q).count()
        bands["(unknown)"][index] = accounts.filter(size__isnull=True).count()

    def band_in_profile(label: str) -> bool:
        for low, high, name in SIZE_BANDS:
            if name == label:
                lo_ok = profile.max_size is None or low <= profile.max_size
                hi_ok = profile.min_size is None or high is None or high >= profile.min_size
                return lo_ok and hi_ok
        return profile.min_size is None and profile.max_size is None

    differences["Size"] = [(label, c, p, band_in_profile(label)) for label, (c, p) in bands.items() if c or p]
    return ProfileMatch(
        customers=customers.count(),
        customers_matching=customers.filter(condition).count(),
        pipeline=pipeline.count(),
        pipeline_matching=pipeline.filter(condition).count(),
        differences=differences,
    )


# --- promises kept on time ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseScore:
    label: str
    due: int
    kept_on_time: int

    @property
    def percent(self) -> Decimal | None:
        return (Decimal(self.kept_on_time * 100) / self.due).quantize(Decimal("0.1")) if self.due else None


def promises_kept_per_quarter(
    promises: QuerySet[Promise], quarters: int = 4, today: date | None = None
) -> list[PromiseScore]:
    """Promises due in each of the last ``quarters`` fiscal quarters, and how many were kept by their
    due day (in the site's time zone)."""
    calendar = fiscal_calendar()
    today = today or timezone.localdate()
    scores: list[PromiseScore] = []
    day = today
    for _ in range(quarters):
        first, last = calendar.quarter_bounds(day)
        due = promises.filter(due_on__gte=first, due_on__lte=last)
        kept = sum(
            1
            for kept_at, due_on in due.exclude(kept_at__isnull=True).values_list("kept_at", "due_on")
            if timezone.localtime(kept_at).date() <= due_on
        )
        scores.append(PromiseScore(label=calendar.label(first), due=due.count(), kept_on_time=kept))
        day = first - timedelta(days=1)
    return scores


# --- the joint performance statement -------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    label: str
    url: str


@dataclass
class Figure:
    key: str
    label: str
    value: Decimal | int | str
    records: list[Record] = field(default_factory=list)
    internal: bool = False


@dataclass
class Statement:
    person: User
    start: date
    end: date
    figures: list[Figure]


RECORD_LIMIT = 200  # records listed behind one figure (the figure itself counts them all)


def _sourced_leads_of(person: User, lead_ids: list[int]) -> set[int]:
    """Of ``lead_ids``, those whose first touch came through a campaign ``person`` owns."""
    first: dict[int, int | None] = {}
    for lead_id, campaign_id in (
        Touchpoint.objects.filter(lead_id__in=lead_ids)
        .order_by("lead_id", "occurred_at", "id")
        .values_list("lead_id", "campaign_id")
    ):
        first.setdefault(lead_id, campaign_id)
    owned = set(Campaign.objects.filter(owner=person).values_list("pk", flat=True))
    return {lead for lead, campaign in first.items() if campaign in owned}


def performance_statement(person: User, start: date, end: date) -> Statement:
    """The figures compensation is tied to, for one person and one period, each with its records.

    Marketing shares the pressure: the qualified leads (SQLs) and the closed, qualified leads (won deals
    of MQLs) whose first touch came through the person's campaigns, and the revenue of those deals.
    Sales is measured on following up marketing's leads (the SLA scorecard: clocks met on time and
    missed, leads accepted) and on taking part in marketing (plan items commented, previews marked
    done, planning meetings attended). Promises to sales count for whoever made them.
    """
    since, until = period_moments(start, end)
    figures: list[Figure] = []
    roles = person.role_set
    if roles & {Role.MARKETING, Role.MARKETING_HEAD}:
        sql_events = list(stage_entries(Stage.SQL, start, end).values_list("subject_id", flat=True))
        mine = _sourced_leads_of(person, sql_events)
        figures.append(
            Figure(
                "qualified_leads",
                "Qualified leads (SQL) from my campaigns",
                len(mine),
                [Record(f"Lead {pk}", f"/leads/{pk}/") for pk in sorted(mine)[:RECORD_LIMIT]],
            )
        )
        won = list(qualified_leads_won(start, end).values_list("pk", "contact_id", "amount", "name"))
        sourced = _sourced_leads_of(person, [c for _, c, _, _ in won])
        closed = [(pk, amount, name) for pk, contact, amount, name in won if contact in sourced]
        records = [Record(name, f"/deals/{pk}/") for pk, _, name in closed[:RECORD_LIMIT]]
        figures.append(
            Figure(
                "closed_qualified_leads", "Closed, qualified leads from my campaigns", len(closed), records
            )
        )
        figures.append(
            Figure(
                "closed_revenue",
                f"Revenue of those deals ({CURRENCY})",
                sum((a for _, a, _ in closed), ZERO),
                records,
                internal=True,
            )
        )
    if roles & {Role.SALES_REP, Role.SALES_MANAGER, Role.SALES_HEAD}:
        clocks = SlaClock.objects.filter(owner=person, due_at__gte=since, due_at__lt=until).order_by(
            "due_at", "id"
        )
        on_time = [
            c for c in clocks.only("pk", "lead_id", "met_at", "due_at") if c.met_at and c.met_at <= c.due_at
        ]
        met, breached = sla_met(start, end, [person.pk])
        figures.append(
            Figure(
                "sla_met",
                "Marketing leads followed up on time (SLA clocks met)",
                met,
                [Record(f"Lead {c.lead_id}", f"/leads/{c.lead_id}/") for c in on_time[:RECORD_LIMIT]],
            )
        )
        missed_ids = list(
            clocks.exclude(pk__in=[c.pk for c in on_time]).values_list("lead_id", flat=True)[:RECORD_LIMIT]
        )
        figures.append(
            Figure(
                "sla_missed",
                "SLA deadlines missed",
                breached,
                [Record(f"Lead {pk}", f"/leads/{pk}/") for pk in missed_ids],
            )
        )
        accepted = list(
            Event.objects.filter(
                type="lead.accepted", actor=person, occurred_at__gte=since, occurred_at__lt=until
            ).values_list("subject_id", flat=True)
        )
        figures.append(
            Figure(
                "accepted",
                "Marketing leads accepted",
                len(accepted),
                [Record(f"Lead {pk}", f"/leads/{pk}/") for pk in accepted[:RECORD_LIMIT]],
            )
        )
    comments = ItemComment.objects.filter(
        author=person, created_at__gte=since, created_at__lt=until
    ).select_related("item")
    items = {c.item_id: c for c in comments}
    figures.append(
        Figure(
            "items_commented",
            "Plan items commented in previews",
            len(items),
            [
                Record(c.item.title, f"/planning/previews/{c.preview_id}/")
                for c in list(items.values())[:RECORD_LIMIT]
            ],
        )
    )
    done = Preview.objects.filter(done_by=person, done_at__gte=since, done_at__lt=until)
    figures.append(
        Figure(
            "previews_done",
            "Plan previews marked done",
            done.count(),
            [
                Record(str(p.team), f"/planning/previews/{p.pk}/")
                for p in done.select_related("team")[:RECORD_LIMIT]
            ],
        )
    )
    attended = Attendance.objects.filter(
        user=person, attended=True, meeting__starts_at__gte=since, meeting__starts_at__lt=until
    ).select_related("meeting")
    figures.append(
        Figure(
            "meetings_attended",
            "Planning meetings attended",
            attended.count(),
            [Record(a.meeting.title, f"/planning/meetings/{a.meeting_id}/") for a in attended[:RECORD_LIMIT]],
        )
    )
    promises = Promise.objects.filter(owner=person, due_on__gte=start, due_on__lte=end)
    kept = [p for p in promises if p.kept_at and timezone.localtime(p.kept_at).date() <= p.due_on]
    if promises.exists():
        figures.append(
            Figure(
                "promises_kept",
                "Promises to sales kept on time",
                f"{len(kept)} of {promises.count()}",
                [Record(p.title, "/planning/promises/") for p in kept[:RECORD_LIMIT]],
            )
        )
    return Statement(person=person, start=start, end=end, figures=figures)


def shareable_results(plan: Plan, start: date, end: date) -> list[tuple[str, int | str]]:
    """Plan results for the wider company: activity measures only (D5: revenue claims are left to
    sales' own figures)."""
    strategies = PlanItem.objects.filter(
        version__plan=plan, version__kind=VersionKind.PLAN, kind=ItemKind.STRATEGY
    )
    since, until = period_moments(start, end)
    campaigns = Campaign.objects.filter(plan_items__in=strategies).distinct()
    touches = Touchpoint.objects.filter(campaign__in=campaigns, occurred_at__gte=since, occurred_at__lt=until)
    return [
        ("Plan", plan.name),
        ("Period", f"{start.isoformat()} to {end.isoformat()}"),
        ("Strategies in the plan", strategies.count()),
        ("Campaigns run for them", campaigns.count()),
        ("People reached (touches)", touches.count()),
        ("People reached (distinct)", touches.values("lead_id").distinct().count()),
        ("Leads that became marketing-qualified", stage_entries(Stage.MQL, start, end).count()),
        ("Sales teams that reviewed the plan", plan.previews.filter(done_at__isnull=False).count()),
        ("Planning meetings held", plan.meetings.filter(starts_at__lt=timezone.now()).count()),
        ("Promises to sales kept", plan.promises.filter(kept_at__isnull=False).count()),
    ]
