from django.contrib import admin

from accord.planning.models import Disagreement, Goal, Meeting, Plan, Promise, ProspectProfile


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    list_display = ("title", "side", "metric", "target", "period_start", "period_end", "owner")
    list_filter = ("side", "metric")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "fiscal_year", "status", "executive_sponsor")


@admin.register(Disagreement)
class DisagreementAdmin(admin.ModelAdmin):
    list_display = ("item", "status", "level", "assignee", "due_at")
    list_filter = ("status",)


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "starts_at", "team")


@admin.register(Promise)
class PromiseAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "due_on", "kept_at")


@admin.register(ProspectProfile)
class ProspectProfileAdmin(admin.ModelAdmin):
    list_display = ("name", "plan")
