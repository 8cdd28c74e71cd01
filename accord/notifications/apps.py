from datetime import time, timedelta
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
        # Imported here: these modules need the app registry ready (models).
        from accord.campaigns.sending import register_account_control
        from accord.core.health import health_section_register
        from accord.core.notify import register_notification_sender
        from accord.core.periodic import Periodic, register_periodic
        from accord.notifications.mail_in import mail_in_address_for
        from accord.notifications.selectors import copy_recipients_for, sender_for
        from accord.notifications.services import notify
        from accord.people.profile import register_profile_field

        register_periodic(
            Periodic(
                "notification-digests",
                "accord.notifications.tasks.notification_digests_send_task",
                timedelta(days=1),
                time(7, 0),
            )
        )
        health_section_register("mail", mail_health)
        # Lower apps (SLA, routing, ...) notify through accord.core.notify; this app delivers.
        register_notification_sender(notify)
        # GET /api/v1/me shows the user's mail-in address; people sit below this app.
        register_profile_field("mail_in_address", lambda user: mail_in_address_for(user=user))
        # Campaign sending copies reps who asked for it and sends under the rep's name with consent.
        register_account_control(copy_recipients_for=copy_recipients_for, sender_for=sender_for)
