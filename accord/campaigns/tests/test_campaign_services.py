"""Creating and changing campaigns: unique utm keys in any case, no parent cycles, events."""

from __future__ import annotations

from datetime import date

import pytest

from accord.campaigns.models import Campaign
from accord.campaigns.services import campaign_create, campaign_update
from accord.core.errors import ApplicationError, Conflict
from accord.core.models import Event


def test_creating_a_campaign_stores_the_utm_key_lower_cased_and_records_an_event(personas):
    campaign = campaign_create(
        name=" Q2 Search ",
        channel="paid_search",
        utm_campaign=" Q2-Search ",
        budget="1200.50",
        actor=personas.alice,
    )
    assert campaign.name == "Q2 Search" and campaign.utm_campaign == "q2-search"
    assert campaign.owner == personas.alice
    event = Event.objects.get(type="campaign.created")
    assert event.subject_id == campaign.pk and event.payload["budget"] == "1200.50"


def test_a_utm_key_already_used_in_another_case_is_refused(personas):
    campaign_create(name="A", utm_campaign="spring", actor=personas.alice)
    with pytest.raises(Conflict, match="already uses utm_campaign"):
        campaign_create(name="B", utm_campaign="SPRING", actor=personas.alice)


def test_campaigns_without_a_utm_key_may_coexist(personas):
    campaign_create(name="A", actor=personas.alice)
    campaign_create(name="B", actor=personas.alice)
    assert Campaign.objects.filter(utm_campaign="").count() == 2


def test_a_campaign_cannot_become_its_own_ancestor(personas):
    top = campaign_create(name="Top", actor=personas.alice)
    middle = campaign_create(name="Middle", parent=top, actor=personas.alice)
    bottom = campaign_create(name="Bottom", parent=middle, actor=personas.alice)
    with pytest.raises(Conflict, match="one of its children"):
        campaign_update(campaign=top, parent=bottom, actor=personas.alice)
    with pytest.raises(Conflict):
        campaign_update(campaign=top, parent=top, actor=personas.alice)
    top.refresh_from_db()
    assert top.parent_id is None


def test_a_child_must_use_its_parents_currency(personas):
    top = campaign_create(name="Top", currency="EUR", actor=personas.alice)
    with pytest.raises(ApplicationError, match="parent's currency"):
        campaign_create(name="Child", parent=top, currency="USD", actor=personas.alice)


def test_end_before_start_is_refused(personas):
    with pytest.raises(ApplicationError):
        campaign_create(
            name="Backwards", start_date=date(2026, 5, 1), end_date=date(2026, 4, 1), actor=personas.alice
        )


def test_an_update_records_before_and_after(personas):
    campaign = campaign_create(name="Old", actor=personas.alice)
    campaign_update(campaign=campaign, name="New", status="active", actor=personas.mona)
    event = Event.objects.get(type="campaign.updated")
    assert event.payload["changes"] == {"name": ["Old", "New"], "status": ["planned", "active"]}
    assert event.actor == personas.mona


def test_an_update_of_unknown_fields_is_refused(personas):
    campaign = campaign_create(name="Old", actor=personas.alice)
    with pytest.raises(ApplicationError, match="cannot be changed"):
        campaign_update(campaign=campaign, id=99, actor=personas.alice)
