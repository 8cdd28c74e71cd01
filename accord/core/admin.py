"""Admin for the organisation's settings and a read-only view of the event log."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accord.core.models import Event, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "fiscal_year_start_month", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One organisation row holds the company-wide settings.
        return not Organization.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Events are appended by services and never changed: the admin only shows them."""

    list_display = ("occurred_at", "type", "subject_type", "subject_id", "stage", "channel", "actor")
    list_filter = ("type", "channel", "subject_type", "stage")
    list_select_related = ("actor",)
    search_fields = ("type", "=subject_id")
    date_hierarchy = "occurred_at"
    show_full_result_count = False  # counting millions of events on every page is slow

    def get_readonly_fields(self, request: HttpRequest, obj: Event | None = None) -> list[str]:
        return [f.name for f in Event._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False
