"""API authentication: a call without a usable token is a 401 in the API's JSON error format, with
``WWW-Authenticate: Bearer``, never a CSRF refusal; a signed-in browser's calls keep Django's CSRF check.

Every client here enforces CSRF checks as a browser's requests are checked (Django's test client
skips them by default, which hid the "403 CSRF check failed" a bad token used to get on a POST).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from accord.leads.models import Lead
from accord.people.models import ApiToken
from accord.people.services import api_token_create

LEAD = {"email": "new.lead@example.com", "first_name": "Nia"}


def _bad_token(kind: str, personas) -> str | None:
    """The Authorization value sent for each way a token can be unusable (None: no header)."""
    if kind == "missing":
        return None
    if kind == "empty":
        return "Bearer "
    if kind == "unknown":
        return "Bearer acc_not-a-token-accord-ever-issued"
    raw, token = api_token_create(user=personas.bob, name="old laptop")
    if kind == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    elif kind == "deactivated user":
        personas.bob.is_active = False
        personas.bob.save(update_fields=["is_active"])
    return f"Bearer {raw}"


def _anonymous(authorization: str | None) -> Client:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return Client(enforce_csrf_checks=True, headers=headers)


KINDS = ["missing", "empty", "unknown", "revoked", "deactivated user"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_post_without_a_usable_token_is_a_401_in_json_not_a_csrf_refusal(personas, kind):
    authorization = _bad_token(kind, personas)

    response = _anonymous(authorization).post("/api/v1/leads", LEAD, content_type="application/json")

    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "detail"}
    assert "CSRF" not in body["message"]
    assert "token" in body["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Lead.objects.filter(email=LEAD["email"]).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_read_without_a_usable_token_is_a_401_too(personas, kind):
    response = _anonymous(_bad_token(kind, personas)).get("/api/v1/leads")

    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_refused_token_is_told_apart_from_a_missing_one(personas):
    missing = _anonymous(None).post("/api/v1/leads", LEAD, content_type="application/json")
    refused = _anonymous(_bad_token("revoked", personas)).post(
        "/api/v1/leads", LEAD, content_type="application/json"
    )

    assert missing["WWW-Authenticate"] == "Bearer"
    assert missing.json()["detail"] == {"Authorization": "missing"}
    assert refused["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert refused.json()["detail"] == {"Authorization": "invalid token"}
    assert "revoked" in refused.json()["message"]


def test_a_valid_token_needs_no_csrf_token(personas):
    raw, _ = api_token_create(user=personas.bob, name="script")

    response = _anonymous(f"Bearer {raw}").post("/api/v1/leads", LEAD, content_type="application/json")

    assert response.status_code == 201, response.content


def _signed_in_browser(user) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get("/api/v1/docs")  # a page with a CSRF token sets the csrftoken cookie
    assert "csrftoken" in browser.cookies
    return browser


def test_a_signed_in_browser_post_without_the_csrf_token_is_refused(personas):
    browser = _signed_in_browser(personas.bob)

    response = browser.post("/api/v1/leads", LEAD, content_type="application/json")

    assert response.status_code == 403, response.content
    assert "X-CSRFToken" in response.json()["message"]
    assert not Lead.objects.filter(email=LEAD["email"]).exists()


def test_a_signed_in_browser_post_with_a_bad_token_is_still_checked_for_csrf(personas):
    """A forged cross-site request cannot slip past the CSRF check by adding a made-up token."""
    browser = _signed_in_browser(personas.bob)

    response = browser.post(
        "/api/v1/leads",
        LEAD,
        content_type="application/json",
        headers={"Authorization": "Bearer acc_made-up"},
    )

    assert response.status_code == 403, response.content
    assert not Lead.objects.filter(email=LEAD["email"]).exists()


def test_a_signed_in_browser_post_with_the_csrf_token_goes_through(personas):
    browser = _signed_in_browser(personas.bob)

    response = browser.post(
        "/api/v1/leads",
        LEAD,
        content_type="application/json",
        headers={"X-CSRFToken": browser.cookies["csrftoken"].value},
    )

    assert response.status_code == 201, response.content
    assert Lead.objects.filter(email=LEAD["email"]).exists()


def test_a_signed_in_browser_reads_without_a_csrf_token(personas):
    response = _signed_in_browser(personas.bob).get("/api/v1/leads")

    assert response.status_code == 200, response.content
