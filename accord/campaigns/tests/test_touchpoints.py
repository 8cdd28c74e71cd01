"""Touchpoints: the intake hook links a submission to its campaign by utm_campaign; duplicates are ignored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.campaigns.models import Touchpoint
from accord.campaigns.services import campaign_create
from accord.campaigns.tests.factories import LeadFactory
from accord.campaigns.touchpoint_services import (
    IntakeTouch,
    touchpoint_record,
    touchpoint_record_from_intake,
    touchpoints_record_from_intake_bulk,
)
from accord.core.errors import ApplicationError
from accord.leads.models import Source

AT = datetime(2026, 4, 2, 10, 30, tzinfo=UTC)


@pytest.fixture
def search(personas):
    return campaign_create(
        name="Q2 search", channel="paid_search", utm_campaign="q2-search", actor=personas.alice
    )


def test_the_intake_hook_finds_the_campaign_whatever_the_case(search):
    lead = LeadFactory()
    source = Source.objects.create(name="Website")
    touch = touchpoint_record_from_intake(
        lead=lead,
        activity="demo_request",
        channel="form",
        occurred_at=AT,
        utm={"utm_campaign": " Q2-SEARCH ", "utm_source": "google", "utm_medium": "cpc"},
        source=source,
    )
    assert touch.campaign == search
    assert touch.kind == "form_submission" and touch.channel == "paid_search"
    assert touch.utm_campaign == "Q2-SEARCH" and touch.utm_source == "google" and touch.source == source
    assert touch.activity == "demo_request" and touch.intake_channel == "form"


def test_an_unknown_utm_campaign_still_records_the_touch_with_the_channel_from_utm_medium(search):
    touch = touchpoint_record_from_intake(
        lead=LeadFactory(),
        activity="",
        channel="api",
        occurred_at=AT,
        utm={"utm_campaign": "nobody-knows", "utm_medium": "email"},
        source=None,
    )
    assert touch.campaign is None and touch.channel == "email"


def test_an_activity_that_names_a_kind_sets_it(search):
    touch = touchpoint_record_from_intake(
        lead=LeadFactory(), activity="webinar_attended", channel="import", occurred_at=AT, utm={}, source=None
    )
    assert touch.kind == "webinar_attended"


def test_the_same_touch_twice_is_recorded_once(search):
    lead = LeadFactory()
    first = touchpoint_record(lead=lead, kind="ad_click", occurred_at=AT, campaign=search)
    again = touchpoint_record(lead=lead, kind="ad_click", occurred_at=AT, campaign=search)
    no_campaign = touchpoint_record(lead=lead, kind="ad_click", occurred_at=AT)
    no_campaign_again = touchpoint_record(lead=lead, kind="ad_click", occurred_at=AT)
    assert first.pk == again.pk and no_campaign.pk == no_campaign_again.pk
    assert Touchpoint.objects.count() == 2


def test_a_naive_time_or_unknown_kind_is_refused(search):
    with pytest.raises(ApplicationError, match="aware"):
        touchpoint_record(lead=LeadFactory(), kind="call", occurred_at=datetime(2026, 1, 1))
    with pytest.raises(ApplicationError, match="Unknown touchpoint kind"):
        touchpoint_record(lead=LeadFactory(), kind="telepathy", occurred_at=AT)


def test_the_bulk_hook_links_campaigns_and_skips_repeats(search, django_assert_max_num_queries):
    leads = [LeadFactory() for _ in range(3)]
    items = [
        IntakeTouch(lead.pk, "", "import", AT, {"utm_campaign": "Q2-Search", "utm_medium": "cpc"})
        for lead in leads
    ] + [IntakeTouch(leads[0].pk, "webinar", "import", AT, {"utm_medium": "email"})]
    with django_assert_max_num_queries(2):
        touchpoints_record_from_intake_bulk(items)
    touchpoints_record_from_intake_bulk(items)  # a re-run of the same import adds nothing
    assert Touchpoint.objects.count() == 4
    assert Touchpoint.objects.filter(campaign=search, kind="other", channel="paid_search").count() == 3
    webinar = Touchpoint.objects.get(campaign=None)
    assert (webinar.kind, webinar.channel) == ("webinar_attended", "email")
