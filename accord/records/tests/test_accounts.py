"""Account pages: detail with people, deals, revenue, campaigns and timeline; merge; parent account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accord.campaigns.models import Campaign, Touchpoint
from accord.core.models import Event
from accord.deals.models import Deal, DealStage
from accord.leads.models import Account, AccountDomain, Lead, Stage
from accord.records.tests.factories import account_make, deal_make, person_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(personas):
    account = account_make("Acme Health", owner=personas.bob, industry="Healthcare")
    vera = person_make(
        "vera@acme.com", first_name="Vera", owner=personas.bob, account=account, stage=Stage.CUSTOMER
    )
    person_make("tom@acme.com", first_name="Tom", owner=personas.bob, account=account)
    deal_make(
        "Acme renewal",
        account=account,
        contact=vera,
        owner=personas.bob,
        amount=Decimal("5000"),
        stage=DealStage.WON,
        closed_at=timezone.now(),
    )
    deal_make("Acme upsell", account=account, contact=vera, owner=personas.bob, amount=Decimal("800"))
    campaign = Campaign.objects.create(name="Spring webinar")
    Touchpoint.objects.create(lead=vera, campaign=campaign, occurred_at=timezone.now() - dt.timedelta(days=1))
    return account


def test_the_account_page_shows_people_deals_revenue_campaigns_and_stage(personas, acme, client):
    client.force_login(personas.bob)
    response = client.get(reverse("records:account", args=[acme.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    detail = response.context["d"]
    assert {p.email for p in detail.people} == {"vera@acme.com", "tom@acme.com"}
    assert [d.name for d in detail.deals] == ["Acme upsell", "Acme renewal"]
    assert detail.revenue == [("USD", Decimal("5000.00"))]
    assert detail.pipeline == [("USD", Decimal("800.00"))]
    assert detail.stage == Stage.CUSTOMER and "Customer" in html
    assert "Spring webinar" in html


def test_an_account_one_may_not_see_is_not_found(personas, acme, client):
    client.force_login(personas.charlie)
    assert client.get(reverse("records:account", args=[acme.pk])).status_code == 404


def test_a_teammate_sees_the_account_but_not_the_reps_deals(personas, acme, client):
    client.force_login(personas.carol)
    response = client.get(reverse("records:account", args=[acme.pk]))
    assert response.status_code == 200
    assert response.context["d"].deals == [] and response.context["d"].revenue == []


def test_merging_moves_people_deals_and_domains_and_removes_the_duplicate(personas, acme, client):
    dup = account_make("ACME Health Inc", website="acme.com")
    AccountDomain.objects.create(account=dup, domain="acme.com")
    lead = person_make("ann@acme.com", account=dup, owner=personas.bob)
    deal_make("Acme pilot", account=dup, contact=lead, owner=personas.bob)
    client.force_login(personas.alice)
    response = client.post(reverse("records:account_merge", args=[acme.pk]), {"merge": dup.pk})
    assert response.status_code == 302
    assert not Account.objects.filter(pk=dup.pk).exists()
    assert Lead.objects.get(pk=lead.pk).account_id == acme.pk
    assert Deal.objects.filter(account=acme).count() == 3
    assert AccountDomain.objects.get(domain="acme.com").account_id == acme.pk
    acme.refresh_from_db()
    assert acme.website == "acme.com"
    event = Event.objects.get(type="account.merged")
    assert event.payload["merged_name"] == "ACME Health Inc"


def test_a_rep_may_not_merge_an_account_outside_their_team(personas, acme, client):
    other = account_make("Globex", owner=personas.charlie)
    person_make("g@globex.com", account=other, owner=personas.bob)  # bob sees it through his lead
    client.force_login(personas.bob)
    response = client.post(reverse("records:account_merge", args=[other.pk]), {"merge": acme.pk})
    assert response.status_code == 403
    assert Account.objects.filter(pk=acme.pk).exists()


def test_a_parent_account_is_set_and_a_loop_refused(personas, acme, client):
    group = account_make("Acme Group")
    client.force_login(personas.alice)
    client.post(reverse("records:account_parent", args=[acme.pk]), {"parent": group.pk})
    acme.refresh_from_db()
    assert acme.parent_id == group.pk
    response = client.post(
        reverse("records:account_parent", args=[group.pk]), {"parent": acme.pk}, follow=True
    )
    assert "a company cannot be its own parent" in response.content.decode()
    group.refresh_from_db()
    assert group.parent_id is None
    page = client.get(reverse("records:account", args=[group.pk]))
    assert [c.name for c in page.context["d"].children] == ["Acme Health"]
