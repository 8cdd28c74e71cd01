"""Admin for SLA policies (editable) and clocks and touches (read mostly)."""

from django.contrib import admin

from accord.sla.models import (
    ExternalQualificationConfig,
    ExternalReview,
    NurtureTrack,
    ScorecardWeights,
    SlaClock,
    SlaPolicy,
    Touch,
)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "is_active",
        "is_default",
        "min_score",
        "stage",
        "source",
        "accept_hours",
        "first_touch_hours",
        "next_touch_hours",
        "recycle_after_hours",
    )
    list_filter = ("is_active", "is_default")


@admin.register(SlaClock)
class SlaClockAdmin(admin.ModelAdmin):
    list_display = (
        "lead",
        "kind",
        "owner",
        "started_at",
        "due_at",
        "breached_at",
        "met_at",
        "stopped_at",
        "escalated_level",
    )
    list_filter = ("kind",)
    raw_id_fields = ("lead", "owner")
    readonly_fields = (
        "started_at",
        "due_at",
        "remind_at",
        "reminded_at",
        "breached_at",
        "met_at",
        "stopped_at",
        "escalated_level",
    )


@admin.register(Touch)
class TouchAdmin(admin.ModelAdmin):
    list_display = ("lead", "user", "kind", "outcome", "occurred_at", "channel")
    list_filter = ("kind", "outcome", "channel")
    raw_id_fields = ("lead", "user")


@admin.register(ScorecardWeights)
class ScorecardWeightsAdmin(admin.ModelAdmin):
    """One row: the weights every scorecard uses. Adding a second row is not offered."""

    list_display = ("__str__", "updated_at")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return not ScorecardWeights.objects.exists()

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        obj.pk = 1  # the single row scorecards read
        super().save_model(request, obj, form, change)


@admin.register(NurtureTrack)
class NurtureTrackAdmin(admin.ModelAdmin):
    list_display = ("lead", "source", "entered_at", "recheck_on", "recheck_count")
    list_filter = ("source",)
    raw_id_fields = ("lead",)


@admin.register(ExternalQualificationConfig)
class ExternalQualificationConfigAdmin(admin.ModelAdmin):
    list_display = ("provider_name", "enabled")


@admin.register(ExternalReview)
class ExternalReviewAdmin(admin.ModelAdmin):
    list_display = ("lead", "provider_name", "requested_at", "due_at", "verdict", "decided_at")
    list_filter = ("verdict",)
    raw_id_fields = ("lead",)
    readonly_fields = ("decided_by", "decided_at")
