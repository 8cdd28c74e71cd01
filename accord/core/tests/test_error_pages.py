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


@pytest.mark.django_db
def test_pages_keep_their_html_error_pages(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("view", "status", "machine_path", "says"),
    [(error_400, 400, "/f/abc", b'"request": "bad"'), (error_500, 500, "/api/v1/leads", b"Idempotency-Key")],
)
def test_bad_requests_and_server_errors_are_json_for_machines_and_pages_for_people(
    view, status, machine_path, says
):
    factory = RequestFactory()
    machine = view(factory.post(machine_path))
    assert machine.status_code == status and says in machine.content
    person = view(factory.get("/leads/"))
    assert person.status_code == status and not person["Content-Type"].startswith("application/json")
