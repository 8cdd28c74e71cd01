"""The admin site opens for admins on every people and core model."""

from __future__ import annotations

import pytest
from django.test import Client

from accord.core.events import event_record
from accord.people.models import Absence
from accord.people.services import api_token_create


@pytest.fixture
def admin_client_for_root(personas):
    client = Client()
    client.force_login(personas.root)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/people/user/",
        "/admin/people/team/",
        "/admin/people/absence/",
        "/admin/people/apitoken/",
        "/admin/core/organization/",
        "/admin/core/event/",
    ],
)
def test_admin_lists_open(admin_client_for_root, url):
    assert admin_client_for_root.get(url).status_code == 200


def test_user_change_page_shows_roles_and_absences_inline(personas, admin_client_for_root):
    Absence.objects.create(user=personas.bob, start="2025-07-01", end="2025-07-02")
    html = admin_client_for_root.get(f"/admin/people/user/{personas.bob.pk}/change/").content.decode()
    assert "roles-TOTAL_FORMS" in html
    assert "absences-TOTAL_FORMS" in html


def test_team_change_page_shows_holidays_inline(personas, admin_client_for_root):
    html = admin_client_for_root.get(f"/admin/people/team/{personas.health.pk}/change/").content.decode()
    assert "holidays-TOTAL_FORMS" in html


def test_api_token_hash_is_read_only(personas, admin_client_for_root):
    _, token = api_token_create(user=personas.alice)
    html = admin_client_for_root.get(f"/admin/people/apitoken/{token.pk}/change/").content.decode()
    assert token.key_hash in html
    assert 'name="key_hash"' not in html
    assert admin_client_for_root.get("/admin/people/apitoken/add/").status_code == 403


def test_events_are_view_only(personas, admin_client_for_root):
    event = event_record(type="test.happened", subject=personas.alice)
    response = admin_client_for_root.get(f"/admin/core/event/{event.pk}/change/")
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert (
        admin_client_for_root.post(f"/admin/core/event/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )


def test_non_admins_cannot_open_the_admin(personas):
    client = Client()
    client.force_login(personas.alice)
    assert client.get("/admin/").status_code == 302
