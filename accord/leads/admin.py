"""Admin for leads, accounts, sources, possible duplicates and import jobs.

Lead stage, score and merges are read-only here: they change through the services (intake,
``lead_stage_set``, ``lead_merge``) so that every change leaves an event.
"""

from __future__ import annotations

from django.contrib import admin

from accord.leads.models import (
    Account,
    AccountDomain,
    CustomFieldLabel,
    ImportJob,
    Lead,
    PossibleDuplicate,
    Source,
)


@admin.register(CustomFieldLabel)
class CustomFieldLabelAdmin(admin.ModelAdmin):
    """Labels for custom fields kept under their own names (a Salesforce 00N… id, a HubSpot property)."""

    list_display = ("key", "label", "updated_at")
    search_fields = ("key", "label")


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active", "queue_submissions", "public_key", "created_at")
    list_filter = ("kind", "is_active", "queue_submissions")
    search_fields = ("name", "public_key")
    readonly_fields = ("public_key", "created_at", "updated_at")


class AccountDomainInline(admin.TabularInline):
    model = AccountDomain
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("name", "industry", "size", "country", "owner", "created_at")
    list_filter = ("industry", "country")
    list_select_related = ("owner",)
    search_fields = ("name", "name_key", "domains__domain")
    readonly_fields = ("name_key", "created_at", "updated_at")
    autocomplete_fields = ("owner",)
    inlines = [AccountDomainInline]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = (
        "email",
        "first_name",
        "last_name",
        "company",
        "stage",
        "score",
        "owner",
        "source",
        "created_at",
    )
    list_filter = ("stage", "source", "consent")
    list_select_related = ("owner", "source")
    search_fields = ("email_key", "first_name", "last_name", "company")
    date_hierarchy = "created_at"
    autocomplete_fields = ("account", "owner")
    readonly_fields = (
        "email_key",
        "phone_key",
        "stage",
        "stage_changed_at",
        "score",
        "fit_score",
        "engagement_score",
        "criteria_version",
        "explanation",
        "scored_at",
        "merged_into",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("source",)


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(admin.ModelAdmin):
    list_display = ("lead", "other", "reason", "similarity", "status", "resolved_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("lead", "other", "resolved_by")
    raw_id_fields = ("lead", "other")
    readonly_fields = ("resolved_by", "resolved_at", "created_at", "updated_at")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "status",
        "rows_done",
        "rows_total",
        "source",
        "created_by",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("source", "created_by")
    readonly_fields = ("summary", "rows_total", "rows_done", "finished_at", "created_at", "updated_at")
    raw_id_fields = ("source", "created_by")
