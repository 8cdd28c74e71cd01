"""Errors outside any endpoint: JSON under /api/ and /f/ (what the callers there read), pages elsewhere."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from accord.core.views import error_400, error_500


@pytest.mark.django_db
def test_an_unknown_api_path_is_a_json_404_pointing_at_the_schema(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert "/api/v1/openapi.json" in response.json()["message"]
    assert response.json()["detail"] == {"path": "not found"}


@pytest.mark.django_db
def test_a_form_path_without_a_key_is_a_json_404(client):
    response = client.post("/f/", {"email": "vera@acme.com"})
    assert response.status_code == 404 and "/f/<source key>" in response.json()["message"]


def test_a_bad_request_under_the_form_endpoint_is_json_and_a_page_elsewhere():
    factory = RequestFactory()
    form = error_400(factory.post("/f/abc"))
    assert form.status_code == 400 and b'"request": "bad"' in form.content
    page = error_400(factory.get("/leads/"))
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")


@pytest.mark.django_db
def test_pages_keep_their_html_error_pages(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_server_error_under_the_api_is_json_and_a_page_elsewhere():
    factory = RequestFactory()
    api = error_500(factory.post("/api/v1/leads"))
    assert api.status_code == 500 and b"Idempotency-Key" in api.content
    page = error_500(factory.get("/leads/"))
    assert page.status_code == 500 and not page["Content-Type"].startswith("application/json")
