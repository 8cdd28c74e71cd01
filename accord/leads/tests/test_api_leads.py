"""POST/GET /api/v1/leads: create through intake, validation errors, idempotency, record-level access."""

from __future__ import annotations

import json

import pytest

from accord.intake.tests.test_intake import VP, criteria_make, lead_make
from accord.leads.models import Lead, Stage
from accord.leads.services import source_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/leads"


@pytest.fixture
def criteria(personas):
    return criteria_make(personas.mona, personas.sam)


def post(client, body, **headers):
    return client.post(URL, data=json.dumps(body), content_type="application/json", headers=headers)


def test_it_creates_a_lead_and_answers_201(personas, criteria, api_client_for):
    response = post(api_client_for(personas.alice), {"email": "vera@acme.com", **VP})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert body["stage"] == "mql"
    assert body["score"] == 60
    assert body["criteria_version"] == criteria.version
    assert body["account"]["name"] == "Acme Health"
    assert body["source"] == "API"
    assert "Title contains VP +30" in body["explanation"]


def test_it_answers_200_when_the_email_matches_a_known_lead(personas, criteria, api_client_for):
    client = api_client_for(personas.alice)
    first = post(client, {"email": "vera@acme.com"}).json()
    response = post(client, {"email": "VERA@acme.com", "title": "VP Care", "custom": {"crm_id": 7}})
    assert response.status_code == 200
    body = response.json()
    assert body["created"] is False
    assert body["id"] == first["id"]
    assert body["title"] == "VP Care"
    assert body["custom"] == {"crm_id": "7"}


def test_it_names_the_field_when_the_email_is_malformed(personas, criteria, api_client_for):
    response = post(api_client_for(personas.alice), {"email": "vera at acme"})
    assert response.status_code == 422
    assert "email" in response.json()["detail"]
    assert "email" in response.json()["message"]
    assert Lead.objects.count() == 0


def test_it_names_the_field_when_the_email_is_missing(personas, api_client_for):
    response = post(api_client_for(personas.alice), {"first_name": "Vera"})
    assert response.status_code == 422
    assert "email" in response.json()["detail"]


def test_it_refuses_unknown_fields_by_name(personas, api_client_for):
    response = post(api_client_for(personas.alice), {"email": "vera@acme.com", "favourite_colour": "teal"})
    assert response.status_code == 422
    assert "favourite_colour" in response.json()["detail"]
    assert Lead.objects.count() == 0


def test_it_refuses_an_unknown_source(personas, api_client_for):
    response = post(api_client_for(personas.alice), {"email": "vera@acme.com", "source": "Nope"})
    assert response.status_code == 422
    assert response.json()["detail"] == {"source": "unknown"}


def test_it_refuses_a_source_name_with_a_nul_byte_as_unknown(personas, api_client_for):
    response = post(api_client_for(personas.alice), {"email": "vera@acme.com", "source": "API\x00"})
    assert response.status_code == 422
    assert response.json()["detail"] == {"source": "unknown"}


def test_it_refuses_a_custom_field_name_it_cannot_store_instead_of_dropping_it(personas, api_client_for):
    client = api_client_for(personas.alice)
    response = post(client, {"email": "vera@acme.com", "custom": {"plan": "gold", "Plan Tier!": "x"}})
    assert response.status_code == 422
    assert response.json()["detail"] == {"custom.Plan Tier!": "not a usable field name"}
    assert Lead.objects.count() == 0
    assert post(client, {"email": "vera@acme.com", "custom": {"Plan Tier": "x"}}).json()["custom"] == {
        "plan_tier": "x"
    }


