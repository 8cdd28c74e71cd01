"""Notification tasks: send the digests (declare it as periodic work, e.g. daily at 08:00)."""

from __future__ import annotations

from django_tasks import task

from accord.notifications import services


@task()
def notification_digests_send_task() -> dict[str, int]:
    return {str(user_id): count for user_id, count in services.notification_digests_send_all().items()}


@task()
def notification_email_send_task(notification_id: int) -> bool:
    """A retry of a failed email; idempotent (a notification already emailed is not sent again)."""
    return services.notification_email_send(notification_id=notification_id)
