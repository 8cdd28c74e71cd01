"""POST /f/<key>: HTML forms, JSON, HubSpot and Salesforce field names, honeypot, redirects, errors, races."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.test import Client

from accord.core.events import events_for
from accord.intake.tests.test_intake import criteria_make
from accord.leads.models import Lead, PossibleDuplicate, Source, SourceKind
from accord.leads.services import source_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def criteria(personas):
    return criteria_make(personas.mona, personas.sam)


@pytest.fixture
def source(db) -> Source:
    source = source_create(name="Website demo form", kind=SourceKind.FORM)
    source.allowed_redirect_hosts = "www.acme-site.com"
    source.save()
    return source


def url(source: Source) -> str:
    return f"/f/{source.public_key}"


def test_a_form_post_creates_the_lead_and_thanks_the_visitor(criteria, source, client):
    response = client.post(
        url(source),
        {
            "email": "vera@acme.com",
            "first_name": "Vera",
            "title": "VP Care",
            "company_size": "450",
            "activity": "demo_request",
        },
    )
    assert response.status_code == 200
    assert b"Thank you" in response.content
    lead = Lead.objects.get()
    assert (lead.first_name, lead.title, lead.company_size, lead.source) == ("Vera", "VP Care", 450, source)
    (event,) = events_for(lead)
    assert (event.channel, event.payload["source"], event.payload["activity"]) == (
        "form",
        source.name,
        "demo_request",
    )
    assert lead.score == 90


def test_a_json_post_answers_json(criteria, source, client):
    response = client.post(
        url(source),
        data=json.dumps({"email": "vera@acme.com", "lastname": "Park"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert Lead.objects.get().last_name == "Park"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_it_understands_hubspot_form_bodies(criteria, source, client):
    body = {
        "fields": [
            {"name": "email", "value": "vera@acme.com"},
            {"name": "firstname", "value": "Vera"},
            {"name": "jobtitle", "value": "VP Care"},
            {"name": "numemployees", "value": "201-500"},
            {"name": "favourite_product", "value": "A"},
            {"name": "favourite_product", "value": "B"},
        ],
        "context": {"pageUri": "https://www.acme-site.com/demo", "hutk": "abc"},
        "legalConsentOptions": {"consent": {"consentToProcess": True}},
    }
    response = client.post(url(source), data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    lead = Lead.objects.get()
    assert (lead.first_name, lead.title, lead.company_size, lead.consent) == (
        "Vera",
        "VP Care",
        201,
        "granted",
    )
    assert lead.custom["favourite_product"] == "A;B"


SALESFORCE = {
    "oid": "00D000000000062",
    "retURL": "https://www.acme-site.com/thanks",
    "first_name": "Vera",
    "last_name": "Park",
    "email": "vera@acme.com",
    "company": "Acme Health",
    "title": "VP Care",
    "phone": "+1 (555) 010-0200",
    "city": "Boston",
    "state": "MA",
    "country": "United States",
    "lead_source": "Web",
}


def test_it_understands_salesforce_web_to_lead_fields_and_redirects_to_returl(criteria, source, client):
    response = client.post(url(source), SALESFORCE)
    assert response.status_code == 303
    assert response["Location"] == "https://www.acme-site.com/thanks"
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.company, lead.title) == (
        "Vera",
        "Park",
        "Acme Health",
        "VP Care",
    )
    assert (lead.phone_key, lead.city, lead.state, lead.country) == (
        "+15550100200",
        "Boston",
        "MA",
        "United States",
    )
    assert lead.lead_source == "Web"
    assert "oid" not in lead.custom and "retURL" not in lead.custom


def test_returl_to_a_host_not_allowed_does_not_redirect(criteria, source, client):
    response = client.post(url(source), {**SALESFORCE, "retURL": "https://evil.example.net/phish"})
    assert response.status_code == 200
    assert b"Thank you" in response.content
    assert Lead.objects.count() == 1


def test_returl_with_another_scheme_does_not_redirect(criteria, source, client):
    response = client.post(
        url(source), {**SALESFORCE, "retURL": "javascript://www.acme-site.com/%0aalert(1)"}
    )
    assert response.status_code == 200


def test_the_source_success_url_is_used_without_returl(criteria, source, client):
    source.success_url = "https://www.acme-site.com/welcome"
    source.save()
    response = client.post(url(source), {"email": "vera@acme.com"})
    assert (response.status_code, response["Location"]) == (303, "https://www.acme-site.com/welcome")


def test_a_filled_honeypot_drops_the_lead_but_answers_success(criteria, source, client):
    response = client.post(url(source), {"email": "bot@spam.com", source.honeypot_field: "http://spam"})
    assert response.status_code == 200
    assert b"Thank you" in response.content
    json_response = client.post(
        url(source),
        data=json.dumps({"email": "bot@spam.com", "website_url": "x"}),
        content_type="application/json",
    )
    assert json_response.json()["ok"] is True
    assert Lead.objects.count() == 0


def test_an_unknown_or_disabled_key_is_404(source, client):
    assert client.post("/f/src_nope", {"email": "vera@acme.com"}).status_code == 404
    source.is_active = False
    source.save()
    response = client.post(url(source), {"email": "vera@acme.com"})
    assert response.status_code == 404
    assert "form key" in response.json()["message"]
    assert Lead.objects.count() == 0


def test_a_key_with_a_nul_byte_is_404_not_a_server_error(source, client):
    response = client.post(f"/f/{source.public_key}%00", {"email": "vera@acme.com"})
    assert response.status_code == 404
    assert "form key" in response.json()["message"]
    assert Lead.objects.count() == 0


def test_a_bad_email_is_422_with_a_message(criteria, source, client):
    page = client.post(url(source), {"email": "vera at acme"})
    assert page.status_code == 422
    assert b"not a valid email address" in page.content
    as_json = client.post(url(source), data=json.dumps({"email": ""}), content_type="application/json")
    assert as_json.status_code == 422
    assert as_json.json()["detail"] == {"email": "is required"}
    assert Lead.objects.count() == 0


def test_json_sent_as_text_plain_is_read_as_json(criteria, source, client):
    """Browser scripts post JSON as text/plain so that no CORS preflight is needed."""
    body = json.dumps({"email": "vera@acme.com", "lastname": "Park"})
    response = client.post(url(source), data=body, content_type="text/plain; charset=utf-8")
    assert response.status_code == 200 and response.json()["ok"] is True
    assert Lead.objects.get().last_name == "Park"


def test_a_text_plain_body_that_is_not_json_is_a_400_saying_what_to_send(source, client):
    response = client.post(url(source), data="email=vera@acme.com", content_type="text/plain")
    assert response.status_code == 400
    assert "application/x-www-form-urlencoded" in response.json()["message"]
    assert not Lead.objects.exists()


def test_invalid_json_is_a_400(source, client):
    response = client.post(url(source), data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["message"]


def test_a_json_object_or_lone_surrogate_in_a_field_is_a_422_naming_it(source, client):
    for body, field in (
        ('{"email": "vera@acme.com", "first_name": {"a": 1}}', "first_name"),
        ('{"email": "vera@acme.com", "firstname": "Vera\\ud800"}', "firstname"),
    ):
        response = client.post(url(source), data=body, content_type="application/json")
        assert response.status_code == 422, response.content
        assert field in response.json()["detail"]
    assert Lead.objects.count() == 0


def test_field_names_with_nul_bytes_are_ignored_and_the_lead_kept(source, client):
    body = '{"email": "vera@acme.com", "\\u0000": "x", "a\\u0000b": "y", "\\ud800": "z"}'
    response = client.post(url(source), data=body, content_type="application/json")
    assert response.status_code == 200, response.content
    (event,) = events_for(Lead.objects.get())
    assert event.payload["ignored_fields"] == ["", "ab", "\ufffd"]


def test_get_is_refused_and_options_answers_cors(source, client):
    assert client.get(url(source)).status_code == 405
    preflight = client.options(url(source))
    assert preflight.status_code == 204
    assert "POST" in preflight["Access-Control-Allow-Methods"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_for_one_email_make_one_lead(settings):
    from accord.people.models import Role
    from accord.people.tests.factories import user_with_roles

    mona = user_with_roles("mona", Role.MARKETING_HEAD)
    sam = user_with_roles("sam", Role.SALES_HEAD)
    criteria_make(mona, sam)
    source = source_create(name="Race form")
    statuses: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def submit(n: int) -> None:
        try:
            start.wait()
            response = Client().post(url(source), {"email": "race@acme.com", "title": f"VP {n}"})
            statuses.append(response.status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert statuses == [200] * 6
    assert Lead.objects.filter(email_key="race@acme.com").count() == 1
    lead = Lead.objects.get(email_key="race@acme.com")
    assert events_for(lead).filter(type="lead.intake").count() == 6


def test_the_same_lead_through_api_html_form_and_salesforce_form_is_qualified_the_same(
    personas, criteria, source, client, api_client_for
):
    """Three equivalent people at one company (different emails, same everything else), one per door.

    Each ends up on the same account, with the same score, stage and explanation: the channel does not
    change the verdict (the criteria here have no channel-specific rules).
    """
    person = {
        "first_name": "Vera",
        "last_name": "Park",
        "company": "Acme Health",
        "title": "VP Care",
        "phone": "",
        "city": "Boston",
        "state": "MA",
        "country": "United States",
    }
    api = api_client_for(personas.alice).post(
        "/api/v1/leads",
        data=json.dumps(
            {
                **person,
                "email": "vera.api@acmehealth.com",
                "company_size": 450,
                "industry": "Healthcare",
                "activity": "demo_request",
            }
        ),
        content_type="application/json",
    )
    assert api.status_code == 201, api.content
    html = client.post(
        url(source),
        {
            **person,
            "email": "vera.form@acmehealth.com",
            "company_size": "450",
            "industry": "Healthcare",
            "activity": "demo_request",
        },
    )
    assert html.status_code == 200
    salesforce = client.post(
        url(source),
        {
            "oid": "00D000000000062",
            "retURL": "https://www.acme-site.com/thanks",
            "first_name": "Vera",
            "last_name": "Park",
            "email": "vera.sf@acmehealth.com",
            "company": "Acme Health",
            "title": "VP Care",
            "city": "Boston",
            "state": "MA",
            "country": "United States",
            "employees": "450",
            "industry": "Healthcare",
            "activity": "demo_request",
            "lead_source": "Web",
        },
    )
    assert salesforce.status_code == 303
    leads = {lead.email: lead for lead in Lead.objects.all()}
    api_lead, form_lead, sf_lead = (leads[f"vera.{k}@acmehealth.com"] for k in ("api", "form", "sf"))
    verdicts = {
        (
            lead.account_id,
            lead.score,
            lead.fit_score,
            lead.engagement_score,
            lead.stage,
            lead.explanation,
            lead.criteria_version_id,
        )
        for lead in (api_lead, form_lead, sf_lead)
    }
    assert len(verdicts) == 1, verdicts
    assert api_lead.account is not None and api_lead.account.name == "Acme Health"
    assert api_lead.stage == "mql"
    assert api_lead.score == 100
    # The three same-named colleagues at one account are offered as possible duplicates.
    assert PossibleDuplicate.objects.count() == 3


DEEP = b'{"email": "vera@acme.com", "x": ' + b"[" * 1000 + b"]" * 1000 + b"}"


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_body_nested_a_thousand_deep_is_a_400_json_not_a_500(source, content_type):
    response = Client(raise_request_exception=False).post(url(source), DEEP, content_type=content_type)
    assert response.status_code == 400
    assert "levels deep" in response.json()["message"]
    assert not Lead.objects.exists()


def test_a_number_with_thousands_of_digits_is_a_400_asking_for_a_string(source, client):
    body = b'{"email": "vera@acme.com", "company_size": 1' + b"0" * 5000 + b"}"
    response = client.post(url(source), body, content_type="application/json")
    assert response.status_code == 400
    assert "as a string" in response.json()["message"]


def test_a_broken_multipart_body_is_a_400_json(source):
    response = Client(raise_request_exception=False).post(
        url(source) + "?format=json",
        b"--x\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--x--",
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code < 500
    response = Client(raise_request_exception=False).post(
        url(source) + "?format=json", b"garbage", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "cannot be read" in response.json()["message"]


def test_the_public_body_limit_caps_a_sources_own_larger_limit(source, client, settings):
    settings.ACCORD_PUBLIC_MAX_BODY_BYTES = 2048
    source.max_body_bytes = 10_000_000
    source.save()
    body = json.dumps({"email": "vera@acme.com", "message": "m" * 3000})
    response = client.post(url(source), body, content_type="application/json")
    assert response.status_code == 413
    assert "at most 2048" in response.json()["message"]
    assert not Lead.objects.exists()
