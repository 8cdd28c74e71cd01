"""Forgot password: a single-use link that expires, mailed only to a real account's address, with the
same answer for every address, throttled; changing a password keeps this session and ends the others."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from accord.notifications.tests.smtp import smtp_server  # noqa: F401

LINK = re.compile(r"(https?://\S+/password-reset/[^/\s]+/[^/\s]+/)")


def request_reset(email: str, address: str = "10.0.0.1", **extra):
    return Client().post("/password-reset/", {"email": email}, REMOTE_ADDR=address, **extra)


def reset_link(personas) -> str:
    personas.bob.email = "bob@example.com"
    personas.bob.save()
    assert request_reset("bob@example.com")["Location"] == "/password-reset/sent/"
    [message] = mail.outbox
    assert message.to == ["bob@example.com"]
    return LINK.search(message.body).group(1)


def path_of(link: str) -> str:
    return urlsplit(link).path


def set_password(link: str, password: str) -> Client:
    client = Client()
    form = client.get(link, follow=True)
    assert form.status_code == 200 and "Set a new password" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert done["Location"] == "/password-reset/done/", done.content.decode()
    return client


def test_the_sign_in_page_offers_the_reset(db):
    assert 'href="/password-reset/"' in Client().get("/login/").content.decode()


def test_a_reset_link_sets_a_new_password_once(personas, settings):
    settings.SITE_URL = "https://accord.example.com"
    link = reset_link(personas)
    assert link.startswith("https://accord.example.com/password-reset/")
    path = path_of(link)
    set_password(path, "a-brand-new-passphrase")
    assert (
        Client().post("/login/", {"username": "bob", "password": "a-brand-new-passphrase"}).status_code == 302
    )
    again = Client().get(path, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_the_link_is_built_from_the_site_url_not_the_host_header(personas, settings):
    settings.SITE_URL = "https://accord.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    personas.bob.email = "bob@example.com"
    personas.bob.save()
    request_reset("bob@example.com", HTTP_HOST="evil.example.net")
    assert "evil.example.net" not in mail.outbox[0].body
    assert "https://accord.example.com/password-reset/" in mail.outbox[0].body


def test_the_link_expires(personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        path = path_of(reset_link(personas))
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        page = Client().get(path, follow=True)
        assert "This link no longer works" in page.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(personas):
    known = request_reset(personas.bob.email)
    unknown = request_reset("nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [[personas.bob.email]]


def test_requests_from_one_address_are_throttled_visibly(personas):
    for n in range(5):
        assert request_reset(f"someone{n}@example.com").status_code == 302
    refused = request_reset(personas.bob.email)
    assert refused.status_code == 429 and "Too many password reset requests" in refused.content.decode()
    assert mail.outbox == []
    assert request_reset(personas.bob.email, address="10.0.0.2").status_code == 302


def test_requests_for_one_email_are_throttled_without_saying_so(personas):
    for n in range(5):
        assert request_reset(personas.bob.email, address=f"10.0.1.{n}").status_code == 302
    sixth = request_reset(personas.bob.email, address="10.0.1.99")
    assert sixth.status_code == 302 and sixth["Location"] == "/password-reset/sent/"
    assert len(mail.outbox) == 5


def test_the_reset_mail_goes_out_over_real_smtp(personas, smtp_server):  # noqa: F811
    request_reset(personas.bob.email)
    [received] = smtp_server.to(personas.bob.email)
    assert received.subject == "Reset your Accord password"
    assert LINK.search(received.body)


def test_changing_the_password_keeps_this_session_and_ends_the_others(personas):
    this, other = Client(), Client()
    for client in (this, other):
        assert client.post("/login/", {"username": "bob", "password": personas.password}).status_code == 302
    response = this.post(
        "/account/password/",
        {
            "old_password": personas.password,
            "new_password1": "a-brand-new-passphrase",
            "new_password2": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 302
    assert this.get("/leads/").status_code == 200
    assert other.get("/leads/")["Location"].startswith("/login/")


def test_a_reset_ends_every_open_session(personas):
    open_session = Client()
    open_session.post("/login/", {"username": "bob", "password": personas.password})
    set_password(path_of(reset_link(personas)), "a-brand-new-passphrase")
    assert open_session.get("/leads/")["Location"].startswith("/login/")
