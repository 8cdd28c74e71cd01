"""The inbox page, marking read with HTMX, the unread badge, and the API list."""

from __future__ import annotations

import pytest

from accord.notifications.models import Notification, NotificationKind


@pytest.fixture
def bobs(personas):
    return [
        Notification.objects.create(user=personas.bob, kind=NotificationKind.SLA_REMINDER, subject=s)
        for s in ("Call Pat", "Call Lou")
    ]


def test_the_inbox_lists_only_my_notifications(client, personas, bobs):
    Notification.objects.create(user=personas.carol, kind=NotificationKind.OTHER, subject="Carol's")
    client.force_login(personas.bob)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert b"Call Pat" in page.content and b"Carol&#x27;s" not in page.content


def test_marking_read_with_htmx_returns_the_row_and_asks_the_badge_to_refresh(client, personas, bobs):
    client.force_login(personas.bob)
    response = client.post(f"/notifications/{bobs[0].pk}/read", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert b"Mark as read" not in response.content
    bobs[0].refresh_from_db()
    assert bobs[0].read_at is not None
    badge = client.get("/notifications/unread-count")
    assert b">1</span>" in badge.content


def test_nobody_marks_someone_elses_notification(client, personas, bobs):
    client.force_login(personas.carol)
    assert client.post(f"/notifications/{bobs[0].pk}/read").status_code == 404


def test_mark_all_read_empties_the_badge(client, personas, bobs):
    client.force_login(personas.bob)
    assert client.post("/notifications/read-all").status_code == 302
    assert not Notification.objects.filter(user=personas.bob, read_at__isnull=True).exists()


def test_the_inbox_needs_a_signed_in_user(client):
    assert client.get("/notifications/").status_code == 302


def test_the_api_lists_my_notifications_with_the_unread_count(personas, bobs, api_client_for):
    client = api_client_for(personas.bob)
    body = client.get("/api/v1/notifications").json()
    assert body["unread"] == 2 and [n["subject"] for n in body["results"]] == ["Call Lou", "Call Pat"]
    assert client.post(f"/api/v1/notifications/{bobs[0].pk}/read").status_code == 200
    assert client.get("/api/v1/notifications?unread=true").json()["unread"] == 1
    assert api_client_for(personas.carol).post(f"/api/v1/notifications/{bobs[0].pk}/read").status_code == 404


def test_the_polled_badge_stops_quietly_once_signed_out(client):
    assert client.get("/notifications/unread-count", HTTP_HX_REQUEST="true").status_code == 286
    assert client.get("/notifications/unread-count")["Location"].startswith("/login/")


def test_the_bell_is_on_every_page_with_the_count_and_polls_it(client, personas, bobs):
    client.force_login(personas.bob)
    html = client.get("/leads/").content.decode()
    assert 'id="unread-count"' in html and 'data-unread="2"' in html
    assert 'hx-trigger="every 30s, notifications-changed from:body"' in html
    assert html.count('id="unread-count"') == 1
    assert html.count('id="unread-count"') == client.get("/notifications/").content.decode().count(
        'id="unread-count"'
    )


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, personas, bobs):
    bobs[0].url = "/inbox/"
    bobs[0].save()
    client.force_login(personas.bob)
    response = client.post(f"/notifications/{bobs[0].pk}/open")
    assert response["Location"] == "/inbox/"
    bobs[0].refresh_from_db()
    assert bobs[0].read_at is not None
    bobs[1].url = "https://evil.example/"
    bobs[1].save()
    assert client.post(f"/notifications/{bobs[1].pk}/open")["Location"] == "/notifications/"
    assert client.get(f"/notifications/{bobs[1].pk}/open").status_code == 405
