"""A PATCH that sends null for a campaign field that has no "no value" answers 400, not a 500; null
for a free text clears it."""

from __future__ import annotations

import pytest

from accord.campaigns.models import Campaign
from accord.campaigns.services import campaign_create


@pytest.fixture
def campaign(personas):
    return campaign_create(actor=personas.alice, name="Spring webinar", description="Ten invited speakers")


def test_a_null_description_clears_it(personas, api_client_for, campaign):
    response = api_client_for(personas.root).patch(
        f"/api/v1/campaigns/{campaign.pk}", {"description": None}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    campaign.refresh_from_db()
    assert campaign.description == ""


@pytest.mark.parametrize("field", ["name", "channel", "status", "budget", "currency"])
def test_a_null_for_a_required_field_is_a_400_naming_it(personas, api_client_for, campaign, field):
    response = api_client_for(personas.root).patch(
        f"/api/v1/campaigns/{campaign.pk}", {field: None}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["detail"]
    assert Campaign.objects.get(pk=campaign.pk).name == "Spring webinar"
