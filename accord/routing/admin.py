"""Admin for routing: queues and rep capacity are edited here; rule versions are read-only
(they change through the routing page so every change is versioned)."""

from django.contrib import admin

from accord.routing.models import LeadRouting, Queue, RepCapacity, RoundRobinPointer, RoutingRuleSet


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "is_fallback")
    list_select_related = ("owner",)


@admin.register(RepCapacity)
class RepCapacityAdmin(admin.ModelAdmin):
    list_display = ("user", "daily_limit", "weekly_limit", "weight", "accepts_leads")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)


@admin.register(RoutingRuleSet)
class RoutingRuleSetAdmin(admin.ModelAdmin):
    list_display = ("version", "status", "activated_at", "created_by")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(RoundRobinPointer)
class RoundRobinPointerAdmin(admin.ModelAdmin):
    list_display = ("team", "counter", "last_user")
    readonly_fields = ("team", "counter", "last_user", "credits")


@admin.register(LeadRouting)
class LeadRoutingAdmin(admin.ModelAdmin):
    list_display = ("lead", "queue", "reason", "rule_set_version", "routed_at")
    list_select_related = ("lead", "queue")
    readonly_fields = ("lead", "queue", "rule", "rule_set_version", "reason", "explanation", "routed_at")
