"""Admin for notifications and preferences."""

from django.contrib import admin

from accord.notifications.models import Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "subject", "created_at", "read_at", "emailed_at", "email_mode")
    list_filter = ("kind", "email_mode")
    raw_id_fields = ("user", "lead")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "mode")
    list_filter = ("kind", "mode")
