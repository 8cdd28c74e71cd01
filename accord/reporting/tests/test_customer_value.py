"""Customer value by source, campaign and rep equals a computation straight from the raw rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from statistics import median

import pytest
import time_machine
from django.utils import timezone

from accord.campaigns.models import Campaign, Touchpoint
from accord.campaigns.services import campaign_create
from accord.core.models import Channel
from accord.deals.models import Deal
from accord.deals.services import deal_win, lead_convert
from accord.intake.services import lead_intake
from accord.leads.models import Lead, Source
from accord.leads.services import lead_stage_set
from accord.reporting.lifecycle import customer_value_by

pytestmark = pytest.mark.django_db


def won_customer(email, *, source, owner, utm, amount, closed_after_days):
    start = timezone.now() - timedelta(days=60)
    with time_machine.travel(start, tick=False):
        data = {"email": email, "company": email.split("@")[1], "utm_campaign": utm}
        lead = lead_intake(data=data, channel=Channel.FORM, source=source).lead
        Lead.objects.filter(pk=lead.pk).update(owner=owner)
        lead.refresh_from_db()
        lead_stage_set(lead=lead, stage="sal", actor=owner)
        deal = lead_convert(lead=lead, user=owner, amount=amount)
    with time_machine.travel(start + timedelta(days=closed_after_days), tick=False):
        deal_win(deal=deal, user=owner)
    return lead


def independent(dimension):
    """Plain Python over Lead, Deal and Touchpoint rows, not through the lifecycle module."""
    out = {}
    for lead in Lead.objects.filter(stage__in=["customer", "loyal", "advocate"], merged_into__isnull=True):
        if dimension == "source":
            key = lead.source.name if lead.source else "(none)"
        elif dimension == "rep":
            key = lead.owner.username if lead.owner else "(none)"
        else:
            touches = sorted(
                Touchpoint.objects.filter(lead=lead, campaign__isnull=False),
                key=lambda t: (t.occurred_at, t.id),
            )
            key = touches[0].campaign.name if touches else "(none)"
        wins = [d for d in Deal.objects.filter(contact=lead) if d.stage == "won"]
        row = out.setdefault(key, {"customers": 0, "revenue": Decimal("0"), "days": []})
        row["customers"] += 1
        row["revenue"] += sum((d.amount for d in wins), Decimal("0"))
        if wins:
            row["days"].append((min(d.closed_at for d in wins) - lead.created_at).total_seconds() / 86400)
    return out


def test_customer_value_matches_the_raw_rows_for_every_grouping(personas):
    webinar = Source.objects.create(name="Webinar", kind="form")
    site = Source.objects.create(name="Website", kind="form")
    campaign_create(name="Spring webinar", actor=personas.alice, utm_campaign="spring")
    campaign_create(name="Search ads", actor=personas.alice, utm_campaign="search")
    won_customer(
        "a@one.com", source=webinar, owner=personas.bob, utm="spring", amount="1000", closed_after_days=10
    )
    won_customer(
        "b@two.com", source=webinar, owner=personas.carol, utm="spring", amount="2500", closed_after_days=30
    )
    won_customer(
        "c@three.com", source=site, owner=personas.bob, utm="search", amount="400", closed_after_days=20
    )
    lead_intake(data={"email": "prospect@four.com"}, channel=Channel.FORM, source=site)  # not a customer
    assert Campaign.objects.count() == 2

    for dimension in ("source", "campaign", "rep"):
        expected = independent(dimension)
        rows = customer_value_by(dimension)
        assert {r.key for r in rows} == set(expected), dimension
        for row in rows:
            want = expected[row.key]
            assert row.customers == want["customers"]
            assert row.revenue == want["revenue"]
            assert row.median_days_to_close == pytest.approx(median(want["days"]), abs=0.05)
    by_source = {r.key: r for r in customer_value_by("source")}
    assert by_source["Webinar"].revenue == Decimal("3500.00")
    assert by_source["Webinar"].median_days_to_close == pytest.approx(20, abs=0.05)


def test_the_page_and_its_csv_are_for_dashboard_roles_only(
    personas, client_for, django_assert_max_num_queries
):
    client = client_for(personas.alice)
    with django_assert_max_num_queries(12):
        assert client.get("/dashboards/customers/?by=campaign").status_code == 200
    assert client.get("/dashboards/customers/?by=rep&format=csv")["Content-Type"].startswith("text/csv")
    assert client_for(personas.bob).get("/dashboards/customers/").status_code == 403
