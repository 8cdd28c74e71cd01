"""Unsubscribe: consent denied with source and time, honoured by may_email, and the public /u/<token> link."""

from __future__ import annotations

import pytest
from django.core import signing
from django.test import Client

from accord.core.models import Event
from accord.intake.tests.test_intake import lead_make
from accord.leads.models import ConsentStatus, Lead
from accord.leads.services import lead_merge
from accord.privacy.selectors import may_email, unsubscribe_headers, unsubscribe_token, unsubscribe_url
from accord.privacy.services import lead_delete, lead_unsubscribe

pytestmark = pytest.mark.django_db


def test_unsubscribing_denies_consent_with_source_and_time_and_records_an_event():
    lead = lead_make("ann@acme.com")
    assert may_email(lead)
    lead_unsubscribe(email="ANN@acme.com", source="reply 'stop'")
    lead.refresh_from_db()
    assert lead.consent == ConsentStatus.DENIED and lead.consent_source == "reply 'stop'" and lead.consent_at
    assert not may_email(lead)
    event = Event.objects.get(type="lead.unsubscribed")
    assert event.subject_id == lead.pk and event.payload["previous_consent"] == "unknown"


def test_unsubscribing_twice_records_one_event():
    lead = lead_make("ann@acme.com")
    lead_unsubscribe(lead=lead, source="link")
    lead_unsubscribe(lead=lead, source="link")
    assert Event.objects.filter(type="lead.unsubscribed").count() == 1


def test_an_unsubscribe_through_a_merged_address_covers_the_kept_lead(personas):
    kept, old = lead_make("ann@acme.com"), lead_make("ann.old@mail.example")
    lead_merge(keep=kept, merge=old, actor=personas.alice)
    lead_unsubscribe(email="ann.old@mail.example", source="link")
    assert not may_email(kept) and not may_email(Lead.objects.get(pk=old.pk))


def test_consent_can_be_required(settings):
    lead = lead_make("ann@acme.com")
    settings.ACCORD_EMAIL_REQUIRES_CONSENT = True
    assert not may_email(lead)
    Lead.objects.filter(pk=lead.pk).update(consent=ConsentStatus.GRANTED)
    assert may_email(lead)


def test_a_lead_in_the_trash_is_not_emailed(personas):
    lead = lead_make("ann@acme.com")
    lead_delete(lead=lead, actor=personas.alice)
    assert not may_email(lead)


def test_the_link_asks_first_and_unsubscribes_on_post_without_signing_in(settings):
    settings.SITE_URL = "https://accord.example.com"
    lead = lead_make("ann@acme.com")
    url = unsubscribe_url(lead)
    assert url.startswith("https://accord.example.com/u/")
    path = url.removeprefix("https://accord.example.com")
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 200 and "Stop receiving" in page.content.decode()
    lead.refresh_from_db()
    assert lead.consent == ConsentStatus.UNKNOWN  # a link scanner's GET changes nothing
    done = client.post(path, {"List-Unsubscribe": "One-Click"})  # RFC 8058 one-click, no CSRF token
    assert done.status_code == 200 and "unsubscribed" in done.content.decode()
    lead.refresh_from_db()
    assert lead.consent == ConsentStatus.DENIED and lead.consent_source == "unsubscribe link"
    assert unsubscribe_headers(lead)["List-Unsubscribe"] == f"<{url}>"


def test_a_forged_or_altered_token_does_nothing():
    lead = lead_make("ann@acme.com")
    token = unsubscribe_token(lead)
    assert Client().get(f"/u/{token[:-2]}xx").status_code == 404
    other = lead_make("bob@beta.io")
    forged = signing.Signer(key="not-the-secret-key", salt="accord.privacy.unsubscribe").sign_object(other.pk)
    assert Client().post(f"/u/{forged}").status_code == 200  # the same answer: nothing disclosed
    other.refresh_from_db()
    assert other.consent == ConsentStatus.UNKNOWN


def test_the_api_records_an_unsubscribe_for_a_visible_lead(personas, api_client_for):
    lead_make("ann@acme.com")
    response = api_client_for(personas.alice).post(
        "/api/v1/privacy/unsubscribe",
        data={"email": "ann@acme.com", "source": "phone call"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["consent"] == "denied" and response.json()["consent_source"] == "phone call"
