"""Admin for privacy: the erasure log (read-only) and the trash."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accord.privacy.models import ErasureRecord, LeadTrash


@admin.register(ErasureRecord)
class ErasureRecordAdmin(admin.ModelAdmin):
    """Proof of erasures. Read-only: a record is never edited or removed by hand."""

    list_display = ("pk", "created_at", "actor_name", "reason")
    search_fields = ("email_hash", "actor_name", "reason")
    readonly_fields = (
        "email_hash",
        "lead_ids",
        "actor",
        "actor_name",
        "reason",
        "counts",
        "files",
        "created_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LeadTrash)
class LeadTrashAdmin(admin.ModelAdmin):
    """Leads in the trash; restore them from the Trash page (/privacy/trash/), which records an event."""

    list_display = ("lead", "deleted_at", "deleted_by", "reason")
    list_select_related = ("lead", "deleted_by")
    readonly_fields = ("lead", "deleted_at", "deleted_by", "reason")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
