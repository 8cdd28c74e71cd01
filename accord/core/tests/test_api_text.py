"""Text no database stores (a NUL byte, an unpaired UTF-16 surrogate) is a 422 naming the field, on every
API operation, body and query string alike; PostgreSQL refused it with a 500 before."""

from __future__ import annotations

import pytest

from accord.campaigns.models import Campaign
from accord.qualification.models import CriteriaSet
from accord.qualification.tests.factories import DEFAULT_RULES


@pytest.mark.parametrize("name", ["Spring\x00", "Spring\ud800"])
def test_a_campaign_name_it_cannot_store_is_a_422_naming_it(personas, api_client_for, name):
    response = api_client_for(personas.alice).post(
        "/api/v1/campaigns", {"name": name}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert list(response.json()["detail"]) == ["name"]
    assert "name" in response.json()["message"]
    assert not Campaign.objects.exists()


def test_a_nested_field_is_named_by_its_path(personas, api_client_for):
    client = api_client_for(personas.mona)
    draft = client.post("/api/v1/criteria", {"name": "Draft"}, content_type="application/json").json()
    rules = [dict(DEFAULT_RULES[0], label="Senior\x00title"), *DEFAULT_RULES[1:]]
    body = {"name": "Criteria", "mql_threshold": 55, "notes": "", "rules": rules}
    response = client.put(f"/api/v1/criteria/{draft['id']}", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert "NUL" in response.json()["detail"]["rules.0.label"]
    assert CriteriaSet.objects.get(pk=draft["id"]).rules.count() == 0


def test_a_surrogate_escaped_in_the_json_text_is_refused_too(personas, api_client_for):
    body = b'{"name": "Spring", "description": "caf\\udce9"}'
    response = api_client_for(personas.alice).post("/api/v1/campaigns", body, content_type="application/json")
    assert response.status_code == 422
    assert "surrogate" in response.json()["detail"]["description"]
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/deals", "q"),
        ("/api/v1/deals", "owner"),
        ("/api/v1/sla/clocks", "owner"),
        ("/api/v1/audit", "actor"),
        ("/api/v1/audit", "object_id"),
        ("/api/v1/privacy/export", "email"),
    ],
)
def test_a_query_parameter_with_a_nul_byte_is_a_422_naming_it(personas, api_client_for, url, name):
    response = api_client_for(personas.root).get(url, {name: "bob\x00"})
    assert response.status_code == 422, response.content
    assert "NUL" in response.json()["detail"][name]


def test_lead_intake_keeps_its_own_rules_for_text(personas, api_client_for):
    """The intake pipeline drops control characters from lead fields, as forms and imports do."""
    response = api_client_for(personas.alice).post(
        "/api/v1/leads", {"email": "vera@acme.com", "last_name": "Ru\x00iz"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["last_name"] == "Ruiz"


def test_a_number_with_thousands_of_digits_in_an_api_body_is_a_400_naming_the_limit(personas, api_client_for):
    body = b'{"name": "Spring", "budget": 1' + b"0" * 5000 + b"}"
    response = api_client_for(personas.alice).post("/api/v1/campaigns", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "more than the 50 accepted" in response.json()["message"]
    assert not Campaign.objects.exists()


def test_an_api_body_nested_a_thousand_deep_is_a_400_saying_so(personas, api_client_for):
    body = b'{"name": "Spring", "description": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    response = api_client_for(personas.alice).post("/api/v1/campaigns", body, content_type="application/json")
    assert response.status_code == 400
    assert "levels deep" in response.json()["message"]
