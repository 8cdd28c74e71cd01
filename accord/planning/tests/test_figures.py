"""Goal progress, ROI and lifetime value on the plan page equal a plain computation over the raw records
(events, deals, cost lines, touchpoints), written here without the code under test."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine

pytestmark = pytest.mark.django_db

START, END = date(2027, 1, 1), date(2027, 3, 31)
SINCE, UNTIL = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)


@pytest.fixture
def records(personas):
    """Leads with stage events, touches through three campaigns, costs, and deals won over two quarters."""
    from accord.campaigns.models import Campaign, CampaignChannel, CostLine
    from accord.campaigns.tests.factories import LeadFactory, TouchpointFactory
    from accord.core.models import Event
    from accord.deals.models import Deal
    from accord.leads.models import Account, Source

    rng = random.Random(17)
    campaigns = [
        Campaign.objects.create(name="Webinars", channel=CampaignChannel.WEBINAR, utm_campaign="web"),
        Campaign.objects.create(name="Search", channel=CampaignChannel.PAID_SEARCH, utm_campaign="search"),
        Campaign.objects.create(name="Events", channel=CampaignChannel.EVENT, utm_campaign="events"),
    ]
    for campaign, amount in zip(campaigns, ("9000.00", "4500.00", "3100.00"), strict=True):
        CostLine.objects.create(
            campaign=campaign,
            amount=Decimal(amount),
            period_start=date(2027, 1, 1),
            period_end=date(2027, 1, 30),
        )
    # A line running past the quarter: only its days inside count (62 days, 31 in the quarter).
    CostLine.objects.create(
        campaign=campaigns[2],
        amount=Decimal("620.00"),
        period_start=date(2027, 3, 1),
        period_end=date(2027, 5, 1),
    )
    sources = [
        Source.objects.create(name="Web form", public_key="k1"),
        Source.objects.create(name="Import", public_key="k2"),
    ]
    industries = ["Healthcare", "Finance", "Retail"]
    for n in range(40):
        lead = LeadFactory(
            email=f"p{n}@x.example",
            owner=rng.choice([personas.bob, personas.carol, personas.charlie]),
            source=rng.choice(sources),
        )
        at = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 24 * 150))
        for stage in ["inquiry", "mql", "sal", "sql"][: rng.randint(1, 4)]:
            Event.objects.create(
                type="lead.stage_changed",
                subject_type="lead",
                subject_id=lead.pk,
                stage=stage,
                occurred_at=at,
            )
            at += timedelta(hours=rng.randint(1, 300))
        touches = rng.randint(0, 3)
        for t in range(touches):
            campaign = rng.choice(campaigns)
            TouchpointFactory(
                lead=lead,
                campaign=campaign,
                channel=campaign.channel,
                occurred_at=datetime(2026, 12, 1, tzinfo=UTC) + timedelta(days=t * 10 + n % 7),
            )
        if n % 3 == 0:
            account = Account.objects.create(
                name=f"Acc {n}",
                name_key=f"acc {n}",
                industry=rng.choice(industries),
                size=rng.randint(10, 2000),
            )
            for k in range(rng.randint(1, 2)):
                closed = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 170))
                deal = Deal.objects.create(
                    name=f"D{n}-{k}",
                    account=account,
                    contact=lead,
                    owner=lead.owner,
                    amount=Decimal(rng.choice([600, 1200, 3000])),
                    stage="won",
                    closed_at=closed,
                )
                Deal.objects.filter(pk=deal.pk).update(created_at=datetime(2027, 1, 15, tzinfo=UTC))
    return campaigns


def plain_linear_credit(deals, touches):
    """Linear attribution by hand: each deal's amount split evenly over the touches up to its creation."""
    credit: dict[int, Fraction] = defaultdict(Fraction)
    for deal in deals:
        before = [t for t in touches if t.lead_id == deal.contact_id and t.occurred_at <= deal.created_at]
        for touch in before:
            credit[touch.campaign_id] += Fraction(deal.amount) / len(before)
    return credit


def plain_cost(lines, campaign_id):
    total = Fraction(0)
    for line in lines:
        if line.campaign_id != campaign_id:
            continue
        days = (line.period_end - line.period_start).days + 1
        inside = (min(line.period_end, END) - max(line.period_start, START)).days + 1
        total += Fraction(line.amount) * max(inside, 0) / days
    return total


