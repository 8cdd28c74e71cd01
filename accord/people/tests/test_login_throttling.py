"""Login throttling: five failures for one username from one address lock that pair out for 15 minutes,
on the login page and on the admin login alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accord.people.models import LoginFailure

LOCKED = "Too many failed sign-in attempts"


def sign_in(client: Client, username: str, password: str, url: str = "/login/", address: str = "10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(times: int, url: str = "/login/", address: str = "10.0.0.1", username: str = "alice") -> None:
    for _ in range(times):
        sign_in(Client(), username, "wrong-password", url, address)


def test_the_fifth_failure_locks_and_even_the_right_password_is_then_refused(personas):
    fail(4)
    response = sign_in(Client(), "alice", "wrong-password")
    assert LOCKED in response.content.decode()
    response = sign_in(Client(), "alice", personas.password)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert "15 more minutes" in response.content.decode()
    assert LoginFailure.objects.count() == 5  # refused attempts do not extend the lockout


def test_four_failures_do_not_lock_and_a_success_starts_the_count_again(personas):
    fail(4)
    assert sign_in(Client(), "alice", personas.password).status_code == 302
    fail(4)
    assert sign_in(Client(), "alice", personas.password).status_code == 302


def test_the_lockout_ends_after_fifteen_minutes(personas):
    fail(5)
    with time_machine.travel(timezone.now() + timedelta(minutes=14), tick=False):
        assert LOCKED in sign_in(Client(), "alice", personas.password).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert sign_in(Client(), "alice", personas.password).status_code == 302


def test_failures_spread_over_more_than_the_window_do_not_lock(personas):
    start = timezone.now()
    for minute in (0, 5, 10, 15, 20):
        with time_machine.travel(start + timedelta(minutes=minute, seconds=1), tick=False):
            fail(1)
    with time_machine.travel(start + timedelta(minutes=20, seconds=2), tick=False):
        assert sign_in(Client(), "alice", personas.password).status_code == 302


def test_the_lock_is_per_username_and_address(personas):
    fail(5)
    assert sign_in(Client(), "alice", personas.password, address="10.0.0.2").status_code == 302
    assert sign_in(Client(), "bob", personas.password).status_code == 302
    assert LOCKED in sign_in(Client(), "ALICE", personas.password).content.decode()  # case does not help


def test_the_admin_login_is_throttled_too(personas):
    fail(5, url="/admin/login/", username="root")
    response = sign_in(Client(), "root", personas.password, url="/admin/login/")
    assert response.status_code == 200 and LOCKED in response.content.decode()
    # The same count protects both doors.
    assert LOCKED in sign_in(Client(), "root", personas.password).content.decode()


def test_settings_change_the_limits(personas, settings):
    settings.ACCORD_LOGIN_MAX_FAILURES = 2
    fail(2)
    assert LOCKED in sign_in(Client(), "alice", personas.password).content.decode()


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_address_counts(settings):
    from django.test import RequestFactory

    from accord.people.auth_security import client_address

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1", REMOTE_ADDR="10.0.0.1")
    assert client_address(request) == "10.0.0.1"
    settings.ACCORD_TRUST_X_FORWARDED_FOR = True
    assert client_address(request) == "203.0.113.9"


def test_wrong_passwords_spread_over_many_accounts_lock_the_address_for_every_username(personas):
    # Two failures each for ten usernames: no pair reaches five, but the address reaches twenty.
    usernames = [f"user{n}" for n in range(9)] + ["alice"]
    for username in usernames:
        fail(2, username=username)
    response = sign_in(Client(), "bob", personas.password)
    assert response.status_code == 200 and LOCKED in response.content.decode()
    # Another address is not affected.
    assert sign_in(Client(), "bob", personas.password, address="10.0.0.2").status_code == 302


def test_the_address_lock_also_ends_after_the_lockout(personas):
    for n in range(20):
        fail(1, username=f"user{n}")
    assert LOCKED in sign_in(Client(), "bob", personas.password).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16), tick=False):
        assert sign_in(Client(), "bob", personas.password).status_code == 302


def test_fewer_failures_from_one_address_than_its_limit_do_not_lock_it(personas, settings):
    settings.ACCORD_LOGIN_MAX_FAILURES_PER_ADDRESS = 6
    for n in range(5):
        fail(1, username=f"user{n}")
    assert sign_in(Client(), "bob", personas.password).status_code == 302
    fail(1, username="user5")
    assert LOCKED in sign_in(Client(), "carol", personas.password).content.decode()
