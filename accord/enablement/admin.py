"""Admin for enablement. Approvers (who decides the compliance and legal gates) are set here; the rest is
read-only, since briefs, materials, reviews and shares change through the services so events are kept."""

from typing import Any

from django.contrib import admin

from accord.enablement.models import (
    Approval,
    Approver,
    Brief,
    Committee,
    CommitteeReview,
    Material,
    PositioningRound,
    Share,
)


@admin.register(Approver)
class ApproverAdmin(admin.ModelAdmin):
    list_display = ("user", "gate", "created_at")
    list_filter = ("gate",)
    raw_id_fields = ("user",)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Brief)
class BriefAdmin(ReadOnlyAdmin):
    list_display = ("title", "product", "owner", "marketing_agreed_at", "sales_agreed_at")
    search_fields = ("title", "product")


@admin.register(Material)
class MaterialAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "status",
        "owner",
        "customer_facing",
        "needs_compliance",
        "needs_legal",
        "published_at",
    )
    list_filter = ("status", "customer_facing", "needs_legal", "needs_compliance")
    search_fields = ("title", "product")
    list_select_related = ("owner",)


@admin.register(Committee)
class CommitteeAdmin(ReadOnlyAdmin):
    list_display = ("name", "starts_on", "ends_on")


@admin.register(CommitteeReview)
class CommitteeReviewAdmin(ReadOnlyAdmin):
    list_display = ("material", "submitted_at", "deadline", "outcome")
    list_filter = ("outcome",)


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ("material", "gate", "decision", "decided_by", "created_at")


@admin.register(PositioningRound)
class PositioningRoundAdmin(ReadOnlyAdmin):
    list_display = ("product", "deadline", "closed_at")


@admin.register(Share)
class ShareAdmin(ReadOnlyAdmin):
    list_display = ("material", "lead", "shared_by", "views", "emailed_at", "under_rep_name")
    exclude = ("token",)
