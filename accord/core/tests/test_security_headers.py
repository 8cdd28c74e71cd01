"""Every page carries a strict Content-Security-Policy; signed-in pages and API answers are never stored;
a session left idle ends; a sign-in lasts 12 hours by default."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accord.core.security_headers import LAST_SEEN_SESSION_KEY

REQUIRED_DIRECTIVES = [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_the_sign_in_page_and_a_signed_in_page_carry_the_strict_policy(personas, client_for):
    for response in (Client().get("/login/"), client_for(personas.bob).get("/leads/")):
        assert response.status_code == 200
        policy = response["Content-Security-Policy"]
        for directive in REQUIRED_DIRECTIVES:
            assert directive in policy
        script_src = directives(response)["script-src"]
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "'unsafe-inline'" not in directives(response)["style-src"]


def test_each_response_has_its_own_nonce_and_the_page_uses_it(personas, client_for):
    client = client_for(personas.bob)
    lead_page = client.get("/leads/")
    other = client.get("/leads/")
    first = directives(lead_page)["script-src"]
    assert first != directives(other)["script-src"]
    nonce = first.split("'nonce-")[1].rstrip("'")
    assert len(nonce) >= 16


def test_no_page_template_uses_inline_script_handlers_or_style_attributes():
    import re

    roots = [settings.BASE_DIR / "templates", *sorted((settings.BASE_DIR / "accord").glob("*/templates"))]
    offenders = []
    for root in roots:
        for template in root.rglob("*.html"):
            text = template.read_text(encoding="utf-8")
            if template.name.endswith("_email.html"):
                continue  # mail bodies, never served as pages
            if re.search(r"\son[a-z]+\s*=", text) or "javascript:" in text or re.search(r"\sstyle\s*=", text):
                offenders.append(str(template.relative_to(settings.BASE_DIR)))
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
                if "src=" not in tag and "nonce=" not in tag:
                    offenders.append(f"{template.relative_to(settings.BASE_DIR)}: {tag}")
    assert offenders == []


def test_signed_in_pages_are_not_stored_but_static_files_are_cacheable(personas, client_for):
    page = client_for(personas.bob).get("/leads/")
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    static = Client().get("/static/css/accord.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


def test_api_answers_are_not_stored(personas, api_client_for):
    response = api_client_for(personas.bob).get("/api/v1/me")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_a_sign_in_lasts_twelve_hours_by_default():
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert settings.ACCORD_SESSION_IDLE_MINUTES == 60


def sign_in(personas) -> Client:
    client = Client()
    assert client.post("/login/", {"username": "bob", "password": personas.password}).status_code == 302
    return client


def test_a_session_left_idle_longer_than_the_limit_is_signed_out(personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(personas)
        assert client.get("/leads/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert client.get("/leads/")["Location"].startswith("/login/")
        # Signed out for good, not only for that request.
        assert client.get("/leads/")["Location"].startswith("/login/")


def test_a_session_in_use_stays_signed_in_past_the_idle_limit(personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(personas)
    for minutes in (50, 100, 150):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/leads/").status_code == 200
            assert client.session[LAST_SEEN_SESSION_KEY] == int(
                (start + timedelta(minutes=minutes)).timestamp()
            )


def test_the_idle_limit_is_a_setting(personas, settings):
    settings.ACCORD_SESSION_IDLE_MINUTES = 5
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client = sign_in(personas)
        client.get("/leads/")
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert client.get("/leads/")["Location"].startswith("/login/")
