"""The deals API: convert a lead, list and read with record-level access, win and lose."""

from __future__ import annotations

import pytest

from accord.campaigns.tests.factories import LeadFactory
from accord.deals.models import Deal
from accord.deals.services import lead_convert
from accord.leads.models import Stage


@pytest.fixture
def bobs_deal(personas):
    lead = LeadFactory(stage=Stage.SQL, owner=personas.bob, company="Acme")
    return lead_convert(lead=lead, user=personas.bob, amount="1000")


def test_a_rep_converts_their_accepted_lead(personas, api_client_for):
    lead = LeadFactory(stage=Stage.SAL, owner=personas.bob, company="Acme")
    response = api_client_for(personas.bob).post(
        f"/api/v1/leads/{lead.pk}/convert",
        {"amount": "2500.00", "expected_close": "2026-12-31"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == "qualification" and body["owner"] == "bob" and body["account"]["name"] == "Acme"
    assert body["expected_close"] == "2026-12-31"


def test_converting_a_lead_that_is_not_accepted_is_a_clear_conflict(personas, api_client_for):
    lead = LeadFactory(stage=Stage.MQL, owner=personas.bob)
    response = api_client_for(personas.bob).post(
        f"/api/v1/leads/{lead.pk}/convert", {"amount": "1"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert "SAL or SQL" in response.json()["message"] and response.json()["detail"] == {"stage": "mql"}


def test_a_rep_sees_only_their_own_deals(bobs_deal, personas, api_client_for):
    assert [d["id"] for d in api_client_for(personas.bob).get("/api/v1/deals").json()["results"]] == [
        bobs_deal.pk
    ]
    for outsider in (personas.carol, personas.charlie, personas.fiona):
        client = api_client_for(outsider)
        assert client.get("/api/v1/deals").json()["count"] == 0
        assert client.get(f"/api/v1/deals/{bobs_deal.pk}").status_code == 404
        assert (
            client.post(f"/api/v1/deals/{bobs_deal.pk}/win", {}, content_type="application/json").status_code
            == 404
        )


def test_managers_see_their_teams_deals_and_heads_executives_and_marketing_read_all(
    bobs_deal, personas, api_client_for
):
    for reader in (personas.mike, personas.sam, personas.eve, personas.alice, personas.mona, personas.root):
        assert api_client_for(reader).get(f"/api/v1/deals/{bobs_deal.pk}").status_code == 200


def test_readers_who_do_not_work_deals_cannot_win_them(bobs_deal, personas, api_client_for):
    for reader in (personas.eve, personas.alice):
        response = api_client_for(reader).post(
            f"/api/v1/deals/{bobs_deal.pk}/win", {}, content_type="application/json"
        )
        assert response.status_code == 403


def test_the_owner_wins_a_deal(bobs_deal, personas, api_client_for):
    response = api_client_for(personas.bob).post(
        f"/api/v1/deals/{bobs_deal.pk}/win", {"reason": "Fit"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["stage"] == "won"
    assert response.json()["closed_at"]


def test_the_manager_loses_a_deal_with_a_reason(bobs_deal, personas, api_client_for):
    client = api_client_for(personas.mike)
    missing = client.post(
        f"/api/v1/deals/{bobs_deal.pk}/lose", {"reason": ""}, content_type="application/json"
    )
    assert missing.status_code == 400 and missing.json()["detail"] == {"reason": "is required"}
    response = client.post(
        f"/api/v1/deals/{bobs_deal.pk}/lose", {"reason": "Budget cut"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["lost_reason"] == "Budget cut"
    assert Deal.objects.get().stage == "lost"


def test_a_customer_is_made_an_advocate_by_hand(bobs_deal, personas, api_client_for):
    api_client_for(personas.bob).post(
        f"/api/v1/deals/{bobs_deal.pk}/win", {}, content_type="application/json"
    )
    response = api_client_for(personas.mona).post(
        f"/api/v1/leads/{bobs_deal.contact_id}/customer-stage",
        {"stage": "advocate", "reason": "Reference call"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["stage"] == "advocate"
