"""Outcomes of a delivery: the tracked click link, replies and meetings, each recorded once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from accord.campaigns.communication_selectors import click_url
from accord.campaigns.communication_services import (
    VariantSpec,
    communication_create,
    communication_send,
    delivery_outcome_record,
)
from accord.campaigns.models import Delivery, Outcome, Touchpoint, TouchpointKind
from accord.campaigns.tests.factories import CampaignFactory, LeadFactory
from accord.core.errors import ApplicationError
from accord.core.models import Event


@pytest.fixture
def delivery(personas, smtp_server):
    campaign = CampaignFactory(owner=personas.alice)
    email = communication_create(
        campaign=campaign, actor=personas.alice, name="Guide", body="Read https://example.com/guide",
        variants=[VariantSpec(subject="The guide"), VariantSpec(subject="Your guide")],
    )  # fmt: skip
    lead = LeadFactory(owner=personas.bob)
    communication_send(communication=email, actor=personas.alice, lead_ids=[lead.pk])
    return Delivery.objects.get(lead=lead)


def test_the_tracked_link_records_one_click_and_sends_the_person_on(delivery, smtp_server, settings):
    [mail] = smtp_server.to(delivery.lead.email)
    path = re.search(rf"{re.escape(settings.SITE_URL)}(/c/\S+)", mail.body).group(1)
    client = Client()
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "https://example.com/guide"
    delivery.refresh_from_db()
    assert delivery.clicked_at is not None and delivery.opened_at == delivery.clicked_at
    assert Event.objects.filter(type="communication.clicked", subject_id=delivery.lead_id).count() == 1
    assert Touchpoint.objects.filter(lead=delivery.lead, kind=TouchpointKind.EMAIL_CLICK).count() == 1


def test_a_forged_or_altered_link_is_not_found(delivery):
    good = click_url(delivery_id=delivery.pk, url="https://example.com/guide")
    token = good.rsplit("/", 1)[1]
    assert Client().get(f"/c/{token}x").status_code == 404
    assert Client().get("/c/eyJkIjoxLCJ1IjoiaHR0cHM6Ly9ldmlsLmV4YW1wbGUifQ:forged").status_code == 404


def test_a_signed_link_never_redirects_outside_the_web(delivery):
    path = click_url(delivery_id=delivery.pk, url="javascript:alert(1)").split("127.0.0.1:8000", 1)[-1]
    assert Client().get(path).status_code == 404


def test_an_outcome_recorded_twice_keeps_the_first_moment_and_one_event(delivery, personas):
    first_at = delivery.sent_at + timedelta(days=1)
    _, recorded = delivery_outcome_record(
        delivery=delivery, outcome=Outcome.REPLIED, actor=personas.bob, occurred_at=first_at
    )
    again, recorded_again = delivery_outcome_record(
        delivery=delivery,
        outcome=Outcome.REPLIED,
        actor=personas.bob,
        occurred_at=first_at + timedelta(hours=3),
    )
    assert (recorded, recorded_again) == (True, False)
    assert again.replied_at == first_at
    assert Event.objects.filter(type="communication.replied").count() == 1


def test_an_outcome_cannot_come_before_the_send_or_be_unknown(delivery):
    with pytest.raises(ApplicationError):
        delivery_outcome_record(
            delivery=delivery, outcome=Outcome.REPLIED, occurred_at=delivery.sent_at - timedelta(seconds=1)
        )
    with pytest.raises(ApplicationError):
        delivery_outcome_record(delivery=delivery, outcome="converted")


def test_a_rep_records_a_meeting_for_their_own_lead_in_the_api_once(delivery, personas, api_client_for):
    api = api_client_for(personas.bob)
    url = f"/api/v1/communications/{delivery.communication_id}/outcomes"
    body = {"lead_id": delivery.lead_id, "outcome": "meeting_booked"}
    first = api.post(url, body, content_type="application/json")
    second = api.post(url, body, content_type="application/json")
    assert first.status_code == second.status_code == 200
    assert (first.json()["recorded"], second.json()["recorded"]) == (True, False)
    assert first.json()["meeting_booked_at"] == second.json()["meeting_booked_at"]


def test_an_outsider_gets_404_and_a_teammate_403_for_a_lead_that_is_not_theirs(
    delivery, personas, api_client_for
):
    url = f"/api/v1/communications/{delivery.communication_id}/outcomes"
    body = {"lead_id": delivery.lead_id, "outcome": "replied"}
    assert (
        api_client_for(personas.charlie).post(url, body, content_type="application/json").status_code == 404
    )
    # carol sees her teammate's lead (so it is not hidden from her) but may not act on it
    assert api_client_for(personas.carol).post(url, body, content_type="application/json").status_code == 403
    delivery.refresh_from_db()
    assert delivery.replied_at is None


def test_a_rep_records_a_reply_on_the_page(delivery, personas, client_for):
    client = client_for(personas.bob)
    page = client.get(f"/communications/{delivery.communication_id}/").content.decode()
    assert 'id="your-leads"' in page and delivery.lead.email in page
    response = client.post(
        f"/communications/{delivery.communication_id}/outcomes/",
        {"lead_id": delivery.lead_id, "outcome": "replied"},
    )
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.replied_at is not None
