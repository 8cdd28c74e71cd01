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
