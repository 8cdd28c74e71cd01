"""Cost lines: spread evenly per day in whole cents, so any period's cost is exact and periods add up."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.campaigns.models import CostLine
from accord.campaigns.selectors import campaign_cost, campaign_costs, cost_between
from accord.campaigns.services import campaign_create, cost_line_add
from accord.core.errors import ApplicationError
from accord.core.models import Event

JAN1 = date(2026, 1, 1)


def test_a_cost_spread_over_three_days_puts_the_leftover_cent_on_the_first_day():
    amount = Decimal("100.00")
    days = [
        cost_between(
            amount, JAN1, JAN1 + timedelta(days=2), JAN1 + timedelta(days=i), JAN1 + timedelta(days=i)
        )
        for i in range(3)
    ]
    assert days == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_days_outside_the_line_cost_nothing():
    assert cost_between(Decimal("10.00"), JAN1, JAN1, date(2026, 2, 1), date(2026, 2, 28)) == 0


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=-(10**9), max_value=10**9),
    length=st.integers(min_value=1, max_value=400),
    cuts=st.lists(st.integers(min_value=0, max_value=500), max_size=6),
)
def test_the_costs_of_consecutive_periods_add_up_to_the_line_exactly(cents, length, cuts):
    amount = Decimal(cents) / 100
    end = JAN1 + timedelta(days=length - 1)
    bounds = sorted({0, *[c for c in cuts if 0 < c < length], length})
    parts = [
        cost_between(amount, JAN1, end, JAN1 + timedelta(days=lo), JAN1 + timedelta(days=hi - 1))
        for lo, hi in pairwise(bounds)
    ]
    assert sum(parts) == amount
    assert cost_between(amount, JAN1, end, None, None) == amount


@pytest.fixture
def webinar(personas):
    parent = campaign_create(
        name="Spring webinars",
        channel="webinar",
        actor=personas.alice,
        utm_campaign="Spring-Webinars",
        budget="5000",
    )
    child = campaign_create(
        name="Webinar: AI in care",
        channel="webinar",
        actor=personas.alice,
        parent=parent,
        utm_campaign="webinar-ai",
    )
    return parent, child


def test_campaign_cost_counts_a_period_exactly_and_includes_child_campaigns(webinar, personas):
    parent, child = webinar
    cost_line_add(
        campaign=parent,
        amount="310.00",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        actor=personas.alice,
    )
    cost_line_add(campaign=child, amount="99.99", incurred_on=date(2026, 3, 15), actor=personas.alice)
    march_first_half = (date(2026, 3, 1), date(2026, 3, 15))
    assert campaign_cost(parent, *march_first_half) == Decimal("150.00") + Decimal("99.99")
    assert campaign_cost(parent, *march_first_half, include_children=False) == Decimal("150.00")
    assert campaign_cost(parent, date(2026, 3, 16), date(2026, 4, 30)) == Decimal("160.00")
    assert campaign_cost(child, date(2026, 1, 1), date(2026, 12, 31)) == Decimal("99.99")


def test_costs_of_many_campaigns_take_two_queries(webinar, personas, django_assert_num_queries):
    parent, child = webinar
    for day in range(1, 11):
        cost_line_add(campaign=child, amount="10.00", incurred_on=date(2026, 3, day), actor=personas.alice)
    with django_assert_num_queries(2):
        costs = campaign_costs(campaign_ids=[parent.pk, child.pk], end=date(2026, 3, 5))
    assert costs == {parent.pk: Decimal("50.00"), child.pk: Decimal("50.00")}


def test_adding_a_cost_records_an_event(webinar, personas):
    parent, _ = webinar
    line = cost_line_add(
        campaign=parent, amount="12.50", incurred_on=JAN1, note="Slides", actor=personas.alice
    )
    event = Event.objects.get(type="campaign.cost_added")
    assert event.subject_id == parent.pk and event.actor == personas.alice
    assert event.payload["amount"] == "12.50" and event.payload["cost_line"] == line.pk


def test_a_cost_in_another_currency_is_refused(webinar, personas):
    parent, _ = webinar
    with pytest.raises(ApplicationError, match="convert the cost"):
        cost_line_add(campaign=parent, amount="10", currency="EUR", incurred_on=JAN1, actor=personas.alice)
    assert not CostLine.objects.exists()


def test_a_cost_needs_a_day_or_a_period_in_order(webinar, personas):
    parent, _ = webinar
    with pytest.raises(ApplicationError, match="day it was incurred"):
        cost_line_add(campaign=parent, amount="10", actor=personas.alice)
    with pytest.raises(ApplicationError, match="ends before it starts"):
        cost_line_add(
            campaign=parent, amount="10", period_start=date(2026, 2, 2), period_end=JAN1, actor=personas.alice
        )
    with pytest.raises(ApplicationError, match="two decimal places"):
        cost_line_add(campaign=parent, amount="10.001", incurred_on=JAN1, actor=personas.alice)


def test_the_period_summary_gives_cost_and_leads_touched_in_the_period(webinar, personas):
    from datetime import UTC, datetime

    from accord.campaigns.tests.factories import LeadFactory, TouchpointFactory
    from accord.campaigns.touchpoint_selectors import campaign_period_summary

    parent, child = webinar
    cost_line_add(
        campaign=child,
        amount="62.00",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        actor=personas.alice,
    )
    lead = LeadFactory()
    TouchpointFactory(lead=lead, campaign=parent, occurred_at=datetime(2026, 3, 5, tzinfo=UTC))
    TouchpointFactory(
        lead=lead, campaign=parent, occurred_at=datetime(2026, 3, 6, tzinfo=UTC), kind="email_click"
    )
    TouchpointFactory(campaign=parent, occurred_at=datetime(2026, 4, 5, tzinfo=UTC))
    summary = campaign_period_summary(campaign_ids=[parent.pk], start=date(2026, 3, 1), end=date(2026, 3, 10))
    assert summary == {parent.pk: {"cost": Decimal("20.00"), "leads_touched": 1}}
