"""Writes for knowledge: asking a question (sent to a marketing owner with a deadline unless an existing
answer resolves it), answering it, writing and reviewing answers, and the deadline and review checks.
Who may do each is asked of ``accord.people.access``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.models import Channel
from accord.core.notify import notify
from accord.knowledge.models import Answer, AskedQuestionStatus, Question
from accord.knowledge.search import answer_reindex
from accord.knowledge.tasks import question_deadline_task
from accord.people import access
from accord.people.models import Role, User

ANSWER_HOURS = 24
REVIEW_DAYS = 180


def _answer_hours() -> int:
    return int(getattr(settings, "ACCORD_KNOWLEDGE_ANSWER_HOURS", ANSWER_HOURS))


def question_owner_pick() -> User | None:
    """The marketer with the fewest open questions (ties by name); the marketing head when no marketer."""
    marketers = User.objects.filter(is_active=True, roles__role=Role.MARKETING).distinct()
    counts = dict(
        Question.objects.filter(status=AskedQuestionStatus.OPEN, owner__isnull=False)
        .values_list("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    ranked = sorted(marketers, key=lambda u: (counts.get(u.pk, 0), u.username))
    if ranked:
        return ranked[0]
    return User.objects.filter(is_active=True, roles__role=Role.MARKETING_HEAD).order_by("username").first()


def _clean_text(text: str) -> str:
    text = " ".join((text or "").split())
    if len(text) < 5:
        raise ApplicationError("Write the question (at least a few words).", detail={"text": "too short"})
    if len(text) > 500:
        raise ApplicationError("A question is at most 500 characters.", detail={"text": "too long"})
    return text


@transaction.atomic
def question_ask(
    *, user: User, text: str, resolved_by: Answer | None = None, channel: str = Channel.PAGE
) -> Question:
    """A rep asks. With ``resolved_by`` (an answer they found while typing) the question is counted
    against that answer and goes to nobody; otherwise it goes to a marketing owner with a deadline."""
    if not user.is_authenticated:
        raise AccessDenied("Sign in to ask.")
    text = _clean_text(text)
    if resolved_by is not None:
        resolved_by = access.access_knowledge_answer_by_id(user, resolved_by.pk, action="cite")
    now = timezone.now()
    question = Question(text=text, asked_by=user, channel=channel)
    if resolved_by is not None:
        question.status = AskedQuestionStatus.SELF_SERVED
        question.answer = resolved_by
        question.answered_at = now
        question.save()
        _count_ask(resolved_by, now)
        event_record(
            type="question.self_served",
            subject=question,
            actor=user,
            channel=channel,
            payload={"answer": resolved_by.pk},
        )
        return question
    question.owner = question_owner_pick()
    question.due_at = now + timedelta(hours=_answer_hours())
    question.save()
    event_record(
        type="question.asked",
        subject=question,
        actor=user,
        channel=channel,
        payload={"owner": question.owner_id, "due_at": question.due_at.isoformat()},
    )
    if question.owner is not None:
        notify(
            user=question.owner,
            kind="knowledge_question",
            subject=f"{user} asks: {text[:80]}",
            body=f"Please answer by {timezone.localtime(question.due_at):%d %b %H:%M}.",
            url=reverse("knowledge:question", args=[question.pk]),
        )
    transaction.on_commit(
        lambda: question_deadline_task.using(run_after=question.due_at).enqueue(question.pk)
    )
    return question


def _count_ask(answer: Answer, now: Any) -> None:
    Answer.objects.filter(pk=answer.pk).update(times_asked=F("times_asked") + 1, last_asked_at=now)
    answer.refresh_from_db(fields=["times_asked", "last_asked_at"])
    answer_reindex(answer)  # the question's words join the answer's


def _review_by(value: date | None) -> date:
    today = timezone.localdate()
    review_by = value or today + timedelta(days=REVIEW_DAYS)
    if review_by <= today:
        raise ApplicationError("The review date must be in the future.", detail={"review_by": "in the past"})
    return review_by


@transaction.atomic
def answer_create(
    *, user: User, title: str, body: str, owner: User | None = None, review_by: date | None = None
) -> Answer:
    """Write an answer reps can find. Its owner (a marketer) keeps it true until ``review_by``."""
    access.require(access.may_write_answers(user), access.KNOWLEDGE_WRITER_REFUSAL)
    owner = owner or user
    if not owner.has_role(*access.KNOWLEDGE_WRITER_ROLES):
        raise ApplicationError(
            f"{owner} cannot own answers: not in marketing.", detail={"owner": "not marketing"}
        )
    title, body = " ".join((title or "").split()), (body or "").strip()
    if not title or not body:
        raise ApplicationError(
            "An answer needs a title (the question) and a body.",
            detail={"title": "required", "body": "required"},
        )
    answer = Answer(title=title[:200], body=body, owner=owner, review_by=_review_by(review_by))
    answer.full_clean()
    answer.save()
    event_record(type="answer.created", subject=answer, actor=user)
    return answer


@transaction.atomic
def answer_update(
    *,
    user: User,
    answer: Answer,
    title: str | None = None,
    body: str | None = None,
    review_by: date | None = None,
    retired: bool | None = None,
) -> Answer:
    """Change or review an answer (a review with no change moves the review date on)."""
    access.require(access.may_write_answers(user), access.KNOWLEDGE_WRITER_REFUSAL)
    answer = access.access_knowledge_answer_by_id(user, answer.pk, action="act", lock=True)
    if title is not None:
        answer.title = " ".join(title.split())[:200]
    if body is not None:
        answer.body = body.strip()
    if retired is not None:
        answer.retired = retired
    answer.review_by = _review_by(review_by)
    answer.stale_notified_on = None
    answer.full_clean()
    answer.save()
    event_record(
        type="answer.reviewed",
        subject=answer,
        actor=user,
        payload={"review_by": answer.review_by.isoformat()},
    )
    return answer


@transaction.atomic
def question_answer(
    *,
    user: User,
    question: Question,
    answer: Answer | None = None,
    title: str = "",
    body: str = "",
    review_by: date | None = None,
) -> Question:
    """Marketing answers a question: with an existing answer, or a new one (which every rep then finds)."""
    access.require(access.may_write_answers(user), access.KNOWLEDGE_WRITER_REFUSAL)
    question = access.access_knowledge_question_by_id(user, question.pk, action="answer", lock=True)
    if question.status != AskedQuestionStatus.OPEN:
        raise Conflict("This question has been answered already.", detail={"id": question.pk})
    if answer is not None:
        answer = access.access_knowledge_answer_by_id(user, answer.pk, action="cite")
    else:
        answer = answer_create(user=user, title=title or question.text, body=body, review_by=review_by)
    now = timezone.now()
    question.status = AskedQuestionStatus.ANSWERED
    question.answer = answer
    question.answered_at = now
    question.answered_by = user
    question.save()
    _count_ask(answer, now)
    event_record(
        type="question.answered",
        subject=question,
        actor=user,
        payload={"answer": answer.pk, "on_time": bool(question.due_at and now <= question.due_at)},
    )
    notify(
        user=question.asked_by,
        kind="knowledge_question",
        subject=f"Answered: {question.text[:80]}",
        body=answer.title,
        url=reverse("knowledge:answer", args=[answer.pk]),
    )
    return question


def question_deadline(*, question_id: int) -> bool:
    """At a question's deadline: still open, its owner and the marketing head are told. Idempotent."""
    with transaction.atomic():
        question = Question.objects.select_for_update().filter(pk=question_id).first()
        if question is None or question.status != AskedQuestionStatus.OPEN or question.overdue_notified_at:
            return False
        if question.due_at and question.due_at > timezone.now():
            return False
        question.overdue_notified_at = timezone.now()
        question.save(update_fields=["overdue_notified_at", "updated_at"])
        event_record(type="question.overdue", subject=question, payload={"owner": question.owner_id})
        people = list(User.objects.filter(is_active=True, roles__role=Role.MARKETING_HEAD).distinct())
        if question.owner is not None:
            people.insert(0, question.owner)
        for person in {p.pk: p for p in people}.values():
            notify(
                user=person,
                kind="knowledge_question",
                subject=f"Overdue question: {question.text[:80]}",
                body=f"Asked by {question.asked_by}; it was due {timezone.localtime(question.due_at):%d %b %H:%M}.",
                url=reverse("knowledge:question", args=[question.pk]),
            )
        return True


def answers_flag_stale(*, today: date | None = None) -> int:
    """Daily: tell each owner once about their answers past the review date."""
    today = today or timezone.localdate()
    told = 0
    for answer in Answer.objects.filter(
        retired=False, review_by__lt=today, stale_notified_on=None
    ).select_related("owner"):
        notify(
            user=answer.owner,
            kind="knowledge_question",
            subject=f"Answer to review: {answer.title[:80]}",
            body=f"Its review date was {answer.review_by:%d %b %Y}; reps see it flagged as possibly out of date.",
            url=reverse("knowledge:answer", args=[answer.pk]),
        )
        Answer.objects.filter(pk=answer.pk).update(stale_notified_on=today)
        told += 1
    return told
