"""Access rows for knowledge: questions reps ask and the answers marketing writes. Each row makes the
records it needs, fresh per call."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.security.matrix_kit import Check, api_send, page_get, page_post


def _bobs_question(w: Any) -> Any:
    from accord.knowledge.services import question_ask

    return question_ask(user=w.p.bob, text="How long is the free trial?")


def _alices_answer(w: Any) -> Any:
    from accord.knowledge.services import answer_create

    if not hasattr(w, "kb_answer"):
        w.kb_answer = answer_create(user=w.p.alice, title="Trial length", body="Thirty days.")
    return w.kb_answer


def _monas_answer(w: Any) -> Any:
    from accord.knowledge.services import answer_create

    if not hasattr(w, "kb_monas_answer"):
        w.kb_monas_answer = answer_create(user=w.p.mona, title="Reseller programme", body="Not yet.")
    return w.kb_monas_answer


def _retired_answer(w: Any) -> Any:
    from accord.knowledge.services import answer_create, answer_update

    if not hasattr(w, "kb_retired"):
        answer = answer_create(user=w.p.alice, title="Old pricing", body="Was ten.")
        w.kb_retired = answer_update(user=w.p.alice, answer=answer, retired=True, review_by=date(2099, 1, 1))
    return w.kb_retired


#                     alice mona  bob carol mike fiona sam charlie eve root
MATRIX: dict[str, Check] = {
    # --- everyone asks; marketing answers; a question is seen by its asker, those above, marketing, heads
    "knowledge question: ask marketing in the API": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      ok  ok",
        api_send("post", lambda w: "/api/v1/questions", {"text": "Is there a reseller programme?"}),
    ),
    "knowledge question: ask in the API, counting an answer found while typing (everyone)": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      ok  ok",
        api_send(
            "post",
            lambda w: "/api/v1/questions",
            lambda w: {"text": "How long is the trial?", "resolved_by": _alices_answer(w).pk},
        ),
    ),
    "knowledge question: ask in the API, counting a retired answer (only marketing and admins see it)": Check(
        "ok    ok    404  404   404  404   404 404     404 ok",
        api_send(
            "post",
            lambda w: "/api/v1/questions",
            lambda w: {"text": "What did it cost before?", "resolved_by": _retired_answer(w).pk},
        ),
    ),
    "knowledge question: answer bob's in the API (marketing)": Check(
        "ok    ok    403  404   403  404   403 404     403 ok",
        api_send(
            "post", lambda w: f"/api/v1/questions/{_bobs_question(w).pk}/answer", {"body": "Thirty days."}
        ),
    ),
    "knowledge question: answer bob's in the API with an existing answer (marketing)": Check(
        "ok    ok    403  404   403  404   403 404     403 ok",
        api_send(
            "post",
            lambda w: f"/api/v1/questions/{_bobs_question(w).pk}/answer",
            lambda w: {"answer": _alices_answer(w).pk},
        ),
    ),
    "knowledge question: read bob's on its page": Check(
        "ok    ok    ok   404   ok   404   ok  404     ok  ok",
        page_get(lambda w: f"/knowledge/questions/{_bobs_question(w).pk}/"),
    ),
    "knowledge question: ask on the page": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      ok  ok",
        page_post(lambda w: "/knowledge/ask", {"text": "Is there a reseller programme?"}),
    ),
    "knowledge question: answer bob's on its page (marketing)": Check(
        "ok    ok    403  404   403  404   403 404     403 ok",
        page_post(lambda w: f"/knowledge/questions/{_bobs_question(w).pk}/", {"body": "Thirty days."}),
    ),
    "knowledge answer: write one on the page (marketing)": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        page_post(lambda w: "/knowledge/answers/new", {"title": "Reseller programme", "body": "Not yet."}),
    ),
    "knowledge answer: review alice's on its page (marketing)": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        page_post(
            lambda w: f"/knowledge/answers/{_alices_answer(w).pk}/", {"body": "Thirty days, extendable."}
        ),
    ),
    "knowledge answer: review mona's on its page (its owner, the marketing head, admins; not another marketer)": Check(
        "403   ok    403  403   403  403   403 403     403 ok",
        page_post(lambda w: f"/knowledge/answers/{_monas_answer(w).pk}/", {"body": "Not yet; ask in Q3."}),
    ),
    "knowledge answer: read a retired one's page (marketing, admins)": Check(
        "ok    ok    404  404   404  404   404 404     404 ok",
        page_get(lambda w: f"/knowledge/answers/{_retired_answer(w).pk}/"),
    ),
}

API_WRITE_ROWS: dict[str, str] = {
    "POST /api/v1/questions": "knowledge question: ask marketing in the API",
    "POST /api/v1/questions/{question_id}/answer": "knowledge question: answer bob's in the API (marketing)",
}

PAGE_WRITE_ROWS: dict[str, str] = {
    "knowledge:ask": "knowledge question: ask on the page",
    "knowledge:question": "knowledge question: answer bob's on its page (marketing)",
    "knowledge:answer_new": "knowledge answer: write one on the page (marketing)",
    "knowledge:answer": "knowledge answer: review alice's on its page (marketing)",
}

READ_ONLY_PAGES = {"knowledge:home", "knowledge:suggest"}
