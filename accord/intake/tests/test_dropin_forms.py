"""Forms as companies already run them: a full Salesforce web-to-lead form and a full HubSpot form
(Forms API JSON and the form-encoded legacy post), re-pointed at /f/<key> unchanged.

The fixtures (tests/fixtures/) are written from the vendors' published documentation of those forms,
with every standard field filled. Each is accepted whole: every field is on the lead, kept as a
custom field under its own name, put on the campaign touch, or named on the lead's intake event.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
import time_machine

from accord.campaigns.models import Campaign, Touchpoint
from accord.core.events import events_for
from accord.leads.models import CustomFieldLabel, Lead, Source, SourceKind
from accord.leads.normalize import resolve_field
from accord.leads.services import source_create

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
# Read by the endpoint itself (the redirect, HubSpot's page context), not by the lead.
ENDPOINT_FIELDS = {"retURL", "hs_context"}


def form_pairs(name: str) -> list[tuple[str, str]]:
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("=", 1)) for line in lines if line and not line.startswith("#")]  # type: ignore[misc]


@pytest.fixture
def source(db) -> Source:
    source = source_create(name="Website", kind=SourceKind.FORM)
    source.allowed_redirect_hosts = "www.acme-site.com"
    source.save()
    return source


def post_form(client, source: Source, pairs: list[tuple[str, str]]):
    return client.post(
        f"/f/{source.public_key}", data=urlencode(pairs), content_type="application/x-www-form-urlencoded"
    )


def assert_nothing_lost(pairs: list[tuple[str, str]], lead: Lead) -> None:
    """Every posted field is on the lead, in its custom fields, or named on its intake event."""
    (event,) = [e for e in events_for(lead) if e.type == "lead.intake"]
    ignored = set(event.payload.get("ignored_fields", []))
    notes = " ".join(event.payload.get("notes", []))
    values: dict[str, str] = {}
    for name, value in pairs:
        values[name] = f"{values[name]};{value}" if name in values else value
    for name, value in values.items():
        target = resolve_field(name)
        if name in ENDPOINT_FIELDS:
            continue
        if target is None:
            assert name in ignored and name in notes, name
        elif target.startswith("custom."):
            assert lead.custom[target[7:]] == value, name
        elif target in ("campaign_ref", "member_status", "email_opt_out", "consent"):
            continue  # checked by each test: the touch's campaign and status, the consent
        else:
            assert getattr(lead, target) not in ("", None), name


def test_a_full_salesforce_web_to_lead_form_is_accepted_whole(source, client):
    campaign = Campaign.objects.create(name="Clinic webinar", external_id="7015e000000AbCdEFG")
    CustomFieldLabel.objects.create(key="00N5e00000ABCDE", label="Buying timeframe")
    pairs = form_pairs("salesforce_web_to_lead.txt")

    response = post_form(client, source, pairs)

    assert response.status_code == 303
    assert response["Location"] == "https://www.acme-site.com/thank-you"
    lead = Lead.objects.get()
    assert (lead.phone, lead.mobile, lead.fax) == ("+46 8 123 456 78", "+46 70 123 45 67", "+46 8 123 456 79")
    assert (lead.salutation, lead.street, lead.postal_code, lead.rating) == (
        "Ms.",
        "Sveavägen 44",
        "111 34",
        "Warm",
    )
    assert (lead.annual_revenue, lead.company_size, lead.website) == (
        Decimal("45000000.00"),
        450,
        "https://www.nordcare.example",
    )
    assert lead.custom["00N5e00000ABCDE"] == "Two weeks"
    assert lead.custom["00N5e00000FGHIJKLM"] == "Epic;Cerner"
    # emailOptOut=1: the person opted out.
    assert lead.consent == "denied"
    touch = Touchpoint.objects.get(lead=lead)
    assert (touch.campaign, touch.member_status) == (campaign, "Registered")
    assert_nothing_lost(pairs, lead)


def test_the_lead_page_shows_a_custom_field_under_the_label_an_admin_gave_it(source, client, personas):
    CustomFieldLabel.objects.create(key="00N5e00000ABCDE", label="Buying timeframe")
    post_form(client, source, form_pairs("salesforce_web_to_lead.txt"))
    lead = Lead.objects.get()
    client.force_login(personas.alice)
    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert "Buying timeframe" in page and "Two weeks" in page
    assert "00N5e00000FGHIJKLM" in page  # no label given: its own name
    assert "Not kept" not in page
    assert "Form settings read and not stored: captcha_settings, oid, debug, debugEmail, recordType" in page


def test_not_having_opted_out_is_not_consent(source, client):
    pairs = [(n, "0" if n == "emailOptOut" else v) for n, v in form_pairs("salesforce_web_to_lead.txt")]
    post_form(client, source, pairs)
    assert Lead.objects.get().consent == "unknown"


def test_a_campaign_id_that_names_no_campaign_is_said_on_the_lead(source, client):
    post_form(client, source, form_pairs("salesforce_web_to_lead.txt"))
    lead = Lead.objects.get()
    assert Touchpoint.objects.get(lead=lead).campaign is None
    (event,) = events_for(lead)
    assert any(
        "7015e000000AbCdEFG" in note and "matches no campaign" in note for note in event.payload["notes"]
    )


def test_a_campaign_id_may_be_the_campaigns_own_id_or_utm_key(source, client):
    campaign = Campaign.objects.create(name="Spring pilot", utm_campaign="spring-pilot")
    post_form(client, source, [("email", "a@nordcare.example"), ("Campaign_ID", str(campaign.pk))])
    post_form(client, source, [("email", "b@nordcare.example"), ("Campaign_ID", "Spring-Pilot")])
    statuses = list(Touchpoint.objects.filter(campaign=campaign).values_list("member_status", flat=True))
    assert statuses == ["Responded", "Responded"]  # Salesforce's default member status


def test_a_retURL_to_another_host_is_not_followed(source, client):
    pairs = [
        (n, "https://evil.example/x" if n == "retURL" else v)
        for n, v in form_pairs("salesforce_web_to_lead.txt")
    ]
    response = post_form(client, source, pairs)
    assert response.status_code == 200 and b"Thank you" in response.content


def test_a_bad_optional_value_is_dropped_with_a_note_and_the_lead_kept(source, client):
    response = post_form(
        client, source, [("email", "c@nordcare.example"), ("employees", "lots"), ("revenue", "big")]
    )
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.company_size is None and lead.annual_revenue is None
    (event,) = events_for(lead)
    assert any("company_size" in n and "'lots'" in n for n in event.payload["notes"])
    assert any("annual_revenue" in n and "'big'" in n for n in event.payload["notes"])


def test_a_bad_email_still_refuses_the_form(source, client):
    response = post_form(client, source, [("email", "not-an-address"), ("employees", "lots")])
    assert response.status_code == 422
    assert not Lead.objects.exists()


@time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), tick=False)
def test_a_full_hubspot_forms_api_submission_is_accepted_whole(source, client):
    campaign = Campaign.objects.create(name="Spring pilot", utm_campaign="spring-pilot")
    body = json.loads((FIXTURES / "hubspot_forms_v3.json").read_text(encoding="utf-8"))

    response = client.post(f"/f/{source.public_key}", data=json.dumps(body), content_type="application/json")

    assert response.status_code == 200, response.content
    lead = Lead.objects.get()
    assert (lead.phone, lead.mobile) == ("+1 617 555 0142", "+1 617 555 0199")
    assert (lead.street, lead.postal_code, lead.company_size) == ("200 Clarendon St", "02116", 1000)
    assert lead.custom["lifecyclestage"] == "lead"
    assert lead.custom["systems_in_use"] == "Epic;athenahealth"
    assert lead.custom["company_hs_ideal_customer_profile"] == "tier_1"
    assert (lead.custom["page_uri"], lead.custom["page_name"]) == (
        "https://www.acme-site.com/pilot",
        "Pilot programme",
    )
    # Explicit consent: granted, with its words and the moment HubSpot says it was given.
    assert lead.consent == "granted"
    assert "store and process my personal data" in lead.consent_text
    assert "receive marketing communications" in lead.consent_text
    assert lead.consent_at == datetime.fromtimestamp(1780045200, tz=UTC)
    assert Touchpoint.objects.get(lead=lead).campaign == campaign
    (event,) = events_for(lead)
    assert {"hutk", "ipAddress", "submittedAt"} <= set(event.payload["ignored_fields"])
    flat = [(f["name"], f["value"]) for f in body["fields"] if f["objectTypeId"] == "0-1"]
    assert_nothing_lost(flat, lead)


def test_hubspot_consent_not_ticked_is_not_consent(source, client):
    body = json.loads((FIXTURES / "hubspot_forms_v3.json").read_text(encoding="utf-8"))
    body["legalConsentOptions"]["consent"]["consentToProcess"] = False
    body["legalConsentOptions"]["consent"]["communications"][0]["value"] = False
    client.post(f"/f/{source.public_key}", data=json.dumps(body), content_type="application/json")
    lead = Lead.objects.get()
    assert (lead.consent, lead.consent_text) == ("unknown", "")
    assert lead.custom["hubspot_consent"].startswith("not given")


def test_a_full_form_encoded_hubspot_post_is_accepted_whole(source, client):
    pairs = form_pairs("hubspot_forms_v2.txt")

    response = post_form(client, source, pairs)

    assert response.status_code == 303
    assert response["Location"] == "https://www.acme-site.com/fr/merci"
    lead = Lead.objects.get()
    assert (lead.first_name, lead.phone, lead.mobile) == ("Inès", "+33 4 93 00 00 01", "+33 6 12 34 56 78")
    assert (lead.company_size, lead.annual_revenue) == (201, Decimal("12500000.00"))
    assert lead.custom["page_uri"] == "https://www.acme-site.com/fr/demo"
    assert lead.custom["favorite_channel"] == "Phone"
    assert lead.consent == "unknown"  # hs_email_optout=false: not opted out, and not consent either
    (event,) = events_for(lead)
    assert {"hutk", "ipAddress"} <= set(event.payload["ignored_fields"])
    assert_nothing_lost(pairs, lead)


def test_an_imported_row_with_a_campaign_id_joins_that_campaign_with_its_member_status(
    db, tmp_path, settings
):
    from accord.intake.importing.engine import leads_import

    settings.MEDIA_ROOT = tmp_path
    campaign = Campaign.objects.create(name="Clinic webinar", external_id="7015e000000AbCdEFG")
    path = tmp_path / "leads.csv"
    path.write_text(
        "Email,Campaign_ID,member_status\n"
        "a@nordcare.example,7015e000000AbCdEFG,Attended\n"
        "b@nordcare.example,7015e000000AbCdEFG,\n"
        "c@nordcare.example,no-such-campaign,Sent\n"
    )
    summary = leads_import(path=path, source=None)
    assert summary["created"] == 3
    statuses = dict(Touchpoint.objects.filter(campaign=campaign).values_list("lead__email", "member_status"))
    assert statuses == {"a@nordcare.example": "Attended", "b@nordcare.example": "Responded"}
    assert Touchpoint.objects.get(lead__email="c@nordcare.example").campaign is None
