"""Who may do what with knowledge: everyone signed in reads answers and asks questions; marketing (and
admins) answer questions and write answers; a question is seen by its asker, the asker's managers,
marketing, heads and admins."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.core.errors import AccessDenied, NotFound
from accord.people.access import MARKETING_ROLES, Viewer, is_signed_in, managed_user_ids
from accord.people.models import Role

ANSWER_WRITER_ROLES = MARKETING_ROLES | {Role.ADMIN}
ALL_QUESTIONS_ROLES = MARKETING_ROLES | {Role.ADMIN, Role.SALES_HEAD, Role.EXECUTIVE}


def roles_of(user: Viewer) -> frozenset[str]:
    return user.role_set if is_signed_in(user) else frozenset()


def require_answer_writer(user: Viewer) -> None:
    if not roles_of(user) & ANSWER_WRITER_ROLES:
        raise AccessDenied("Only marketing answers questions and writes answers.")


def answers_visible_to(user: Viewer) -> QuerySet[Any]:
    from accord.knowledge.models import Answer

    if not is_signed_in(user):
        return Answer.objects.none()
    rows = Answer.objects.all()
    return rows if roles_of(user) & ANSWER_WRITER_ROLES else rows.filter(retired=False)


def questions_visible_to(user: Viewer) -> QuerySet[Any]:
    from accord.knowledge.models import Question

    if not is_signed_in(user):
        return Question.objects.none()
    if roles_of(user) & ALL_QUESTIONS_ROLES:
        return Question.objects.all()
    return Question.objects.filter(Q(asked_by=user) | Q(asked_by__in=managed_user_ids(user)))


def access_question_by_id(user: Viewer, question_id: int) -> Any:
    found = questions_visible_to(user).filter(pk=question_id).first()
    if found is None:
        raise NotFound(f"Question {question_id} was not found.", detail={"id": question_id})
    return found


def access_answer_by_id(user: Viewer, answer_id: int) -> Any:
    found = answers_visible_to(user).filter(pk=answer_id).first()
    if found is None:
        raise NotFound(f"Answer {answer_id} was not found.", detail={"id": answer_id})
    return found