@pytest.mark.parametrize(
    "body",
    [b'{"email": "vera@acme.com"', b"email=vera%40acme.com", b'{"email": "\xff@acme.com"}'],
)
def test_a_body_that_is_not_json_is_a_400_that_says_so(personas, api_client_for, body):
    response = api_client_for(personas.alice).post(URL, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == {"body": "invalid JSON"}
    assert "not valid JSON" in response.json()["message"]
    assert "Content-Type: application/json" in response.json()["message"]


def test_a_body_nested_too_deeply_is_a_400_that_says_so(personas, api_client_for):
    response = api_client_for(personas.alice).post(URL, data=b"[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"] == {"body": "nested too deeply"}
    assert "more than 32 levels deep" in response.json()["message"]
    assert "Content-Type: application/json" in response.json()["message"]


def test_a_lone_surrogate_in_a_field_is_a_422_naming_it(personas, api_client_for):
    body = b'{"email": "vera@acme.com", "first_name": "Vera\\ud800"}'
    response = api_client_for(personas.alice).post(URL, data=body, content_type="application/json")
    assert response.status_code == 422
    assert "first_name" in response.json()["detail"]
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"), [("company_size", True), ("company_size", 12.5), ("consent", 1), ("consent", [])]
)
def test_a_value_of_the_wrong_json_type_is_a_422_naming_the_field(personas, api_client_for, field, value):
    body = {"email": "vera@acme.com", field: value}
    response = api_client_for(personas.alice).post(
        URL, data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert field in json.dumps(response.json()["detail"])
    assert Lead.objects.count() == 0


@pytest.mark.parametrize(("size", "stored"), [(250, 250), ("1,200", 1200), ("201-500", 201)])
def test_a_head_count_may_come_as_a_number_or_as_text(personas, api_client_for, size, stored):
    body = {"email": "vera@acme.com", "company_size": size, "consent": True}
    response = api_client_for(personas.alice).post(
        URL, data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201
    assert (response.json()["company_size"], response.json()["consent"]) == (stored, "granted")


def test_more_custom_fields_than_fit_is_a_422_naming_custom(personas, api_client_for):
    body = {"email": "vera@acme.com", "custom": {f"f{i}": "x" for i in range(201)}}
    response = api_client_for(personas.alice).post(
        URL, data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert "custom" in response.json()["detail"]
    assert Lead.objects.count() == 0


def test_it_requires_a_token(personas, client):
    response = client.post(URL, data=json.dumps({"email": "vera@acme.com"}), content_type="application/json")
    assert response.status_code == 401
    assert "Authorization" in response.json()["message"]


def test_it_refuses_a_revoked_or_made_up_token(personas):
    from django.test import Client

    response = Client(HTTP_AUTHORIZATION="Bearer acc_made_up").get(URL)
    assert response.status_code == 401


def test_an_idempotency_key_replays_the_first_response(personas, criteria, api_client_for):
    client = api_client_for(personas.alice)
    first = post(client, {"email": "vera@acme.com", **VP}, **{"Idempotency-Key": "k-1"})
    again = post(client, {"email": "vera@acme.com", **VP}, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Lead.objects.count() == 1
    # The replay did not run the pipeline a second time: one intake event only.
    from accord.core.events import events_for

    assert events_for(Lead.objects.get()).count() == 1


def test_an_idempotency_key_reused_with_a_different_body_is_refused(personas, criteria, api_client_for):
    client = api_client_for(personas.alice)
    post(client, {"email": "vera@acme.com"}, **{"Idempotency-Key": "k-2"})
    response = post(client, {"email": "other@acme.com"}, **{"Idempotency-Key": "k-2"})
    assert response.status_code in (409, 422)
    assert response.json()["detail"] == {"Idempotency-Key": "reused with a different body"}
    assert not Lead.objects.filter(email_key="other@acme.com").exists()


def test_a_role_without_intake_rights_is_refused(personas, api_client_for):
    response = post(api_client_for(personas.eve), {"email": "vera@acme.com"})
    assert response.status_code == 403


@pytest.fixture
def owned(personas, criteria):
    webinar = source_create(name="Webinar")
    return {
        "bob": lead_make("b1@acme.com", owner=personas.bob, **VP),
        "carol": lead_make("c1@globex.com", owner=personas.carol, source=webinar),
        "charlie": lead_make("x1@initech.com", owner=personas.charlie, source=webinar),
        "nobody": lead_make("n1@umbrella.com"),
    }


def emails(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["email"] for row in response.json()["results"]}


def test_a_rep_lists_their_own_and_their_teams_leads_only(personas, owned, api_client_for):
    assert emails(api_client_for(personas.bob).get(URL)) == {"b1@acme.com", "c1@globex.com"}
    assert emails(api_client_for(personas.charlie).get(URL)) == {"x1@initech.com"}
    assert len(emails(api_client_for(personas.alice).get(URL))) == 4


def test_the_list_filters_by_email_stage_owner_and_source(personas, owned, api_client_for):
    client = api_client_for(personas.alice)
    assert emails(client.get(URL, {"email": "B1@ACME.com"})) == {"b1@acme.com"}
    assert emails(client.get(URL, {"stage": "mql"})) == {"b1@acme.com"}
    assert emails(client.get(URL, {"owner": "carol"})) == {"c1@globex.com"}
    assert emails(client.get(URL, {"owner": "none"})) == {"n1@umbrella.com"}
    assert emails(client.get(URL, {"source": "Webinar"})) == {"c1@globex.com", "x1@initech.com"}
    assert emails(api_client_for(personas.bob).get(URL, {"source": "Webinar"})) == {"c1@globex.com"}
    assert emails(api_client_for(personas.bob).get(URL, {"owner": "me"})) == {"b1@acme.com"}
    assert client.get(URL, {"stage": "no-such-stage"}).status_code == 422


@pytest.mark.parametrize("name", ["email", "owner", "source", "q"])
def test_a_filter_with_a_nul_byte_is_a_422_naming_it(personas, owned, api_client_for, name):
    response = api_client_for(personas.alice).get(URL, {name: "b1\x00"})
    assert response.status_code == 422
    assert "NUL" in response.json()["detail"][name]


def test_the_list_pages_with_limit_and_offset(personas, owned, api_client_for):
    client = api_client_for(personas.alice)
    first = client.get(URL, {"limit": 3, "offset": 0}).json()
    rest = client.get(URL, {"limit": 3, "offset": 3}).json()
    assert first["count"] == rest["count"] == 4
    assert (len(first["results"]), len(rest["results"])) == (3, 1)
    seen = {r["id"] for r in first["results"]} | {r["id"] for r in rest["results"]}
    assert len(seen) == 4
    assert client.get(URL, {"limit": 0}).status_code == 422


def test_a_rep_reads_a_team_lead_but_gets_404_for_anyone_elses(personas, owned, api_client_for):
    bob = api_client_for(personas.bob)
    assert bob.get(f"{URL}/{owned['carol'].pk}").json()["email"] == "c1@globex.com"
    response = bob.get(f"{URL}/{owned['charlie'].pk}")
    assert response.status_code == 404
    assert response.json()["message"]
    assert bob.get(f"{URL}/{owned['nobody'].pk}").status_code == 404
    assert bob.get(f"{URL}/999999").status_code == 404


def test_a_merged_away_lead_is_not_listed_and_its_address_leads_to_the_survivor(
    personas, owned, api_client_for
):
    from accord.leads.services import lead_merge

    lead_merge(keep=owned["bob"], merge=owned["nobody"], actor=personas.alice)
    client = api_client_for(personas.alice)
    assert "n1@umbrella.com" not in emails(client.get(URL))
    response = client.get(f"{URL}/{owned['nobody'].pk}")
    assert response.status_code == 308 and response["Location"] == f"{URL}/{owned['bob'].pk}"


def test_stage_is_not_settable_through_the_api(personas, criteria, api_client_for):
    response = post(api_client_for(personas.alice), {"email": "vera@acme.com", "stage": Stage.CUSTOMER})
    assert response.status_code == 422
    assert "stage" in response.json()["detail"]
