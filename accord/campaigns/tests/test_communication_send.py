"""Sending a communication: real SMTP delivery of each person's variant with an unsubscribe link,
a deterministic split, privacy checked per person at send time, and the touch and event it leaves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accord.campaigns.assignment import variant_for
from accord.campaigns.communication_services import (
    VariantSpec,
    communication_create,
    communication_schedule,
    communication_send,
    communication_send_scheduled,
)
from accord.campaigns.models import (
    CommunicationKind,
    CommunicationStatus,
    Delivery,
    Touchpoint,
    TouchpointKind,
)
from accord.campaigns.tests.factories import CampaignFactory, LeadFactory
from accord.core.models import Event
from accord.leads.models import ConsentStatus
from accord.notifications.models import CopyScope
from accord.notifications.services import copy_request_create
from accord.privacy.services import lead_unsubscribe


@pytest.fixture
def email(personas):
    campaign = CampaignFactory(name="Spring webinar", owner=personas.alice)
    return communication_create(
        campaign=campaign,
        actor=personas.alice,
        name="Invitation",
        body="Hello {first_name}, join us: https://example.com/webinar?x=1.",
        variants=[VariantSpec(subject="Join our webinar"), VariantSpec(subject="Last seats for {company}")],
    )


def test_each_person_receives_their_variants_subject_with_an_unsubscribe_link(email, smtp_server, settings):
    leads = [LeadFactory(company="Acme", first_name=f"Ann{i}") for i in range(6)]
    result = communication_send(communication=email, actor=None, lead_ids=[lead.pk for lead in leads])
    assert result.sent == 6 and result.skipped == 0
    for lead in leads:
        [mail] = smtp_server.to(lead.email)
        key = Delivery.objects.get(lead=lead).variant.key
        assert key == variant_for(communication_id=email.pk, lead_id=lead.pk, weights=[("A", 1), ("B", 1)])
        assert mail.subject == {"A": "Join our webinar", "B": "Last seats for Acme"}[key]
        assert f"Hello {lead.first_name}" in mail.body
        assert re.search(rf"{re.escape(settings.SITE_URL)}/u/\S+", mail.body)
        assert str(mail.message["List-Unsubscribe"]).strip().startswith(f"<{settings.SITE_URL}/u/")
        assert "https://example.com/webinar" not in mail.body  # the link is tracked
        assert re.search(rf"{re.escape(settings.SITE_URL)}/c/[^\s.]+\.\s", mail.body)  # full stop kept
    email.refresh_from_db()
    assert email.status == CommunicationStatus.SENT and email.first_sent_at is not None


def test_the_split_is_deterministic_and_every_variant_gets_people(email, smtp_server):
    leads = [LeadFactory() for _ in range(40)]
    communication_send(communication=email, actor=None, lead_ids=[lead.pk for lead in leads])
    got = dict(Delivery.objects.values_list("lead_id", "variant__key"))
    expected = {
        lead.pk: variant_for(communication_id=email.pk, lead_id=lead.pk, weights=[("A", 1), ("B", 1)])
        for lead in leads
    }
    assert got == expected
    assert 8 <= list(got.values()).count("A") <= 32  # both variants are used


def test_unsubscribed_and_unconsented_people_are_skipped_and_counted(email, smtp_server, settings):
    settings.ACCORD_EMAIL_REQUIRES_CONSENT = True
    granted = LeadFactory(consent=ConsentStatus.GRANTED)
    unknown = LeadFactory()
    refused = LeadFactory(consent=ConsentStatus.GRANTED)
    lead_unsubscribe(lead=refused, source="test")
    nameless = LeadFactory(email="", email_key="")
    result = communication_send(
        communication=email, actor=None, lead_ids=[granted.pk, unknown.pk, refused.pk, nameless.pk]
    )
    assert (result.sent, result.skipped_no_consent, result.skipped_unsubscribed, result.skipped_no_email) == (
        1,
        1,
        1,
        1,
    )
    assert [m.rcpt_tos for m in smtp_server.messages] == [[granted.email]]
    assert "1 unsubscribed" in result.summary() and "1 no email consent" in result.summary()
    run = Event.objects.get(type="communication.send_run", subject_id=email.pk)
    assert run.payload["skipped_unsubscribed"] == 1


def test_an_unsubscribe_through_the_emailed_link_is_honoured_by_the_next_send(
    personas, email, smtp_server, settings
):
    stays, leaves = LeadFactory(), LeadFactory()
    communication_send(communication=email, actor=None, lead_ids=[stays.pk, leaves.pk])
    [mail] = smtp_server.to(leaves.email)
    link = re.search(rf"{re.escape(settings.SITE_URL)}(/u/\S+)", mail.body).group(1)
    assert Client().post(link).status_code == 200

    follow_up = communication_create(
        campaign=email.campaign, actor=personas.alice, name="Reminder", subject="Tomorrow", body="See you."
    )
    result = communication_send(communication=follow_up, actor=None, lead_ids=[stays.pk, leaves.pk])
    assert (result.sent, result.skipped_unsubscribed) == (1, 1)
    assert len(smtp_server.to(leaves.email)) == 1 and len(smtp_server.to(stays.email)) == 2


def test_a_person_gets_a_communication_once(email, smtp_server):
    lead = LeadFactory()
    communication_send(communication=email, actor=None, lead_ids=[lead.pk])
    again = communication_send(communication=email, actor=None, lead_ids=[lead.pk])
    assert (again.sent, again.already_sent) == (0, 1)
    assert len(smtp_server.to(lead.email)) == 1


def test_a_send_leaves_a_touch_on_the_campaign_and_an_event_in_the_timeline(email, smtp_server):
    lead = LeadFactory()
    at = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
    communication_send(communication=email, actor=None, lead_ids=[lead.pk], at=at)
    touch = Touchpoint.objects.get(lead=lead)
    assert (touch.campaign, touch.kind, touch.occurred_at) == (email.campaign, TouchpointKind.EMAIL_SENT, at)
    event = Event.objects.get(type="communication.sent", subject_type="lead", subject_id=lead.pk)
    assert event.payload["communication"] == email.pk and event.payload["variant"] in ("A", "B")


def test_the_audience_is_the_people_touched_by_the_campaign(email, smtp_server):
    touched, other = LeadFactory(), LeadFactory()
    Touchpoint.objects.create(
        lead=touched,
        campaign=email.campaign,
        kind=TouchpointKind.FORM_SUBMISSION,
        occurred_at=datetime.now(UTC),
    )
    result = communication_send(communication=email, actor=None)
    assert result.sent == 1 and smtp_server.to(touched.email) and not smtp_server.to(other.email)


def test_a_rep_who_asked_for_copies_gets_one_without_the_unsubscribe_link(personas, email, smtp_server):
    lead = LeadFactory(owner=personas.bob)
    copy_request_create(user=personas.bob, scope=CopyScope.ALL_MY_ACCOUNTS)
    communication_send(communication=email, actor=None, lead_ids=[lead.pk])
    [copy] = smtp_server.to(personas.bob.email)
    assert copy.subject.startswith("[Copy] ") and "/u/" not in copy.body and lead.email in copy.body


def test_other_kinds_are_recorded_without_an_email(personas, smtp_server):
    campaign = CampaignFactory()
    ad = communication_create(
        campaign=campaign, actor=personas.alice, name="Banner", kind=CommunicationKind.AD,
        variants=[VariantSpec(body="Blue"), VariantSpec(body="Green")],
    )  # fmt: skip
    result = communication_send(communication=ad, actor=None, lead_ids=[LeadFactory().pk])
    assert result.sent == 1 and smtp_server.messages == []


def test_the_lead_timeline_tells_what_was_sent(personas, email, smtp_server, client_for):
    lead = LeadFactory()
    communication_send(communication=email, actor=personas.alice, lead_ids=[lead.pk])
    page = client_for(personas.alice).get(f"/leads/{lead.pk}/").content.decode()
    assert "Was sent &#x27;Invitation&#x27; (variant" in page


def test_a_scheduled_send_goes_out_at_its_time_and_once(
    personas, email, smtp_server, run_due_tasks, django_capture_on_commit_callbacks
):
    lead = LeadFactory()
    start = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        Touchpoint.objects.create(
            lead=lead, campaign=email.campaign, kind=TouchpointKind.FORM_SUBMISSION, occurred_at=start
        )
        with django_capture_on_commit_callbacks(execute=True):
            communication_schedule(communication=email, actor=personas.alice, at=start + timedelta(hours=2))
        run_due_tasks()
        assert smtp_server.messages == []
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        run_due_tasks()
        assert communication_send_scheduled(communication_id=email.pk) is None  # a second run does nothing
    assert len(smtp_server.to(lead.email)) == 1
    email.refresh_from_db()
    assert email.status == CommunicationStatus.SENT


def test_a_carriage_return_in_a_company_name_does_not_stop_the_email(personas, smtp_server):
    invitation = communication_create(
        campaign=CampaignFactory(name="Autumn webinar", owner=personas.alice),
        actor=personas.alice,
        name="Invitation",
        body="Hello {first_name}",
        variants=[VariantSpec(subject="Last seats for {company}")],
    )
    lead = LeadFactory(company="Acme\rBcc: x@evil.example", first_name="Ann")
    result = communication_send(communication=invitation, actor=None, lead_ids=[lead.pk])
    assert result.sent == 1
    [mail] = smtp_server.to(lead.email)
    assert mail.rcpt_tos == [lead.email]
    assert mail.subject == "Last seats for Acme Bcc: x@evil.example"


def test_the_lead_timeline_tells_the_rep_what_is_in_it_for_sales(personas, email, smtp_server, client_for):
    email.campaign.benefit_for_sales = "Attendees arrive with a use case."
    email.campaign.save()
    lead = LeadFactory(owner=personas.bob)
    communication_send(communication=email, actor=personas.alice, lead_ids=[lead.pk])
    page = client_for(personas.bob).get(f"/leads/{lead.pk}/").content.decode()
    assert "What&#x27;s in it for sales: Attendees arrive with a use case." in page
