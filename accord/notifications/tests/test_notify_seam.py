"""accord.core.notify: lower apps notify through the seam; the notifications app delivers."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from accord.core import notify as seam
from accord.notifications.models import Notification, NotificationKind
from accord.notifications.services import notify as deliver


def test_the_notifications_app_registers_its_delivery_behind_the_seam():
    assert seam._sender is deliver


def test_a_notification_sent_through_the_seam_loses_nothing(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        n = seam.notify(
            user=personas.bob,
            kind=NotificationKind.LEAD_ASSIGNED,
            subject="New lead: Pat",
            body="Round-robin in Inbound",
            url="/leads/7/",
        )
    stored = Notification.objects.get(pk=n.pk)
    assert (stored.user, stored.kind, stored.subject, stored.body, stored.url) == (
        personas.bob,
        NotificationKind.LEAD_ASSIGNED,
        "New lead: Pat",
        "Round-robin in Inbound",
        "/leads/7/",
    )
    assert [m.subject for m in mail.outbox] == ["New lead: Pat"]


def test_a_notification_already_emailed_by_its_caller_is_not_emailed_again(
    personas, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        n = seam.notify(
            user=personas.bob, kind=NotificationKind.OTHER, subject="Replied", body="", already_emailed=True
        )
    assert mail.outbox == [] and Notification.objects.get(pk=n.pk).emailed_at is not None


def test_without_a_registered_sender_notify_refuses_instead_of_dropping_the_notification(
    monkeypatch, personas
):
    monkeypatch.setattr(seam, "_sender", None)
    with pytest.raises(ImproperlyConfigured, match=r"accord\.notifications"):
        seam.notify(user=personas.bob, kind=NotificationKind.OTHER, subject="Lost?", body="")
    assert not Notification.objects.exists()
