"""Admin for deals (read-only: wins, losses and conversions go through the services so events are kept)."""

from django.contrib import admin

from accord.deals.models import Deal


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "contact", "owner", "amount", "currency", "stage", "closed_at")
    list_filter = ("stage", "currency")
    search_fields = ("name", "account__name", "contact__email")
    list_select_related = ("account", "contact", "owner")
    raw_id_fields = ("account", "contact", "owner", "created_by")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
