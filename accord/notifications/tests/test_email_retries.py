"""Notification email never fails silently: header-unsafe text is cleaned for the header only, a failed
send is retried with backoff by a task, and failures show on the notification, in the admin and in
/healthz. Over a real SMTP server (aiosmtpd), one that refuses first and accepts on the retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accord.core.mail_headers import header_clean
from accord.leads.models import Lead, Stage
from accord.notifications.models import Notification, NotificationKind
from accord.notifications.services import notify

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def pat(db) -> Lead:
    return Lead.objects.create(
        email="pat@stmarys.example",
        email_key="pat@stmarys.example",
        first_name="Pat\nBcc: x@evil.example",
        last_name="Lee",
        stage=Stage.MQL,
    )


def notify_new_lead(user, lead, capture) -> Notification:
    with capture(execute=True):
        return notify(
            user=user,
            kind=NotificationKind.LEAD_ASSIGNED,
            subject=f"New lead: {lead.first_name} {lead.last_name}",
            body=f"{lead.first_name} {lead.last_name} is yours.",
            url=f"/leads/{lead.pk}/",
            lead=lead,
        )


def health() -> dict:
    return Client().get("/healthz").json()


def test_a_line_feed_in_a_leads_name_does_not_stop_the_new_lead_email(
    personas, pat, smtp_server, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        n = notify_new_lead(personas.bob, pat, django_capture_on_commit_callbacks)
    (mail,) = smtp_server.to(personas.bob.email)
    assert mail.subject == "New lead: Pat Bcc: x@evil.example Lee"
    assert mail.rcpt_tos == [personas.bob.email]  # nothing injected
    assert (
        "Pat\r\nBcc: x@evil.example Lee is yours." in mail.body
    )  # the body keeps the line (CRLF on the wire)
    n.refresh_from_db()
    assert n.emailed_at == NOW and (n.email_attempts, n.email_error) == (1, "")
    assert n.subject.startswith("New lead: Pat\nBcc")  # and so does the record


def test_a_server_that_refuses_first_gets_the_email_on_the_retry(
    personas, pat, smtp_server, django_capture_on_commit_callbacks, run_due_tasks, client_for, api_client_for
):
    smtp_server.refuse = 1
    with time_machine.travel(NOW, tick=False):
        n = notify_new_lead(personas.bob, pat, django_capture_on_commit_callbacks)
        n.refresh_from_db()
        assert n.emailed_at is None and n.email_attempts == 1
        assert "451" in n.email_error
        assert n.email_retry_at == NOW + timedelta(minutes=1)
        assert health()["mail"] == {"failing": 1, "given_up": 0}
        page = client_for(personas.bob).get("/notifications/").content.decode()
        assert "Email not sent" in page and "trying again at" in page
        (shown,) = api_client_for(personas.bob).get("/api/v1/notifications").json()["results"]
        assert (shown["email_attempts"], shown["emailed_at"]) == (1, None)
        assert "451" in shown["email_error"] and shown["email_retry_at"].startswith("2026-03-03T10:01")
        assert run_due_tasks() == []  # not due yet
    assert smtp_server.to(personas.bob.email) == []
    with time_machine.travel(NOW + timedelta(minutes=1, seconds=1), tick=False):
        assert run_due_tasks() == ["notification_email_send_task"]
        (mail,) = smtp_server.to(personas.bob.email)
        assert mail.subject == "New lead: Pat Bcc: x@evil.example Lee"
        n.refresh_from_db()
        assert n.emailed_at is not None and (n.email_attempts, n.email_error, n.email_retry_at) == (
            2,
            "",
            None,
        )
        assert health()["mail"] == {"failing": 0, "given_up": 0}
        assert run_due_tasks() == []  # idempotent: nothing more to send


def test_after_the_last_attempt_it_gives_up_and_says_so_to_the_user_the_admin_and_healthz(
    personas, pat, smtp_server, django_capture_on_commit_callbacks, run_due_tasks, client_for, settings
):
    settings.ACCORD_EMAIL_MAX_ATTEMPTS = 3
    smtp_server.refuse = 100
    with time_machine.travel(NOW, tick=False):
        n = notify_new_lead(personas.bob, pat, django_capture_on_commit_callbacks)
    for minutes in (1, 3):  # backoff: 1 minute, then 2 more
        with time_machine.travel(NOW + timedelta(minutes=minutes, seconds=1), tick=False):
            assert run_due_tasks() == ["notification_email_send_task"]
    n.refresh_from_db()
    assert (n.email_attempts, n.emailed_at, n.email_retry_at) == (3, None, None)
    assert smtp_server.refused == 3
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert run_due_tasks() == []
    assert health()["mail"] == {"failing": 1, "given_up": 1}
    assert "given up" in client_for(personas.bob).get("/notifications/").content.decode()
    admin_page = client_for(personas.root).get("/admin/notifications/notification/?email=given_up")
    assert admin_page.status_code == 200
    assert "451" in admin_page.content.decode()


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        ("Pat\r\nLee", "Pat Lee"),
        ("Pat\rLee", "Pat Lee"),
        ("Pat\u2028Lee\x00", "Pat Lee"),
        ("Pat\x85\tLee", "Pat Lee"),
        ("  Plain  ", "Plain"),
    ],
)
def test_header_values_become_one_line_of_text(value, clean):
    assert header_clean(value) == clean
