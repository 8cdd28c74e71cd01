"""Answers as full-text documents (accord.core.fulltext): the title (the question as a rep asks it) weighs
most, then the body; the questions an answer has resolved are added as extra words, so the next rep who
phrases the question the same way finds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.core import fulltext
from accord.knowledge.models import Answer
from accord.people.access import knowledge_answers_visible_to

DOC_TYPE = "knowledge.answer"
PHRASINGS_KEPT = 50


def answer_document(answer: Answer) -> fulltext.Document | None:
    if answer.retired:
        return None
    phrasings = list(answer.questions.order_by("-created_at").values_list("text", flat=True)[:PHRASINGS_KEPT])
    return fulltext.Document(answer.pk, answer.title, answer.body, "\n".join(phrasings))


def register() -> None:
    fulltext.register_document_type(
        DOC_TYPE, model=Answer, to_document=answer_document, queryset=lambda: Answer.objects.all()
    )


def answer_reindex(answer: Answer) -> None:
    document = answer_document(answer)
    if document is None:
        fulltext.remove_documents(DOC_TYPE, [answer.pk])
    else:
        fulltext.index_documents(DOC_TYPE, [document])


@dataclass(frozen=True)
class AnswerHit:
    answer: Answer
    score: float
    snippet: str


def answers_search(*, user: Any, query: str, limit: int = 5) -> list[AnswerHit]:
    """The answers ``user`` may see best matching ``query``, best first (any word may match; answers
    with more of the words, in the title above all, rank higher)."""
    hits = fulltext.search(
        DOC_TYPE, query, limit=limit, match="any", restrict={DOC_TYPE: knowledge_answers_visible_to(user)}
    )
    answers = Answer.objects.select_related("owner").in_bulk([h.object_id for h in hits])
    return [AnswerHit(answers[h.object_id], h.score, h.snippet) for h in hits if h.object_id in answers]
