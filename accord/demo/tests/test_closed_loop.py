"""The fresh demo closes the loop: every dashboard shows revenue, cost per qualified lead, attribution
and conversion facts that are not zero, and the working day has tasks, breaches and escalations."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.db.models import F

from accord.campaigns.models import Campaign
from accord.deals.models import Deal, DealStage
from accord.demo.services import demo_build
from accord.notifications.models import Notification
from accord.people.models import Team, User
from accord.reporting.lifecycle import customer_value_by
from accord.reporting.selectors import dashboard_build, period_from, team_conversion_facts
from accord.sla.models import FollowUp, SlaClock
from accord.sla.selectors import MIN_SAMPLE

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """One demo for the module (it takes a while), built at a pinned moment; emptied afterwards."""
    from django.core.management import call_command
    from django.test import override_settings

    with override_settings(DATA_DIR=tmp_path_factory.mktemp("demo")), django_db_blocker.unblock():
        with time_machine.travel(NOW, tick=False):
            demo_build(seed=7, leads=600, now=NOW)
        yield
        call_command("flush", "--no-input", verbosity=0)


def row(table, label):
    return next(r for r in table.rows if r[0] == label)


@pytest.fixture
def period():
    with time_machine.travel(NOW, tick=False):
        yield period_from({})


def test_the_marketing_dashboard_shows_what_qualified_leads_cost_and_convert(demo, period):
    board = dashboard_build("marketing", period=period)
    activity = board.table("activity")
    assert row(activity, "Marketing cost")[1] > 0
    assert row(activity, "Cost per MQL")[1] > 0 and row(activity, "Cost per SQL")[1] > 0
    assert row(activity, "MQLs")[1] > 0
    by_campaign = board.table("by_campaign")
    assert len([r for r in by_campaign.rows if r[2] > 0]) >= 4  # MQLs from each campaign
    assert all(r[1] > 0 for r in board.table("by_source").rows)  # inquiries from every source


def test_the_sales_dashboard_shows_the_whole_funnel_acceptance_and_sla(demo, period):
    board = dashboard_build("sales", period=period)
    funnel = {r[0]: r[1] for r in board.table("funnel").rows}
    assert all(
        funnel[stage] > 0
        for stage in ("Inquiries", "MQLs", "SALs", "SQLs", "Opportunities", "Won (customers)")
    )
    assert all(r[1] > 0 for r in board.table("acceptance").rows)
    sla = board.table("sla")
    on_time, breached = row(sla, "All teams")[1:3]
    assert on_time > 0 and breached > 0


def test_the_executive_dashboard_shows_attributed_revenue_and_cost_per_qualified_lead(demo, period):
    board = dashboard_build("executive", period=period)
    revenue = board.table("revenue")
    campaigns_with_revenue = [r for r in revenue.rows if r[2] > 0 and r[0] != "(no campaign touch)"]
    assert len(campaigns_with_revenue) >= 2
    assert sum(r[2] for r in revenue.rows) > 0
    assert board.extra["cost_per_sql"] > 0
    assert sum(r[4] for r in board.table("trends").rows) > 0  # won deals across the 12 months
    assert board.extra["sla_percent"] is not None


def test_customer_value_and_deals_span_the_year(demo):
    rows = customer_value_by("campaign")
    assert rows and all(r.revenue > 0 for r in rows[:3])
    won = Deal.objects.filter(stage=DealStage.WON)
    months = {d.closed_at.strftime("%Y-%m") for d in won}
    assert len(months) >= 6 and Deal.objects.filter(stage=DealStage.LOST).exists()
    assert sum((d.amount for d in won), Decimal("0")) > 0
    assert Campaign.objects.filter(cost_lines__isnull=False).distinct().count() >= 4


def test_each_team_has_conversion_facts_to_learn_from(demo):
    with time_machine.travel(NOW, tick=False):
        for team in Team.objects.all():
            facts = team_conversion_facts(team)
            assert facts.fast.n >= MIN_SAMPLE and facts.slow.n >= MIN_SAMPLE, team
            assert facts.fast.hits > 0 and all(step.n > 0 for step in facts.steps)


def test_the_working_day_has_tasks_breaches_escalations_and_notifications(demo):
    assert SlaClock.objects.filter(breached_at__isnull=False, escalated_level=1).exists()
    assert SlaClock.objects.filter(met_at__lte=F("due_at")).exists()
    noah = User.objects.get(username="noah")
    assert FollowUp.objects.filter(assignee=noah, done_at__isnull=True).count() >= 2
    for kind in ("sla_breach", "sla_escalation", "task_due"):
        assert Notification.objects.filter(kind=kind).exists(), kind
