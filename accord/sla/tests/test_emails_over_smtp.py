"""Reminder, breach and escalation emails go out over real SMTP (aiosmtpd) with a working one-click link."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine
from django.test import Client

from accord.sla import services
from accord.sla.models import Touch

ASSIGNED = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


def test_reminder_and_escalation_emails_arrive_and_the_link_logs_a_call(
    personas, hot_policy, make_lead, run_due_tasks, smtp_server, django_capture_on_commit_callbacks, settings
):
    p = personas
    with time_machine.travel(ASSIGNED, tick=False):
        lead = make_lead(owner=p.bob, score=90)
        with django_capture_on_commit_callbacks(execute=True):
            services.sla_start_for_assignment(lead=lead, assigned_at=ASSIGNED)
    for moment in (
        ASSIGNED.replace(minute=31),
        ASSIGNED.replace(hour=11, minute=1),
        ASSIGNED.replace(hour=13, minute=1),
    ):
        with time_machine.travel(moment, tick=False):
            run_due_tasks()

    reminder, breach = smtp_server.to(p.bob.email)
    assert reminder.subject.startswith("Due ") and str(lead) in reminder.subject
    assert breach.subject.startswith("Missed: ")
    [manager_mail] = smtp_server.to(p.mike.email)
    assert manager_mail.subject == f"Bob missed the deadline to accept or reject {lead}"
    [escalation] = smtp_server.to(p.sam.email)
    assert escalation.subject.startswith("Escalated: ") and escalation.rcpt_tos == [p.sam.email]
    assert escalation.mail_from == settings.DEFAULT_FROM_EMAIL

    url = re.search(rf"{re.escape(settings.SITE_URL)}(/t/\S+)", reminder.body).group(1)
    with time_machine.travel(ASSIGNED.replace(hour=13, minute=5), tick=False):
        client = Client()
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 200
    assert Touch.objects.get(lead=lead).user == p.bob
