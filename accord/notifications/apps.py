from typing import Any

from django.apps import AppConfig


def mail_health() -> dict[str, Any]:
    """/healthz "mail": notifications whose email failed (waiting for a retry, or given up)."""
    from accord.notifications.models import Notification

    failing = Notification.objects.email_failing()
    return {"failing": failing.count(), "given_up": failing.filter(email_retry_at__isnull=True).count()}


class NotificationsConfig(AppConfig):
    name = "accord.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from accord.core.health import health_section_register

        health_section_register("mail", mail_health)
