"""Admin views of the audit trail and export log: read-only, nobody adds, edits or deletes rows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accord.audit.models import ChangeRecord, ExportRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "actor_name",
        "channel",
        "object_type",
        "object_id",
        "object_repr",
        "action",
    )
    list_filter = ("channel", "action", "object_type", "is_configuration")
    search_fields = ("object_repr", "actor_name", "object_id", "request_id")
    date_hierarchy = "occurred_at"


@admin.register(ExportRecord)
class ExportRecordAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "username", "what", "filename", "row_count", "channel")
    list_filter = ("what", "channel")
    search_fields = ("username", "what", "filename")
    date_hierarchy = "occurred_at"