def test_goal_progress_roi_and_lifetime_value_on_the_plan_page_equal_the_raw_records(
    personas, client_for, records
):
    from accord.campaigns.models import CostLine, Touchpoint
    from accord.core.models import Event
    from accord.deals.models import Deal
    from accord.planning.services import ItemSpec, goal_create, plan_create

    campaigns = records
    plan = plan_create(
        actor=personas.alice,
        name="Plan",
        fiscal_year=2027,
        attribution_model="linear",
        plan_items=[
            ItemSpec(
                kind="strategy", title="Demand", key="demand", campaign_ids=(campaigns[0].pk, campaigns[1].pk)
            )
        ],
    )
    sqls = goal_create(
        actor=personas.alice,
        side="marketing",
        metric="sqls",
        target=10,
        period_start=START,
        period_end=END,
        owner=personas.alice,
        plan=plan,
    )
    revenue = goal_create(
        actor=personas.sam,
        side="sales",
        metric="won_revenue",
        target=10000,
        period_start=START,
        period_end=END,
        owner=personas.sam,
        plan=plan,
        team=personas.health,
    )
    with time_machine.travel(datetime(2027, 4, 10, tzinfo=UTC), tick=False):
        response = client_for(personas.mona).get(f"/planning/plans/{plan.pk}/")
    assert response.status_code == 200
    context = response.context

    # Goal progress: SQL entries in the quarter; won revenue of Team Health's members (and its manager).
    events = list(Event.objects.all())
    expected_sqls = sum(1 for e in events if e.stage == "sql" and SINCE <= e.occurred_at < UNTIL)
    deals = list(Deal.objects.all())
    health = {personas.bob.pk, personas.carol.pk, personas.mike.pk}
    expected_revenue = sum(
        d.amount for d in deals if d.stage == "won" and SINCE <= d.closed_at < UNTIL and d.owner_id in health
    )
    progress = {goal.pk: p for goal, p in context["goals"]}
    assert progress[sqls.pk].value == expected_sqls > 0
    assert progress[revenue.pk].value == expected_revenue > 0

    # ROI per campaign, channel and strategy: linear credit by hand over the cost lines' days by hand.
    won = [d for d in deals if d.stage == "won" and SINCE <= d.closed_at < UNTIL]
    credit = plain_linear_credit(won, list(Touchpoint.objects.all()))
    lines = list(CostLine.objects.all())
    assert won and all(credit[c.pk] > 0 for c in campaigns)
    roi = context["roi"]
    assert roi.label.startswith("Linear")
    by_campaign = {row.key: row for row in roi.by_campaign}
    for campaign in campaigns:
        row = by_campaign[campaign.pk]
        assert abs(Fraction(row.revenue) - credit[campaign.pk]) <= Fraction(
            len(won), 100
        )  # cents split exactly
        assert Fraction(row.cost) == plain_cost(lines, campaign.pk)
        assert row.roi == (row.revenue / row.cost).quantize(Decimal("0.01"))
    (strategy,) = roi.by_strategy
    assert strategy.cost == by_campaign[campaigns[0].pk].cost + by_campaign[campaigns[1].pk].cost
    assert strategy.revenue == by_campaign[campaigns[0].pk].revenue + by_campaign[campaigns[1].pk].revenue
    assert Fraction(roi.cost) == sum(plain_cost(lines, c.pk) for c in campaigns)
    html = response.content.decode()
    assert f"<strong>{roi.roi}</strong>" in html and "Internal" in html

    # Lifetime value by segment: every won deal (up to the period's end) per account, averaged per vertical.
    per_account: dict[int, Decimal] = defaultdict(Decimal)
    for d in deals:
        if d.stage == "won" and d.closed_at < UNTIL:
            per_account[d.account_id] += d.amount
    by_vertical: dict[str, list[Decimal]] = defaultdict(list)
    for d in {d.account_id: d for d in deals}.values():
        if d.account_id in per_account:
            by_vertical[d.account.industry].append(per_account[d.account_id])
    ltv = {row.key: row for row in context["ltv"].by_segment}
    assert set(ltv) == set(by_vertical)
    for vertical, totals in by_vertical.items():
        assert ltv[vertical].customers == len(totals)
        assert ltv[vertical].value == (sum(totals) / len(totals)).quantize(Decimal("0.01"))
    assert context["ltv"].customers == len(per_account)


def test_a_performance_statement_links_each_figure_to_its_records(personas, records):
    from accord.campaigns.models import Touchpoint
    from accord.deals.models import Deal
    from accord.planning.figures import performance_statement

    campaigns = records
    for campaign in campaigns[:2]:
        campaign.owner = personas.alice
        campaign.save()
    statement = performance_statement(personas.alice, START, END)
    figures = {f.key: f for f in statement.figures}
    closed = figures["closed_qualified_leads"]
    assert closed.records, "the data set gives alice's campaigns some closed, qualified leads"
    assert closed.value == len(closed.records)
    for record in closed.records:
        deal = Deal.objects.get(pk=int(record.url.strip("/").split("/")[-1]))
        first = Touchpoint.objects.filter(lead=deal.contact).order_by("occurred_at", "id").first()
        assert first.campaign.owner == personas.alice
        assert deal.stage == "won" and SINCE <= deal.closed_at < UNTIL
    assert figures["closed_revenue"].internal
    assert figures["closed_revenue"].value == sum(
        Deal.objects.get(pk=int(r.url.strip("/").split("/")[-1])).amount for r in closed.records
    )
