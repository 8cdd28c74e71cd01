"""Admin for intelligence. Anonymous survey answers are not registered at all: the admin is a query path
too, and answers of an anonymous survey must not be listed next to anything about who gave them. Who has
answered (``SurveyParticipation``) is not registered either; reminders read it, nobody browses it."""

from django.contrib import admin

from accord.intelligence.models import FieldReport, PulseSurvey, ResearchQuestion, RideAlong


@admin.register(ResearchQuestion)
class ResearchQuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "status", "owner", "activated_at"]
    list_filter = ["status"]


@admin.register(PulseSurvey)
class PulseSurveyAdmin(admin.ModelAdmin):
    list_display = ["title", "status", "anonymous", "opens_at", "closes_at"]
    list_filter = ["status", "anonymous"]


@admin.register(FieldReport)
class FieldReportAdmin(admin.ModelAdmin):
    list_display = ["summary", "topic", "origin", "competitor", "product", "corroborated_at"]
    list_filter = ["topic", "origin"]
    search_fields = ["summary", "competitor", "product"]


@admin.register(RideAlong)
class RideAlongAdmin(admin.ModelAdmin):
    list_display = ["rep", "marketer", "kind", "status", "respond_by"]
    list_filter = ["kind", "status"]
