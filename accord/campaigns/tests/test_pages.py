"""Campaign pages and the attribution page: what each role sees, adding costs, query counts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from accord.campaigns import attribution
from accord.campaigns.models import CostLine
from accord.campaigns.services import campaign_create, cost_line_add
from accord.campaigns.tests.factories import CampaignFactory, LeadFactory, TouchpointFactory
from accord.deals.models import Deal
from accord.leads.models import Account


def test_the_list_shows_budget_cost_to_date_and_leads_touched(personas, client_for):
    parent = campaign_create(name="Spring", budget="1000", actor=personas.alice)
    child = campaign_create(name="Spring EU", parent=parent, actor=personas.alice)
    cost_line_add(campaign=parent, amount="100.00", incurred_on=date(2020, 1, 1), actor=personas.alice)
    cost_line_add(campaign=child, amount="50.00", incurred_on=date(2020, 1, 2), actor=personas.alice)
    cost_line_add(
        campaign=parent, amount="999.00", incurred_on=date.today() + timedelta(days=30), actor=personas.alice
    )  # not spent yet
    TouchpointFactory(campaign=parent)
    html = client_for(personas.alice).get("/campaigns/").content.decode()
    assert "Spring EU" in html and "1000.00 USD" in html
    assert "150.00 USD" in html  # the parent's cost to date includes its child, not next month's cost


def test_the_list_takes_a_fixed_number_of_queries(personas, client_for, django_assert_max_num_queries):
    client = client_for(personas.alice)
    client.get("/campaigns/")  # warm the session and role caches
    for _ in range(25):
        campaign = CampaignFactory(owner=personas.alice)
        CostLine.objects.create(
            campaign=campaign,
            amount=Decimal("10"),
            period_start=date(2020, 1, 1),
            period_end=date(2020, 1, 10),
        )
        TouchpointFactory(campaign=campaign)
    with django_assert_max_num_queries(8):
        response = client.get("/campaigns/")
    assert response.status_code == 200 and response.content.decode().count("/campaigns/") >= 25


def test_marketing_adds_a_cost_on_the_detail_page(personas, client_for):
    campaign = campaign_create(name="Search", actor=personas.alice)
    client = client_for(personas.alice)
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="cost-form"' in page
    response = client.post(
        f"/campaigns/{campaign.pk}/costs/",
        {"amount": "40.00", "period_start": "2020-02-01", "period_end": "2020-02-04", "note": "Ads"},
    )
    assert response.status_code == 302
    line = CostLine.objects.get()
    assert (line.amount, line.period_start, line.period_end) == (
        Decimal("40.00"),
        date(2020, 2, 1),
        date(2020, 2, 4),
    )
    assert "40.00 USD" in client.get(f"/campaigns/{campaign.pk}/").content.decode()


def test_a_rep_sees_the_campaign_without_the_cost_form_and_only_touches_of_leads_they_may_see(
    personas, client_for
):
    campaign = campaign_create(name="Search", actor=personas.alice)
    TouchpointFactory(campaign=campaign, lead=LeadFactory(email="mine@example.com", owner=personas.bob))
    TouchpointFactory(campaign=campaign, lead=LeadFactory(email="theirs@example.com", owner=personas.charlie))
    client = client_for(personas.bob)
    html = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'id="cost-form"' not in html
    assert "mine@example.com" in html and "theirs@example.com" not in html
    assert (
        client.post(
            f"/campaigns/{campaign.pk}/costs/", {"amount": "1", "period_start": "2020-01-01"}
        ).status_code
        == 403
    )
    assert client.get("/campaigns/new/").status_code == 403


def test_marketing_creates_a_campaign_on_the_new_page(personas, client_for):
    response = client_for(personas.mona).post(
        "/campaigns/new/",
        {
            "name": "Partner push",
            "channel": "partner",
            "status": "active",
            "budget": "500",
            "currency": "usd",
            "utm_campaign": "Partner-Push",
        },
    )
    assert response.status_code == 302
    assert "Partner push" in client_for(personas.mona).get(response["Location"]).content.decode()


def test_the_attribution_page_switches_model_and_shows_the_caveat_next_to_every_figure(
    personas, client_for, django_assert_max_num_queries
):
    campaign = CampaignFactory(name="Newsletter")
    account = Account.objects.create(name="Acme", name_key="acme")
    for i in range(5):
        lead = LeadFactory()
        TouchpointFactory(lead=lead, campaign=campaign, occurred_at=datetime(2026, 2, 1, tzinfo=UTC))
        deal = Deal.objects.create(
            name=f"D{i}",
            account=account,
            contact=lead,
            amount=Decimal("100"),
            stage="won",
            closed_at=datetime(2026, 3, 10, tzinfo=UTC),
        )
        Deal.objects.filter(pk=deal.pk).update(created_at=datetime(2026, 3, 1, tzinfo=UTC))
    client = client_for(personas.eve)
    client.get("/attribution/")
    with django_assert_max_num_queries(9):  # 9 with the top bar's unread count
        html = client.get("/attribution/?model=time_decay&start=2026-03-01&end=2026-03-31").content.decode()
    assert '<option value="time_decay" selected>' in html
    assert "500.00 USD" in html
    assert html.count(attribution.CAVEATS["time_decay"].split(",")[0]) >= 2  # the header and the row
    assert client_for(personas.bob).get("/attribution/").status_code == 403


def test_the_attribution_page_without_a_period_shows_the_current_fiscal_quarter_and_names_it(
    personas, client_for
):
    import time_machine

    from accord.core.models import Organization

    Organization.objects.update_or_create(pk=1, defaults={"fiscal_year_start_month": 10})
    with time_machine.travel(datetime(2026, 12, 6, 5, 24, tzinfo=UTC), tick=False):
        html = client_for(personas.eve).get("/attribution/").content.decode()
    assert 'name="start" value="2026-10-01"' in html and 'name="end" value="2026-12-31"' in html
    assert "in FY2027 Q1 (2026-10-01 to 2026-12-31, the current fiscal quarter)" in html


def test_the_detail_page_takes_a_fixed_number_of_queries(personas, client_for, django_assert_max_num_queries):
    parent = campaign_create(name="Spring", actor=personas.alice)
    for i in range(5):
        campaign_create(name=f"Spring {i}", parent=parent, actor=personas.alice)
        cost_line_add(campaign=parent, amount="10.00", incurred_on=date(2020, 1, i + 1), actor=personas.alice)
    for _ in range(30):
        TouchpointFactory(campaign=parent)
    client = client_for(personas.alice)
    client.get(f"/campaigns/{parent.pk}/")
    with django_assert_max_num_queries(15):  # 15 with the top bar's unread count
        html = client.get(f"/campaigns/{parent.pk}/").content.decode()
    assert len(re.findall(r'href="/leads/\d+/"', html)) == 30 and "50.00 USD" in html


def test_the_campaign_form_has_proper_labels_empty_choices_and_a_currency_list(personas, client_for):
    html = client_for(personas.mona).get("/campaigns/new/").content.decode()
    assert ">UTM campaign:</label>" in html and "Utm campaign" not in html
    assert ">Parent campaign:</label>" in html and "— none: a top-level campaign —" in html
    assert "---------" not in html
    assert '<option value="EUR">EUR · Euro</option>' in html
    assert '<option value="USD" selected>USD · US dollar</option>' in html


def test_a_currency_that_is_not_iso_4217_is_refused_with_a_clear_message(
    personas, client_for, api_client_for
):
    response = client_for(personas.mona).post(
        "/campaigns/new/",
        {"name": "Typo", "channel": "email", "status": "active", "budget": "1", "currency": "USS"},
    )
    assert response.status_code in (200, 422)
    assert "USS is not an ISO 4217 currency code" in response.content.decode()
    api = api_client_for(personas.mona).post(
        "/api/v1/campaigns", {"name": "Typo", "currency": "USS"}, content_type="application/json"
    )
    assert api.status_code == 400
    assert api.json()["message"].startswith("Currency 'USS' is not an ISO 4217 currency code")
    assert api.json()["detail"] == {"currency": "not an ISO 4217 code"}


def test_cost_to_date_and_all_cost_lines_say_in_words_why_they_differ(personas, client_for):
    import time_machine

    with time_machine.travel(datetime(2026, 12, 6, 5, 24, tzinfo=UTC), tick=False):
        campaign = campaign_create(name="Winter", actor=personas.alice)
        cost_line_add(
            campaign=campaign,
            amount="310.00",
            period_start=date(2026, 12, 1),
            period_end=date(2026, 12, 31),
            actor=personas.alice,
        )
        html = client_for(personas.alice).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "60.00 USD" in html  # six of the 31 days are spent
    assert "spent up to today (2026-12-06)" in html
    assert "250.00 USD more than the cost to date because some lines run past today" in html
