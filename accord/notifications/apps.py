from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "accord.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Lower apps (SLA, routing, ...) notify through accord.core.notify; this app delivers.
        from accord.core.notify import register_notification_sender
        from accord.notifications.services import notify

        register_notification_sender(notify)
