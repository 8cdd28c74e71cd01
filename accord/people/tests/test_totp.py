"""Two-factor sign-in (TOTP): enrolment, the code step after the password on every sign-in route,
replay protection, lockout, and the setting that requires it of admins."""

from __future__ import annotations

import time

import pyotp
import pytest
import time_machine
from django.test import Client

from accord.people.models import TotpDevice
from accord.people.totp import totp_code_counter, totp_device_confirm, totp_device_start


def enrol(user) -> pyotp.TOTP:
    device = totp_device_start(user=user)
    totp = pyotp.TOTP(device.secret)
    totp_device_confirm(user=user, code=totp.now())
    return totp


def next_code(totp: pyotp.TOTP) -> str:
    """The next step's code: the current one was used to confirm, and codes are accepted once."""
    return totp.at(time.time() + 30)


def test_the_setup_page_shows_the_secret_and_an_otpauth_uri_and_turns_it_on(personas, client_for):
    client = client_for(personas.mike)
    html = client.get("/account/totp/").content.decode()
    device = TotpDevice.objects.get(user=personas.mike)
    assert device.confirmed_at is None
    assert " ".join(device.secret[i : i + 4] for i in range(0, len(device.secret), 4)) in html
    assert "otpauth://totp/Accord:mike?secret=" in html
    assert "http" not in html.split("otpauth://")[1].split('"')[0]  # no external QR service
    bad = client.post("/account/totp/", {"action": "confirm", "code": "000000"})
    assert bad.status_code == 400 and "not valid" in bad.content.decode()
    good = client.post("/account/totp/", {"action": "confirm", "code": pyotp.TOTP(device.secret).now()})
    assert good.status_code == 302
    device.refresh_from_db()
    assert device.confirmed_at is not None


def test_after_the_password_a_code_is_asked_and_nothing_else_opens_until_it_is_given(personas):
    totp = enrol(personas.mike)
    client = Client()
    response = client.post("/login/", {"username": "mike", "password": personas.password, "next": "/leads/"})
    assert response.status_code == 302
    held = client.get("/leads/")
    assert held.status_code == 302 and held["Location"].startswith("/login/totp/")
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/admin/").status_code == 302
    assert client.post("/login/totp/", {"code": "123456", "next": "/leads/"}).status_code == 400
    done = client.post("/login/totp/", {"code": next_code(totp), "next": "/leads/"})
    assert done.status_code == 302 and done["Location"] == "/leads/"
    assert client.get("/leads/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200


def test_a_code_is_accepted_once(personas):
    totp = enrol(personas.mike)
    code = next_code(totp)
    first, second = Client(), Client()
    for client in (first, second):
        client.post("/login/", {"username": "mike", "password": personas.password})
    assert first.post("/login/totp/", {"code": code}).status_code == 302
    assert second.post("/login/totp/", {"code": code}).status_code == 400


def test_the_admin_login_asks_for_the_code_as_well(personas):
    totp = enrol(personas.root)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": personas.password, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert client.get("/admin/")["Location"].startswith("/login/totp/")
    client.post("/login/totp/", {"code": next_code(totp)})
    assert client.get("/admin/").status_code == 200


def test_five_wrong_codes_end_the_session_and_lock_sign_in(personas):
    enrol(personas.mike)
    client = Client()
    client.post("/login/", {"username": "mike", "password": personas.password})
    for _ in range(4):
        assert client.post("/login/totp/", {"code": "000000"}).status_code == 400
    locked = client.post("/login/totp/", {"code": "000000"})
    assert locked.status_code == 302 and locked["Location"] == "/login/"
    assert client.get("/leads/")["Location"].startswith("/login/")
    again = client.post("/login/", {"username": "mike", "password": personas.password})
    assert "Too many failed sign-in attempts" in again.content.decode()


def test_users_without_an_authenticator_sign_in_with_the_password_alone(personas):
    client = Client()
    client.post("/login/", {"username": "mike", "password": personas.password})
    assert client.get("/leads/").status_code == 200


def test_admins_can_be_required_to_enrol(personas, settings):
    settings.ACCORD_REQUIRE_TOTP_FOR_ADMINS = True
    client = Client()
    client.post("/login/", {"username": "root", "password": personas.password})
    held = client.get("/leads/")
    assert held.status_code == 302 and held["Location"].startswith("/account/totp/")
    client.get("/account/totp/")
    secret = TotpDevice.objects.get(user=personas.root).secret
    assert (
        client.post("/account/totp/", {"action": "confirm", "code": pyotp.TOTP(secret).now()}).status_code
        == 302
    )
    assert client.get("/leads/").status_code == 200
    # Others are not affected.
    other = Client()
    other.post("/login/", {"username": "alice", "password": personas.password})
    assert other.get("/leads/").status_code == 200


def test_turning_it_off_needs_a_current_code(personas, client_for):
    totp = enrol(personas.mike)
    client = client_for(personas.mike)  # force_login: the session starts at the code step
    client.post("/login/totp/", {"code": next_code(totp)})
    assert client.post("/account/totp/", {"action": "disable", "code": "000000"}).status_code == 400
    assert TotpDevice.objects.filter(user=personas.mike).exists()
    with time_machine.travel(time.time() + 60, tick=False):  # a step not used yet
        assert client.post("/account/totp/", {"action": "disable", "code": totp.now()}).status_code == 302
    assert not TotpDevice.objects.filter(user=personas.mike).exists()


@pytest.mark.parametrize("drift", [-30, 0, 30])
def test_one_step_of_clock_drift_is_allowed_but_not_two(drift):
    secret = pyotp.random_base32()
    now = time.time()
    code = pyotp.TOTP(secret).at(now + drift)
    assert totp_code_counter(secret=secret, code=code, after=0, now=now) is not None
    far = pyotp.TOTP(secret).at(now + 95)
    assert totp_code_counter(secret=secret, code=far, after=0, now=now) is None
