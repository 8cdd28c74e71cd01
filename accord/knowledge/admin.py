from django.contrib import admin

from accord.knowledge.models import Answer, Question


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "review_by", "times_asked", "retired"]
    list_filter = ["retired"]
    search_fields = ["title"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text", "asked_by", "status", "owner", "due_at"]
    list_filter = ["status"]
