"""notify(): the inbox row always, email by the user's preference for the kind."""

from __future__ import annotations

from django.core import mail

from accord.notifications.models import EmailMode, Notification, NotificationKind
from accord.notifications.services import (
    notification_digests_send_all,
    notification_email_send,
    notification_preference_set,
    notify,
)


def test_an_immediate_notification_is_emailed_once_after_commit(personas, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        n = notify(
            user=personas.bob,
            kind=NotificationKind.SLA_REMINDER,
            subject="Call Pat",
            body="Soon",
            url="/leads/1/",
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert [m.to for m in mail.outbox] == [[personas.bob.email]]
    assert mail.outbox[0].subject == "Call Pat" and "http://127.0.0.1:8000/leads/1/" in mail.outbox[0].body
    n.refresh_from_db()
    assert n.emailed_at is not None
    assert notification_email_send(notification_id=n.pk) is False
    assert len(mail.outbox) == 1


def test_off_keeps_the_inbox_row_but_sends_no_email(personas, django_capture_on_commit_callbacks):
    notification_preference_set(user=personas.bob, kind=NotificationKind.SLA_REMINDER, mode=EmailMode.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        notify(user=personas.bob, kind=NotificationKind.SLA_REMINDER, subject="Call Pat", body="")
    assert mail.outbox == [] and Notification.objects.filter(user=personas.bob).count() == 1


def test_digest_notifications_go_out_together_in_one_email(personas, django_capture_on_commit_callbacks):
    notification_preference_set(user=personas.mike, kind=NotificationKind.SLA_BREACH, mode=EmailMode.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        for name in ("Pat", "Sam", "Lou"):
            notify(
                user=personas.mike, kind=NotificationKind.SLA_BREACH, subject=f"Bob missed {name}", body=""
            )
        notify(user=personas.mike, kind=NotificationKind.SLA_ESCALATION, subject="Escalated", body="")
    assert [m.subject for m in mail.outbox] == ["Escalated"]
    assert notification_digests_send_all() == {personas.mike.pk: 3}
    digest = mail.outbox[-1]
    assert digest.subject == "Accord digest: 3 notifications" and "Bob missed Lou" in digest.body
    assert notification_digests_send_all() == {}
    assert len(mail.outbox) == 2


def test_digests_arrive_over_real_smtp(personas, smtp_server):
    notification_preference_set(
        user=personas.sam, kind=NotificationKind.SLA_ESCALATION, mode=EmailMode.DIGEST
    )
    notify(user=personas.sam, kind=NotificationKind.SLA_ESCALATION, subject="Escalated: Pat", body="")
    notification_digests_send_all()
    [received] = smtp_server.messages
    assert received.rcpt_tos == [personas.sam.email] and "Escalated: Pat" in received.body
