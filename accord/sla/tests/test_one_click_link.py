"""The signed one-click link from a notification email logs a touch only after a confirming POST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accord.leads.models import Stage
from accord.sla import services
from accord.sla.models import Touch
from accord.sla.one_click import one_click_path

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def link(personas, make_lead):
    with time_machine.travel(NOW, tick=False):
        lead = make_lead(owner=personas.bob)
        clock = services.sla_start_for_assignment(lead=lead, assigned_at=NOW)
        return lead, one_click_path(user_id=personas.bob.pk, lead_id=lead.pk, clock_id=clock.pk)


@time_machine.travel(NOW + timedelta(minutes=20), tick=False)
def test_get_only_asks_and_post_logs_the_call_once(client, link):
    lead, path = link
    page = client.get(path)
    assert page.status_code == 200 and b"Log the call" in page.content
    assert not Touch.objects.exists()
    done = client.post(path)
    assert done.status_code == 200 and b"Logged" in done.content
    touch = Touch.objects.get()
    assert touch.lead == lead and touch.kind == "call" and touch.channel == "email"
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL  # the link answered the accept clock
    again = client.post(path)
    assert b"Already recorded" in again.content and Touch.objects.count() == 1


@time_machine.travel(NOW + timedelta(minutes=20), tick=False)
def test_a_tampered_link_is_refused(client, link):
    _, path = link
    assert client.post(path[:-3] + "xyz").status_code == 400
    assert not Touch.objects.exists()


def test_a_link_older_than_72_hours_has_expired(client, link):
    _, path = link
    with time_machine.travel(NOW + timedelta(hours=73), tick=False):
        response = client.post(path)
    assert response.status_code == 410 and not Touch.objects.exists()
