"""The campaign and attribution API: marketing manages campaigns and costs, reps do not read attribution."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from accord.campaigns.models import Campaign, CostLine
from accord.campaigns.services import campaign_create, cost_line_add


def test_marketing_creates_a_campaign_with_a_parent(personas, api_client_for):
    client = api_client_for(personas.alice)
    parent = client.post(
        "/api/v1/campaigns",
        {"name": "Spring", "channel": "webinar", "utm_campaign": "Spring"},
        content_type="application/json",
    )
    assert parent.status_code == 201, parent.content
    child = client.post(
        "/api/v1/campaigns",
        {"name": "Spring EU", "parent": parent.json()["id"], "budget": "250.00"},
        content_type="application/json",
    )
    assert child.status_code == 201
    body = child.json()
    assert (
        body["parent"] == parent.json()["id"] and body["owner"] == "alice" and Decimal(body["budget"]) == 250
    )


def test_a_repeat_with_the_same_idempotency_key_creates_one_campaign(personas, api_client_for):
    client = api_client_for(personas.mona)
    for _ in range(2):
        response = client.post(
            "/api/v1/campaigns", {"name": "Once"}, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
        )
        assert response.status_code == 201
    assert Campaign.objects.filter(name="Once").count() == 1


def test_a_rep_may_read_campaigns_but_not_create_them(personas, api_client_for):
    client = api_client_for(personas.bob)
    refused = client.post("/api/v1/campaigns", {"name": "Mine"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["message"]
    assert client.get("/api/v1/campaigns").status_code == 200


def test_a_taken_utm_key_is_a_conflict(personas, api_client_for):
    campaign_create(name="A", utm_campaign="x", actor=personas.alice)
    response = api_client_for(personas.alice).post(
        "/api/v1/campaigns", {"name": "B", "utm_campaign": "X"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["detail"] == {"utm_campaign": "taken"}


def test_adding_a_cost_and_reading_totals(personas, api_client_for):
    campaign = campaign_create(name="Search", actor=personas.alice)
    client = api_client_for(personas.alice)
    response = client.post(
        f"/api/v1/campaigns/{campaign.pk}/costs",
        {"amount": "300.00", "period_start": "2020-01-01", "period_end": "2020-01-30"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    detail = client.get(f"/api/v1/campaigns/{campaign.pk}").json()
    assert Decimal(detail["cost_to_date"]) == 300 and Decimal(detail["cost_total"]) == 300
    assert len(detail["cost_lines"]) == 1 and detail["cost_lines"][0]["period_end"] == "2020-01-30"
    listed = client.get("/api/v1/campaigns").json()
    assert [Decimal(c["cost_to_date"]) for c in listed] == [Decimal("300.00")]


@pytest.mark.parametrize("amount", [1e308, "1e309", "-1e100"])
def test_an_amount_too_large_for_any_column_is_refused_naming_it(personas, api_client_for, amount):
    client = api_client_for(personas.alice)
    created = client.post(
        "/api/v1/campaigns", {"name": "Huge", "budget": amount}, content_type="application/json"
    )
    assert created.status_code == 400, created.content
    assert created.json()["detail"] == {"budget": "too large"}
    assert not Campaign.objects.exists()
    campaign = campaign_create(name="Search", actor=personas.alice)
    cost = client.post(
        f"/api/v1/campaigns/{campaign.pk}/costs",
        {"amount": amount, "incurred_on": "2026-01-01"},
        content_type="application/json",
    )
    assert cost.status_code == 400, cost.content
    assert cost.json()["detail"] == {"amount": "too large"}
    assert not CostLine.objects.exists()


def test_a_rep_cannot_add_costs(personas, api_client_for):
    campaign = campaign_create(name="Search", actor=personas.alice)
    response = api_client_for(personas.bob).post(
        f"/api/v1/campaigns/{campaign.pk}/costs",
        {"amount": "1", "incurred_on": "2026-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not CostLine.objects.exists()


def test_a_missing_campaign_is_404(personas, api_client_for):
    assert api_client_for(personas.alice).get("/api/v1/campaigns/999999").status_code == 404


def test_patching_a_campaign_into_a_cycle_is_a_conflict(personas, api_client_for):
    top = campaign_create(name="Top", actor=personas.alice)
    child = campaign_create(name="Child", parent=top, actor=personas.alice)
    response = api_client_for(personas.alice).patch(
        f"/api/v1/campaigns/{top.pk}", {"parent": child.pk}, content_type="application/json"
    )
    assert response.status_code == 409


def test_attribution_states_its_model_and_caveat_and_reps_may_not_read_it(personas, api_client_for):
    cost_line_add(
        campaign=campaign_create(name="S", actor=personas.alice),
        amount=1,
        incurred_on=date(2026, 1, 1),
        actor=personas.alice,
    )
    url = "/api/v1/attribution?model=u_shaped&start=2026-01-01&end=2026-03-31"
    response = api_client_for(personas.eve).get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "u_shaped" and body["caveat"].startswith("U-shaped") and body["rows"] == []
    assert api_client_for(personas.bob).get(url).status_code == 403
    bad = api_client_for(personas.eve).get("/api/v1/attribution?model=magic&start=2026-01-01&end=2026-03-31")
    assert bad.status_code == 422 and "first_touch" in bad.json()["message"]


def test_attribution_without_a_period_answers_for_the_current_fiscal_quarter_and_says_which(
    personas, api_client_for
):
    import time_machine

    from accord.core.models import Organization

    Organization.objects.update_or_create(pk=1, defaults={"fiscal_year_start_month": 2})
    client = api_client_for(personas.eve)
    with time_machine.travel(datetime(2026, 5, 20, 10, 0, tzinfo=UTC), tick=False):
        response = client.get("/api/v1/attribution")
        explicit = client.get("/api/v1/attribution?start=2026-05-01&end=2026-07-31")
    assert response.status_code == 200, response.content
    body = response.json()
    # A year starting in February: May to July is the second quarter of the year ending January 2027.
    assert (body["start"], body["end"], body["period"]) == ("2026-05-01", "2026-07-31", "FY2027 Q2")
    assert explicit.json()["period"] == "2026-05-01 – 2026-07-31"
    assert {**explicit.json(), "period": "FY2027 Q2"} == body
    half = client.get("/api/v1/attribution?start=2026-05-01")
    assert half.status_code == 422 and "end is missing" in half.json()["message"]


def test_the_openapi_document_lists_the_campaign_deal_and_attribution_operations(personas, api_client_for):
    paths = api_client_for(personas.alice).get("/api/v1/openapi.json").json()["paths"]
    for expected in (
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}/costs",
        "/api/v1/attribution",
        "/api/v1/deals",
        "/api/v1/leads/{lead_id}/convert",
        "/api/v1/deals/{deal_id}/win",
        "/api/v1/deals/{deal_id}/lose",
    ):
        assert expected in paths
