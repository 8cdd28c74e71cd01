"""Admin views of criteria: read-only, because versions change only through drafts and sign-offs."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from accord.qualification.models import CriteriaRule, CriteriaSet, SignOff


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CriteriaRuleInline(_ReadOnly, admin.TabularInline):
    model = CriteriaRule
    extra = 0
    fields = ("position", "kind", "field", "operator", "value", "points", "half_life_days", "label")


class SignOffInline(_ReadOnly, admin.TabularInline):
    model = SignOff
    extra = 0
    fields = ("role", "user", "signed_at", "comment")


@admin.register(CriteriaSet)
class CriteriaSetAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("version", "name", "status", "mql_threshold", "activated_at", "retired_at")
    list_filter = ("status",)
    search_fields = ("name", "notes")
    inlines = [CriteriaRuleInline, SignOffInline]


@admin.register(SignOff)
class SignOffAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("criteria_set", "role", "user", "signed_at")
    list_filter = ("role",)
