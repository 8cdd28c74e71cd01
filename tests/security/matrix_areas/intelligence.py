"""Access rows for intelligence (research questions, surveys, field reports, ride-alongs, the collaboration
panel) and knowledge (questions and answers). Each row makes the records it needs, fresh per call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.security.matrix_kit import Check, api_get, api_send, page_get, page_post


def _question(w: Any, *, active: bool = False) -> Any:
    from accord.intelligence.models import QuestionStatus, ResearchQuestion
    from accord.intelligence.services import research_question_create

    if active:
        ResearchQuestion.objects.filter(status=QuestionStatus.ACTIVE).update(status=QuestionStatus.CLOSED)
    return research_question_create(
        user=w.p.alice, text="Competitor mentioned?", options=["Yes", "No"], activate=active
    )


def _open_survey(w: Any) -> Any:
    from django.utils import timezone

    from accord.intelligence.services import survey_create

    now = timezone.now()
    return survey_create(
        user=w.p.alice, title="Matrix pulse", opens_at=now, closes_at=now + timedelta(days=3)
    )


def _bobs_question(w: Any) -> Any:
    from accord.knowledge.services import question_ask

    return question_ask(user=w.p.bob, text="How long is the free trial?")


def _alices_answer(w: Any) -> Any:
    from accord.knowledge.services import answer_create

    if not hasattr(w, "kb_answer"):
        w.kb_answer = answer_create(user=w.p.alice, title="Trial length", body="Thirty days.")
    return w.kb_answer


def _ride_along(w: Any) -> Any:
    from accord.intelligence.models import RideAlong

    if not hasattr(w, "ride_along"):
        w.ride_along = RideAlong.objects.create(
            kind="on_demand", status="requested", rep=w.p.bob, reason="Matrix call"
        )
    return w.ride_along


_FUTURE = {"opens_at": "2030-01-01", "closes_at": "2030-01-08", "title": "Matrix pulse"}

#                     alice mona  bob carol mike fiona sam charlie eve root
MATRIX: dict[str, Check] = {
    # --- research questions: everyone reads; marketing writes; the sales floor answers -----------------
    "research question: write one in the API (marketing, admins)": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        api_send(
            "post",
            lambda w: "/api/v1/research-questions",
            {"text": "Budget approved?", "options": ["Yes", "No"]},
        ),
    ),
    "research question: start asking it in the API": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        api_send("post", lambda w: f"/api/v1/research-questions/{_question(w).pk}/activate"),
    ),
    "research question: stop asking it in the API": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        api_send("post", lambda w: f"/api/v1/research-questions/{_question(w).pk}/close"),
    ),
    "research question: answer it in the API (the sales floor)": Check(
        "403   403   ok   ok    ok   ok    ok  ok      403 403",
        api_send(
            "post",
            lambda w: f"/api/v1/research-questions/{_question(w, active=True).pk}/answers",
            {"option": "Yes"},
        ),
    ),
    "research question: read its results in the API (aggregates, everyone)": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      ok  ok",
        api_get(lambda w: f"/api/v1/research-questions/{_question(w).pk}/results"),
    ),
    "research question: write one on the page": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        page_post(
            lambda w: "/intelligence/questions/new", {"text": "Budget approved?", "options": "Yes\nNo"}
        ),
    ),
    "research question: start asking it on its page": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        page_post(lambda w: f"/intelligence/questions/{_question(w).pk}/change", {"action": "activate"}),
    ),
    # --- pulse surveys --------------------------------------------------------------------------------
    "pulse survey: schedule one in the API (marketing, admins)": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        api_send(
            "post",
            lambda w: "/api/v1/surveys",
            {**_FUTURE, "opens_at": "2030-01-01T00:00:00Z", "closes_at": "2030-01-08T00:00:00Z"},
        ),
    ),
    "pulse survey: answer one in the API (reps)": Check(
        "403   403   ok   ok    403  403   403 ok      403 403",
        api_send(
            "post",
            lambda w: f"/api/v1/surveys/{_open_survey(w).pk}/responses",
            {"answers": {"marketing_score": 4}},
        ),
    ),
    "pulse survey: schedule one on the page": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        page_post(lambda w: "/intelligence/surveys/new", _FUTURE),
    ),
    "pulse survey: answer one on its page (reps)": Check(
        "403   403   ok   ok    403  403   403 ok      403 403",
        page_post(
            lambda w: f"/intelligence/surveys/{_open_survey(w).pk}/",
            {"action": "respond", "marketing_score": "4"},
        ),
    ),
    "pulse survey: read an open one's results in the API (marketing, heads, executives; reps after the close)": Check(
        "ok    ok    403  403   403  403   ok  403     ok  ok",
        api_get(lambda w: f"/api/v1/surveys/{_open_survey(w).pk}/results"),
    ),
    # --- field reports ------------------------------------------------------------------------------
    "field report: write one in the API (everyone but executives)": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      403 ok",
        api_send("post", lambda w: "/api/v1/field-reports", {"topic": "buzz", "summary": "Matrix buzz"}),
    ),
    "field report: write one on the page": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      403 ok",
        page_post(lambda w: "/intelligence/reports/", {"topic": "buzz", "summary": "Matrix buzz"}),
    ),
    # --- ride-alongs ---------------------------------------------------------------------------------
    "ride-along: ask marketing to join a call (reps and managers)": Check(
        "403   403   ok   ok    ok   ok    403 ok      403 403",
        page_post(lambda w: "/intelligence/ride-alongs/", {"action": "request", "reason": "Need help"}),
    ),
    "ride-along: accept bob's request (marketing)": Check(
        "ok    ok    403  403   403  403   403 403     403 403",
        page_post(
            lambda w: "/intelligence/ride-alongs/",
            lambda w: {"action": "accept", "ride_along": _ride_along(w).pk},
        ),
    ),
    # --- the collaboration panel --------------------------------------------------------------------
    "collaboration panel: read it (heads, executives, admins)": Check(
        "403   ok    403  403   403  403   ok  403     ok  ok",
        page_get(lambda w: "/intelligence/collaboration/"),
    ),
    "collaboration panel: read the records behind a figure": Check(
        "403   ok    403  403   403  403   ok  403     ok  ok",
        page_get(lambda w: "/intelligence/collaboration/sla_compliance/"),
    ),
    # --- knowledge: everyone asks; marketing answers; a question is seen by its asker, managers, marketing, heads
    "knowledge question: ask marketing in the API": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      ok  ok",
        api_send("post", lambda w: "/api/v1/questions", {"text": "Is there a reseller programme?"}),
    ),
    "knowledge question: answer bob's in the API (marketing)": Check(
        "ok    ok    403  404   403  404   403 404     403 ok",
        api_send(
            "post", lambda w: f"/api/v1/questions/{_bobs_question(w).pk}/answer", {"body": "Thirty days."}
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
}

API_WRITE_ROWS: dict[str, str] = {
    "POST /api/v1/research-questions": "research question: write one in the API (marketing, admins)",
    "POST /api/v1/research-questions/{question_id}/activate": "research question: start asking it in the API",
    "POST /api/v1/research-questions/{question_id}/close": "research question: stop asking it in the API",
    "POST /api/v1/research-questions/{question_id}/answers": "research question: answer it in the API (the sales floor)",
    "POST /api/v1/surveys": "pulse survey: schedule one in the API (marketing, admins)",
    "POST /api/v1/surveys/{survey_id}/responses": "pulse survey: answer one in the API (reps)",
    "POST /api/v1/field-reports": "field report: write one in the API (everyone but executives)",
    "POST /api/v1/questions": "knowledge question: ask marketing in the API",
    "POST /api/v1/questions/{question_id}/answer": "knowledge question: answer bob's in the API (marketing)",
}

PAGE_WRITE_ROWS: dict[str, str] = {
    "intelligence:question_create": "research question: write one on the page",
    "intelligence:question_change": "research question: start asking it on its page",
    "intelligence:survey_create": "pulse survey: schedule one on the page",
    "intelligence:survey_detail": "pulse survey: answer one on its page (reps)",
    "intelligence:reports": "field report: write one on the page",
    "intelligence:ride_alongs": "ride-along: ask marketing to join a call (reps and managers)",
    "knowledge:ask": "knowledge question: ask on the page",
    "knowledge:question": "knowledge question: answer bob's on its page (marketing)",
    "knowledge:answer_new": "knowledge answer: write one on the page (marketing)",
    "knowledge:answer": "knowledge answer: review alice's on its page (marketing)",
}

READ_ONLY_PAGES = {
    "intelligence:overview",
    "intelligence:question",
    "intelligence:surveys",
    "intelligence:panel",
    "intelligence:panel_trace",
    "knowledge:home",
    "knowledge:suggest",
}
