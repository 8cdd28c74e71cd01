"""Correcting a campaign and its cost lines: marketing only, old and new values kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accord.audit.models import ChangeRecord
from accord.campaigns.services import cost_line_add, cost_line_update
from accord.campaigns.tests.factories import CampaignFactory
from accord.core.errors import AccessDenied, ApplicationError
from accord.core.models import Event


@pytest.fixture
def line(personas):
    campaign = CampaignFactory(name="Spring", owner=personas.alice, currency="USD")
    return cost_line_add(
        campaign=campaign, amount="300", actor=personas.alice, incurred_on=date(2026, 3, 1), note="Ads"
    )


def test_correcting_a_cost_keeps_old_and_new_values_in_the_audit_trail_and_the_history(line, personas):
    cost_line_update(cost_line=line, actor=personas.alice, amount="450.50", period_end=date(2026, 3, 10))
    line.refresh_from_db()
    assert (line.amount, line.period_end) == (Decimal("450.50"), date(2026, 3, 10))
    record = ChangeRecord.objects.filter(
        object_type="campaigns.costline", object_id=line.pk, action="update"
    ).get()
    assert record.changes["amount"] == ["300.00", "450.50"]
    assert record.changes["period_end"] == ["2026-03-01", "2026-03-10"]
    event = Event.objects.get(type="campaign.cost_changed")
    assert (
        event.payload["changes"]["amount"] == ["300.00", "450.50"] and event.payload["cost_line"] == line.pk
    )


def test_a_cost_correction_is_checked_and_refused_to_those_who_only_read(line, personas):
    with pytest.raises(AccessDenied, match="marketing and admins"):
        cost_line_update(cost_line=line, actor=personas.sam, amount="1")
    with pytest.raises(ApplicationError, match="ends before it starts"):
        cost_line_update(cost_line=line, actor=personas.alice, period_end=date(2026, 2, 1))
    with pytest.raises(ApplicationError, match="zero"):
        cost_line_update(cost_line=line, actor=personas.alice, amount="0")
    with pytest.raises(ApplicationError, match="currency"):
        cost_line_update(cost_line=line, actor=personas.alice, currency="EUR")
    cost_line_update(cost_line=line, actor=personas.alice, note="Ads")  # unchanged: nothing recorded
    assert not Event.objects.filter(type="campaign.cost_changed").exists()


def test_the_cost_page_saves_and_shows_the_history(line, personas, client_for):
    client = client_for(personas.alice)
    url = f"/campaigns/{line.campaign_id}/costs/{line.pk}/edit/"
    response = client.post(
        url, {"amount": "320", "period_start": "2026-03-01", "period_end": "", "note": "Ads, fixed"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Amount 300.00 → 320.00" in page and "Note Ads → Ads, fixed" in page
    assert client_for(personas.bob).get(url).status_code == 403
    assert f'href="{url}"' in client.get(f"/campaigns/{line.campaign_id}/").content.decode()


def test_the_campaign_page_edits_only_what_changed(line, personas, client_for):
    campaign = line.campaign
    client = client_for(personas.mona)
    form = client.get(f"/campaigns/{campaign.pk}/edit/")
    assert form.status_code == 200 and 'value="Spring"' in form.content.decode()
    data = {
        "name": "Spring launch", "channel": campaign.channel, "status": "active", "owner": str(personas.alice.pk),
        "parent": "", "start_date": "", "end_date": "", "budget": "5000", "currency": "USD",
        "utm_campaign": "", "description": "",
    }  # fmt: skip
    assert client.post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status, campaign.budget) == (
        "Spring launch",
        "active",
        Decimal("5000.00"),
    )
    changes = Event.objects.get(type="campaign.updated").payload["changes"]
    assert changes["name"] == ["Spring", "Spring launch"] and "currency" not in changes
    assert client_for(personas.eve).post(f"/campaigns/{campaign.pk}/edit/", data).status_code == 403


def test_the_api_corrects_a_cost(line, personas, api_client_for):
    url = f"/api/v1/campaigns/{line.campaign_id}/costs/{line.pk}"
    response = api_client_for(personas.alice).patch(url, {"amount": "310"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["amount"] == "310.00"
    assert (
        api_client_for(personas.bob).patch(url, {"amount": "1"}, content_type="application/json").status_code
        == 403
    )
    other = CampaignFactory(name="Other")
    wrong = f"/api/v1/campaigns/{other.pk}/costs/{line.pk}"
    assert (
        api_client_for(personas.alice)
        .patch(wrong, {"amount": "1"}, content_type="application/json")
        .status_code
        == 404
    )
