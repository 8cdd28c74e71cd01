"""API for knowledge: ask a question (suggested answers come back with it), list questions, answer one,
and search answers as-you-type (ranked, with owner and review date)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut, offset_page
from accord.core.fulltext import snippet_text
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.knowledge import selectors, services
from accord.knowledge.models import Answer, AskedQuestionStatus, Question
from accord.knowledge.search import answers_search
from accord.people import access
from accord.people.access import signed_in_user

router = Router(tags=["knowledge"])


class AnswerRefOut(Schema):
    id: int
    title: str
    body: str
    owner: str
    review_by: date
    stale: bool = Field(description="Past its review date: it may be out of date.")
    times_asked: int


def answer_ref(answer: Answer) -> dict[str, Any]:
    return {
        "id": answer.pk,
        "title": answer.title,
        "body": answer.body,
        "owner": answer.owner.username,
        "review_by": answer.review_by,
        "stale": answer.stale,
        "times_asked": answer.times_asked,
    }


class AnswerHitOut(AnswerRefOut):
    score: float
    snippet: str


class AnswerSearchOut(Schema):
    query: str
    results: list[AnswerHitOut]


class AnswerSearchQuery(Schema):
    q: str = Field(
        "", max_length=500, description="What the rep is typing; the last word matches as a prefix."
    )
    limit: int = Field(5, ge=1, le=20)


@router.get("/answers/search", response=AnswerSearchOut, summary="Search answers while typing a question")
def search_answers(request: HttpRequest, query: Query[AnswerSearchQuery]) -> dict[str, Any]:
    """Ranked by full-text relevance (title, then body, then earlier phrasings of the question)."""
    user = signed_in_user(request)
    hits = answers_search(user=user, query=query.q, limit=query.limit)
    return {
        "query": query.q,
        "results": [
            {**answer_ref(h.answer), "score": round(h.score, 6), "snippet": snippet_text(h.snippet)}
            for h in hits
        ],
    }


class QuestionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=500)
    resolved_by: int | None = Field(
        None,
        description="An answer that already answers it (found while typing): nobody is asked, it is counted.",
    )


class QuestionOut(Schema):
    id: int
    text: str
    status: AskedQuestionStatus
    asked_by: str
    owner: str | None
    due_at: datetime | None
    overdue: bool
    answer: AnswerRefOut | None
    answered_at: datetime | None
    created_at: datetime


class QuestionCreatedOut(QuestionOut):
    suggestions: list[AnswerHitOut] = Field(description="Existing answers that may already answer it.")


class QuestionListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[QuestionOut]


class QuestionQuery(Schema):
    status: AskedQuestionStatus | None = None
    mine: bool = False
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def question_out(question: Question) -> dict[str, Any]:
    return {
        "id": question.pk,
        "text": question.text,
        "status": question.status,
        "asked_by": question.asked_by.username,
        "owner": question.owner.username if question.owner else None,
        "due_at": question.due_at,
        "overdue": question.overdue,
        "answer": answer_ref(question.answer) if question.answer else None,
        "answered_at": question.answered_at,
        "created_at": question.created_at,
    }


@router.get("/questions", response=QuestionListOut, summary="List questions asked")
def list_questions(request: HttpRequest, query: Query[QuestionQuery]) -> dict[str, Any]:
    """Yours and your reports'; marketing, heads and executives see every question."""
    user = signed_in_user(request)
    rows = selectors.questions_for(user=user, status=query.status or "", mine=query.mine)
    return offset_page(rows, limit=query.limit, offset=query.offset, row=question_out)


@router.post(
    "/questions",
    response={201: QuestionCreatedOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Ask marketing a question",
)
def ask_question(request: HttpRequest, payload: QuestionIn) -> HttpResponse:
    """Goes to a marketing owner with a deadline, unless `resolved_by` names an answer that settles it.
    Honours Idempotency-Key."""
    user = signed_in_user(request)
    resolved_by = None
    if payload.resolved_by is not None:
        resolved_by = access.access_knowledge_answer_by_id(user, payload.resolved_by, action="cite")

    def run() -> tuple[int, Any]:
        question = services.question_ask(
            user=user, text=payload.text, resolved_by=resolved_by, channel=Channel.API
        )
        hits = [] if resolved_by else answers_search(user=user, query=question.text, limit=3)
        out = {
            **question_out(question),
            "suggestions": [
                {**answer_ref(h.answer), "score": round(h.score, 6), "snippet": snippet_text(h.snippet)}
                for h in hits
            ],
        }
        return 201, QuestionCreatedOut.model_validate(out).model_dump(mode="json")

    return idempotent_response(request, operation="question_ask", body=payload.model_dump(), call=run)


class QuestionAnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    answer: int | None = Field(None, description="An existing answer; or give title and body for a new one.")
    title: str = Field("", max_length=200)
    body: str = Field("", max_length=20000)
    review_by: date | None = None


@router.post(
    "/questions/{question_id}/answer",
    response={200: QuestionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Answer a question (marketing)",
)
def answer_question(request: HttpRequest, question_id: int, payload: QuestionAnswerIn) -> dict[str, Any]:
    user = signed_in_user(request)
    question = access.access_knowledge_question_by_id(user, question_id, action="answer")
    answer = None
    if payload.answer is not None:
        answer = access.access_knowledge_answer_by_id(user, payload.answer, action="cite")
    question = services.question_answer(
        user=user,
        question=question,
        answer=answer,
        title=payload.title,
        body=payload.body,
        review_by=payload.review_by,
    )
    return question_out(question)
