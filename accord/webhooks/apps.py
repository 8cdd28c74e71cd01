from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "accord.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Events reach outgoing webhooks through core's subscriber list; core does not import this app.
        from accord.core.events import register_event_subscriber
        from accord.webhooks.selectors import webhook_endpoints_listening
        from accord.webhooks.services import webhook_deliveries_create_for_events

        register_event_subscriber(webhook_deliveries_create_for_events, listening=webhook_endpoints_listening)
