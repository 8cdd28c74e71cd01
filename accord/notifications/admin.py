"""Admin for notifications and preferences."""

from django.contrib import admin

from accord.notifications.models import (
    CommunicationCopyRequest,
    MailInAddress,
    MailInMessage,
    Notification,
    NotificationPreference,
    SenderConsent,
)


class EmailFailingFilter(admin.SimpleListFilter):
    """Notifications whose email failed: waiting for a retry, or given up."""

    title = "email"
    parameter_name = "email"

    def lookups(self, request, model_admin):
        return [("failing", "Failing"), ("given_up", "Given up")]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.email_failing()
        if self.value() == "given_up":
            return queryset.email_failing().filter(email_retry_at__isnull=True)
        return queryset


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "kind",
        "subject",
        "created_at",
        "read_at",
        "emailed_at",
        "email_mode",
        "email_attempts",
        "email_error",
        "email_retry_at",
    )
    list_filter = ("kind", "email_mode", EmailFailingFilter)
    raw_id_fields = ("user", "lead")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "mode")
    list_filter = ("kind", "mode")


@admin.register(MailInAddress)
class MailInAddressAdmin(admin.ModelAdmin):
    list_display = ("user", "token", "created_at")
    search_fields = ("user__username", "token")
    raw_id_fields = ("user",)


@admin.register(MailInMessage)
class MailInMessageAdmin(admin.ModelAdmin):
    list_display = ("user", "status", "subject", "from_address", "direction", "created_at")
    list_filter = ("status", "direction")
    search_fields = ("subject", "from_address", "message_id")
    raw_id_fields = ("user",)
    exclude = ("raw",)


@admin.register(CommunicationCopyRequest)
class CommunicationCopyRequestAdmin(admin.ModelAdmin):
    list_display = ("user", "scope", "account", "created_at")
    raw_id_fields = ("user", "account")


@admin.register(SenderConsent)
class SenderConsentAdmin(admin.ModelAdmin):
    list_display = ("user", "scope", "account", "granted_at", "revoked_at")
    list_filter = ("scope",)
    raw_id_fields = ("user", "account")
