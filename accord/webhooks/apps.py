from datetime import timedelta

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "accord.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported here: these modules need the app registry ready (models).
        from accord.core.events import register_event_subscriber
        from accord.core.periodic import Periodic, register_periodic
        from accord.webhooks.selectors import webhook_endpoints_listening
        from accord.webhooks.services import webhook_deliveries_create_for_events

        register_periodic(
            Periodic(
                "webhooks-sweep", "accord.webhooks.tasks.webhooks_housekeeping_task", timedelta(minutes=5)
            )
        )
        # Events reach outgoing webhooks through core's subscriber list; core does not import this app.
        register_event_subscriber(webhook_deliveries_create_for_events, listening=webhook_endpoints_listening)
