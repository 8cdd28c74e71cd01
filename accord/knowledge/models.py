"""Knowledge: answers to the questions reps ask, who owns them and when they are due for review, and the
questions themselves (with a marketing owner and a deadline while unanswered)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accord.core.models import BaseModel, Channel


class Answer(BaseModel):
    """One answer reps can find: owned by a marketer, reviewed by a date, stale after it."""

    title = models.CharField(max_length=200, help_text="The question it answers, as a rep would ask it.")
    body = models.TextField()
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    review_by = models.DateField()
    times_asked = models.PositiveIntegerField(default=0, help_text="Questions this answer has resolved.")
    last_asked_at = models.DateTimeField(null=True, blank=True)
    stale_notified_on = models.DateField(null=True, blank=True)
    retired = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["retired", "review_by"], name="answer_review")]

    def __str__(self) -> str:
        return self.title

    @property
    def stale(self) -> bool:
        return self.review_by < timezone.localdate()


class AskedQuestionStatus(models.TextChoices):
    OPEN = "open", "Waiting for marketing"
    ANSWERED = "answered", "Answered"
    SELF_SERVED = "self_served", "Found an existing answer"


class Question(BaseModel):
    """A question a rep asked. Unanswered, it goes to a marketing owner who has until ``due_at``."""

    text = models.CharField(max_length=500)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=12, choices=AskedQuestionStatus.choices, default=AskedQuestionStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.PAGE)

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_at"], name="question_status_due"),
            models.Index(fields=["asked_by", "created_at"], name="question_asker"),
            models.Index(fields=["answer", "created_at"], name="question_answer"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def overdue(self) -> bool:
        return (
            self.status == AskedQuestionStatus.OPEN
            and self.due_at is not None
            and self.due_at < timezone.now()
        )
