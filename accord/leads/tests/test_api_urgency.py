"""GET /api/v1/leads?owner=me: the caller's leads, most urgent SLA deadline first, with their clocks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accord.core.models import Channel
from accord.intake.services import lead_intake
from accord.leads.models import Lead
from accord.leads.registry import _lead_prefetches
from accord.sla.selectors import open_clocks_prefetch
from accord.sla.services import sla_start_for_assignment

pytestmark = pytest.mark.django_db


def assigned_lead(email: str, owner, assigned_at):
    lead = lead_intake(data={"email": email}, channel=Channel.API).lead
    Lead.objects.filter(pk=lead.pk).update(owner=owner, stage="mql")
    lead.refresh_from_db()
    sla_start_for_assignment(lead=lead, assigned_at=assigned_at)
    return lead


def test_my_leads_come_most_urgent_first_with_each_clocks_status_and_due_time(personas, api_client_for):
    now = timezone.now()
    later = assigned_lead("later@acme.com", personas.bob, now - timedelta(minutes=5))
    sooner = assigned_lead("sooner@acme.com", personas.bob, now - timedelta(days=5))  # long overdue
    idle = lead_intake(data={"email": "idle@acme.com"}, channel=Channel.API).lead
    Lead.objects.filter(pk=idle.pk).update(owner=personas.bob)
    assigned_lead("carols@acme.com", personas.carol, now - timedelta(days=9))

    body = api_client_for(personas.bob).get("/api/v1/leads?owner=me").json()

    assert [row["email"] for row in body["results"]] == [sooner.email, later.email, idle.email]
    first = body["results"][0]["clocks"]
    assert [(c["kind"], c["status"]) for c in first] == [("accept", "breached")]
    assert body["results"][1]["clocks"][0]["status"] in ("on_time", "at_risk")
    assert body["results"][2]["clocks"] == []


def test_the_order_can_be_asked_for_explicitly(personas, api_client_for):
    now = timezone.now()
    old = assigned_lead("old@acme.com", personas.bob, now - timedelta(days=5))
    new = assigned_lead("new@acme.com", personas.bob, now)
    client = api_client_for(personas.bob)
    newest = client.get("/api/v1/leads?owner=me&order=newest").json()["results"]
    assert [row["email"] for row in newest] == [new.email, old.email]
    assert client.get("/api/v1/leads?order=sideways").status_code == 422


def test_the_sla_app_registers_the_running_clocks_a_lead_shows():
    # SLA's running clocks; routing registers the queue a lead waits in beside them.
    assert open_clocks_prefetch in _lead_prefetches
    assert {f.__name__ for f in _lead_prefetches} == {"open_clocks_prefetch", "routing_queue_prefetch"}
