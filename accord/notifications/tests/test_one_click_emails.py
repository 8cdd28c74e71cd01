"""Every email that hands someone a lead acts: the "New lead" email carries one-click links (built from
ACCORD_SITE_URL) that accept the lead and log the first touch, like the reminders do."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings

from accord.leads.models import Lead, Stage
from accord.routing.services import lead_reassign
from accord.routing.tests.factories import make_lead
from accord.sla.models import SlaClock
from accord.sla.services import sla_clock_remind

pytestmark = pytest.mark.django_db(transaction=False)

MONDAY_10 = "2026-03-09 10:00Z"


@override_settings(SITE_URL="https://accord.example.com")
@time_machine.travel(MONDAY_10, tick=False)
def test_the_new_lead_email_accepts_and_logs_in_one_click(personas, django_capture_on_commit_callbacks):
    lead = make_lead(owner=personas.bob, stage=Stage.MQL)
    with django_capture_on_commit_callbacks(execute=True):
        lead_reassign(lead=lead, to_user=personas.carol, reason="Bob is away", actor=personas.mike)
    email = next(m for m in mail.outbox if m.to == [personas.carol.email])
    assert email.subject.startswith("New lead:")
    links = re.findall(r"https://accord\.example\.com(/t/\S+)", email.body)
    assert len(links) == 2, email.body  # a call and an email
    assert "One click accepts the lead and logs the call" in email.body
    assert "Open in Accord: https://accord.example.com/leads/" in email.body

    client = Client()  # the signed link needs no session
    assert "Log" in client.get(links[0]).content.decode()  # a GET only asks
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL
    client.post(links[0])
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL and lead.touches.get().user == personas.carol


@override_settings(SITE_URL="https://accord.example.com")
def test_reminders_carry_the_same_links(personas, django_capture_on_commit_callbacks):
    with time_machine.travel(MONDAY_10, tick=False):
        lead = make_lead(owner=personas.bob, stage=Stage.MQL)
        with django_capture_on_commit_callbacks(execute=True):
            lead_reassign(lead=lead, to_user=personas.carol, reason="Bob is away", actor=personas.mike)
    clock = SlaClock.objects.get(lead=lead, met_at__isnull=True, stopped_at__isnull=True)
    mail.outbox.clear()
    with time_machine.travel(clock.remind_at, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert sla_clock_remind(clock_id=clock.pk)
    assert len(re.findall(r"https://accord\.example\.com/t/\S+", mail.outbox[0].body)) == 2
