"""A merged lead's old address leads to the lead it was merged into, on the page and in the API."""

from __future__ import annotations

from accord.campaigns.tests.factories import LeadFactory
from accord.leads.services import lead_merge


def _merged(personas):
    keep = LeadFactory(email="keep@acme.example", owner=personas.bob)
    gone = LeadFactory(email="gone@acme.example", owner=personas.bob)
    lead_merge(keep=keep, merge=gone, actor=personas.alice)
    return keep, gone


def test_the_page_of_a_merged_lead_redirects_permanently_to_the_survivor(personas, client_for):
    keep, gone = _merged(personas)
    response = client_for(personas.bob).get(f"/leads/{gone.pk}/")
    assert response.status_code == 301 and response["Location"] == f"/leads/{keep.pk}/"
    page = client_for(personas.bob).get(f"/leads/{gone.pk}/", follow=True).content.decode()
    assert "merged into this one" in page and "keep@acme.example" in page


def test_the_api_answers_308_with_the_survivors_address_in_the_header_and_the_body(personas, api_client_for):
    keep, gone = _merged(personas)
    response = api_client_for(personas.bob).get(f"/api/v1/leads/{gone.pk}")
    assert response.status_code == 308 and response["Location"] == f"/api/v1/leads/{keep.pk}"
    assert response.json()["detail"] == {"merged_into": keep.pk, "url": f"/api/v1/leads/{keep.pk}"}
    followed = api_client_for(personas.bob).get(f"/api/v1/leads/{gone.pk}", follow=True)
    assert followed.status_code == 200 and followed.json()["id"] == keep.pk


def test_someone_who_may_not_see_the_survivor_gets_404_as_for_any_lead(personas, client_for, api_client_for):
    _keep, gone = _merged(personas)
    assert client_for(personas.charlie).get(f"/leads/{gone.pk}/").status_code == 404
    assert api_client_for(personas.charlie).get(f"/api/v1/leads/{gone.pk}").status_code == 404
    assert api_client_for(personas.bob).get("/api/v1/leads/999999").status_code == 404
