"""Admin for campaigns, cost lines, touchpoints and communications (read-mostly: writes belong to the
services)."""

from django.contrib import admin

from accord.campaigns.models import Campaign, Communication, CostLine, Delivery, Touchpoint, Variant


class CostLineInline(admin.TabularInline):
    model = CostLine
    extra = 0
    fields = ("period_start", "period_end", "amount", "currency", "note", "created_by")
    readonly_fields = fields
    can_delete = False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "channel",
        "status",
        "owner",
        "start_date",
        "end_date",
        "budget",
        "currency",
        "utm_campaign",
    )
    list_filter = ("channel", "status")
    search_fields = ("name", "utm_campaign")
    raw_id_fields = ("owner", "parent")
    inlines = [CostLineInline]


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "lead", "kind", "campaign", "channel", "utm_source", "utm_medium")
    list_filter = ("kind", "channel")
    raw_id_fields = ("lead", "campaign", "source")
    list_select_related = ("lead", "campaign")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class VariantInline(admin.TabularInline):
    model = Variant
    extra = 0
    fields = ("key", "subject", "weight")
    readonly_fields = fields
    can_delete = False


@admin.register(Communication)
class CommunicationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "campaign",
        "kind",
        "status",
        "success_metric",
        "success_window_days",
        "first_sent_at",
    )
    list_filter = ("kind", "status", "success_metric")
    search_fields = ("name", "subject")
    raw_id_fields = ("campaign", "created_by")
    inlines = [VariantInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("communication", "variant", "lead", "status", "sent_at", "clicked_at", "replied_at")
    list_filter = ("status",)
    raw_id_fields = ("communication", "variant", "lead")
    list_select_related = ("communication", "variant", "lead")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
