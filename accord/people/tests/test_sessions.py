"""Sessions end on sign-out (POST only) and on deactivation; API tokens of inactive users fail."""

from __future__ import annotations

from django.test import Client


def test_signing_out_ends_the_session_for_good(personas):
    client = Client()
    client.post("/login/", {"username": "alice", "password": personas.password})
    cookie = client.cookies["sessionid"].value
    assert client.get("/logout/").status_code == 405  # a link cannot sign anyone out
    assert client.post("/logout/").status_code == 302
    replay = Client()
    replay.cookies["sessionid"] = cookie
    assert replay.get("/leads/")["Location"].startswith("/login/")


def test_a_deactivated_users_open_session_stops_at_the_next_request(personas):
    client = Client()
    client.post("/login/", {"username": "bob", "password": personas.password})
    assert client.get("/leads/").status_code == 200
    personas.bob.is_active = False
    personas.bob.save()
    assert client.get("/leads/")["Location"].startswith("/login/")
    assert client.get("/api/v1/me").status_code == 401


def test_a_deactivated_users_api_token_fails(personas, api_client_for):
    client = api_client_for(personas.bob)
    assert client.get("/api/v1/me").status_code == 200
    personas.bob.is_active = False
    personas.bob.save()
    assert client.get("/api/v1/me").status_code == 401


def test_a_password_change_ends_the_users_other_sessions(personas):
    client = Client()
    client.post("/login/", {"username": "bob", "password": personas.password})
    personas.bob.set_password("another-long-passphrase")
    personas.bob.save()
    assert client.get("/leads/")["Location"].startswith("/login/")
