"""The 503 answer for a database that cannot be reached, request by request (quick; the restart of
a real PostgreSQL server is test_database_restart.py)."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

pytestmark = pytest.mark.faults


def refuse(*args, **kwargs):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def assert_json_503(response) -> None:
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert "unavailable" in body["message"] and body["detail"]["database"] == "unavailable"


@pytest.fixture
def form_url(db):
    from accord.leads.services import source_create

    return f"/f/{source_create(name='Web form').public_key}"


def test_the_public_form_answers_503_json_when_the_database_is_down(monkeypatch, form_url):
    monkeypatch.setattr("accord.intake.public.rate_limit_hit", refuse)
    client = Client(raise_request_exception=False)
    assert_json_503(client.post(form_url, {"email": "a@b.example"}))
    assert_json_503(client.post(form_url, {"email": "a@b.example"}, HTTP_ACCEPT="text/html"))


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_the_api_answers_503_json_when_the_database_is_down(monkeypatch, error):
    def broken(*args, **kwargs):
        raise error("the connection is closed")

    monkeypatch.setattr("accord.people.models.ApiToken.objects.authenticate", broken)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION="Bearer acc_x")
    assert_json_503(client.post("/api/v1/leads", {"email": "a@b.example"}, content_type="application/json"))
    assert_json_503(client.get("/api/v1/leads"))


@pytest.mark.django_db
def test_a_database_error_in_a_middleware_is_a_plain_503_page(monkeypatch, personas, client_for):
    client = client_for(personas.alice)  # a session cookie: the session is read in a middleware
    client.raise_request_exception = False
    monkeypatch.setattr("django.contrib.sessions.backends.db.SessionStore.load", refuse)
    response = client.get("/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html") and int(response["Retry-After"]) > 0
    assert b"unavailable" in response.content


def test_other_errors_stay_500(monkeypatch, form_url):
    def bug(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("accord.intake.public.rate_limit_hit", bug)
    response = Client(raise_request_exception=False).post(form_url, {"email": "a@b.example"})
    assert response.status_code == 500
