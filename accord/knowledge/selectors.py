"""Reads for knowledge: questions a person may see, the marketing queue, answers asked most often (which
suggest new material), stale answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accord.knowledge.models import Answer, AskedQuestionStatus, Question
from accord.people.access import knowledge_answers_visible_to, knowledge_questions_visible_to

OFTEN_ASKED = 3
OFTEN_WINDOW_DAYS = 90


def questions_for(*, user: Any, status: str = "", mine: bool = False) -> QuerySet[Question]:
    rows = (
        knowledge_questions_visible_to(user)
        .select_related("asked_by", "owner", "answer")
        .order_by("-created_at", "-pk")
    )
    if status:
        rows = rows.filter(status=status)
    if mine:
        rows = rows.filter(asked_by=user)
    return rows


def open_queue(*, user: Any) -> QuerySet[Question]:
    """Unanswered questions, the most overdue first."""
    return questions_for(user=user, status=AskedQuestionStatus.OPEN).order_by("due_at", "pk")


@dataclass(frozen=True)
class OftenAsked:
    answer: Answer
    asked: int


def often_asked(*, user: Any, limit: int = 10) -> list[OftenAsked]:
    """Answers asked for at least OFTEN_ASKED times in the last 90 days: the topics that deserve a proper
    piece of material (a brief, a battle card) rather than an answer in a list."""
    since = timezone.now() - timedelta(days=OFTEN_WINDOW_DAYS)
    rows = (
        knowledge_answers_visible_to(user)
        .annotate(asked=Count("questions", filter=Q(questions__created_at__gte=since)))
        .filter(asked__gte=OFTEN_ASKED)
        .select_related("owner")
        .order_by("-asked", "pk")[:limit]
    )
    return [OftenAsked(a, a.asked) for a in rows]


def stale_answers(*, user: Any, limit: int = 50) -> QuerySet[Answer]:
    return (
        knowledge_answers_visible_to(user)
        .filter(retired=False, review_by__lt=timezone.localdate())
        .select_related("owner")
        .order_by("review_by")[:limit]
    )


def answers_list(*, user: Any) -> QuerySet[Answer]:
    return knowledge_answers_visible_to(user).select_related("owner").order_by("-times_asked", "title")
