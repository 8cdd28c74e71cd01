"""Attributed revenue over won deals: figures checked by hand, every row adding up, a fixed query count."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from accord.campaigns import attribution
from accord.campaigns.tests.factories import CampaignFactory, LeadFactory, TouchpointFactory
from accord.campaigns.touchpoint_selectors import NO_TOUCH_KEY, attributed_revenue
from accord.core.events import event_record
from accord.deals.models import Deal, DealStage
from accord.leads.models import Account

OPENED = datetime(2026, 3, 1, 12, tzinfo=UTC)
CLOSED = datetime(2026, 3, 20, 12, tzinfo=UTC)
MARCH = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}


def won_deal(
    contact, amount: str, *, opened=OPENED, closed=CLOSED, stage=DealStage.WON, currency="USD"
) -> Deal:
    account, _ = Account.objects.get_or_create(name="Example Health", defaults={"name_key": "example health"})
    deal = Deal.objects.create(
        name=f"Deal for {contact.email}",
        account=account,
        contact=contact,
        amount=Decimal(amount),
        currency=currency,
        stage=stage,
        closed_at=closed if stage in (DealStage.WON, DealStage.LOST) else None,
        lost_reason="price" if stage == DealStage.LOST else "",
    )
    Deal.objects.filter(pk=deal.pk).update(created_at=opened)
    return deal


def touch(lead, campaign, days_from_opening: float, channel: str | None = None):
    return TouchpointFactory(
        lead=lead,
        campaign=campaign,
        channel=channel or (campaign.channel if campaign else "other"),
        occurred_at=OPENED + timedelta(days=days_from_opening),
    )


@pytest.fixture
def story(db):
    """Two campaigns, three won deals in March (one without touches), and deals that must not count."""
    a = CampaignFactory(name="Newsletter", channel="email")
    b = CampaignFactory(name="Search", channel="paid_search")
    ann, ben, cat, dan = LeadFactory(), LeadFactory(), LeadFactory(), LeadFactory()
    touch(ann, a, -30)
    touch(ann, b, -10)
    touch(ann, a, +5)  # after the deal was opened: never credited
    won_deal(ann, "1000.00")
    touch(ben, b, -3)
    won_deal(ben, "500.00")
    won_deal(ben, "700.00", stage=DealStage.LOST)  # lost: no revenue
    won_deal(cat, "200.00")  # no touch at all
    touch(dan, a, -1)
    won_deal(dan, "900.00", closed=datetime(2026, 4, 2, tzinfo=UTC))  # closed after the period
    return a, b


def by_key(result):
    return {row.key: (row.revenue, row.deals) for row in result.rows}


def test_linear_revenue_per_campaign_matches_the_figures_worked_out_by_hand(story):
    a, b = story
    result = attributed_revenue(model="linear", **MARCH)
    assert by_key(result) == {
        a.pk: (Decimal("500.00"), 1),
        b.pk: (Decimal("1000.00"), 2),
        NO_TOUCH_KEY: (Decimal("200.00"), 1),
    }
    assert result.totals == {"USD": Decimal("1700.00")} and result.deals == 3
    assert result.model == "linear" and result.caveat == attribution.CAVEATS["linear"]


def test_first_touch_credits_the_campaign_that_found_each_person(story):
    a, b = story
    result = attributed_revenue(model="first_touch", **MARCH)
    assert by_key(result)[a.pk] == (Decimal("1000.00"), 1)
    assert by_key(result)[b.pk] == (Decimal("500.00"), 1)


def test_sourced_and_influenced_revenue_are_reported_per_campaign(story):
    a, b = story
    rows = {row.key: row for row in attributed_revenue(model="linear", **MARCH).rows}
    assert (rows[a.pk].sourced_revenue, rows[a.pk].sourced_deals) == (Decimal("1000.00"), 1)
    assert (rows[b.pk].sourced_revenue, rows[b.pk].sourced_deals) == (Decimal("500.00"), 1)
    assert (rows[a.pk].influenced_revenue, rows[a.pk].influenced_deals) == (Decimal("1000.00"), 1)
    assert (rows[b.pk].influenced_revenue, rows[b.pk].influenced_deals) == (Decimal("1500.00"), 2)


def test_revenue_per_channel(story):
    result = attributed_revenue(model="linear", group_by="channel", **MARCH)
    assert by_key(result) == {
        "email": (Decimal("500.00"), 1),
        "paid_search": (Decimal("1000.00"), 2),
        NO_TOUCH_KEY: (Decimal("200.00"), 1),
    }
    assert {row.label for row in result.rows} >= {"Email", "Paid search"}


@pytest.mark.parametrize("model", attribution.MODELS)
def test_every_model_credits_exactly_the_revenue_won_and_names_itself_on_every_row(story, model):
    result = attributed_revenue(model=model, **MARCH)
    assert sum(row.revenue for row in result.rows) == result.totals["USD"] == Decimal("1700.00")
    assert all(
        item["model"] == model and item["caveat"] == attribution.CAVEATS[model] for item in result.as_list()
    )


def test_w_shaped_uses_the_moment_the_contact_became_an_mql(db):
    a, b, c = CampaignFactory(), CampaignFactory(), CampaignFactory()
    lead = LeadFactory()
    touch(lead, a, -30)
    touch(lead, a, -25)
    touch(lead, b, -20)
    touch(lead, c, -1)
    event_record(type="lead.intake", subject=lead, stage="mql", occurred_at=OPENED - timedelta(days=22))
    won_deal(lead, "1000.00")
    result = by_key(attributed_revenue(model="w_shaped", **MARCH))
    # first 30% + 10%/1 other (the second touch of a); b is the lead-creation touch; c opened the deal
    assert result[a.pk] == (Decimal("400.00"), 1)
    assert result[b.pk] == (Decimal("300.00"), 1)
    assert result[c.pk] == (Decimal("300.00"), 1)


def test_touches_of_a_person_merged_into_the_contact_count(db):
    a = CampaignFactory()
    contact, alias = LeadFactory(), LeadFactory()
    alias.merged_into = contact
    alias.save()
    touch(alias, a, -5)
    won_deal(contact, "100.00")
    assert by_key(attributed_revenue(model="first_touch", **MARCH))[a.pk] == (Decimal("100.00"), 1)


def test_the_selector_takes_a_fixed_number_of_queries_however_many_deals(
    story, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        attributed_revenue(model="u_shaped", **MARCH)
    campaigns = [CampaignFactory() for _ in range(5)]
    for i in range(30):
        lead = LeadFactory()
        for j in range(3):
            touch(lead, campaigns[(i + j) % 5], -j - 1)
        won_deal(lead, "10.00")
    with django_assert_max_num_queries(4):
        result = attributed_revenue(model="u_shaped", **MARCH)
    assert result.deals == 33


def test_an_empty_period_has_no_rows(db):
    result = attributed_revenue(model="linear", start=date(2020, 1, 1), end=date(2020, 1, 31))
    assert result.rows == [] and result.deals == 0
