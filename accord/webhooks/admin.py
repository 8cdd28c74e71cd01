"""Admin for webhooks. The signing secret is never displayed (it was shown once, on creation)."""

from __future__ import annotations

from django.contrib import admin

from accord.webhooks.models import ExternalEvent, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "is_active", "allow_private", "created_at")
    list_filter = ("is_active", "allow_private")
    exclude = ("secret",)
    readonly_fields = ("created_by",)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type")
    list_select_related = ("endpoint",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]


@admin.register(ExternalEvent)
class ExternalEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "source", "external_id", "lead", "status_code")
    list_select_related = ("source",)
    search_fields = ("=external_id",)
    readonly_fields = [f.name for f in ExternalEvent._meta.fields]
