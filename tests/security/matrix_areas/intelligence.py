"""Access rows for intelligence (research questions, surveys, field reports, ride-alongs, the collaboration
panel); knowledge's are in ``knowledge.py``. Each row makes the records it needs, fresh per call."""

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


def _ride_along(w: Any) -> Any:
    from accord.intelligence.models import RideAlong

    if not hasattr(w, "ride_along"):
        w.ride_along = RideAlong.objects.create(
            kind="on_demand", status="requested", rep=w.p.bob, reason="Matrix call"
        )
    return w.ride_along


def _fresh_survey(w: Any, **fields: Any) -> Any:
    from django.utils import timezone

    from accord.intelligence.services import survey_create

    now = timezone.now()
    return survey_create(
        user=w.p.alice, title="Matrix pulse", opens_at=now, closes_at=now + timedelta(days=3), **fields
    )


def _bobs_report(w: Any) -> Any:
    from accord.intelligence.services import field_report_create

    return field_report_create(user=w.p.bob, topic="buzz", summary="Matrix rumour")


def _fresh_ride_along(w: Any, **fields: Any) -> Any:
    from accord.intelligence.models import RideAlong

    values = {"kind": "on_demand", "status": "requested", "rep": w.p.bob, "reason": "Matrix call", **fields}
    return RideAlong.objects.create(**values)


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
    "research question: stop asking it on its page": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        page_post(lambda w: f"/intelligence/questions/{_question(w).pk}/change", {"action": "close"}),
    ),
    "research question: read its page (everyone)": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      ok  ok",
        page_get(lambda w: f"/intelligence/questions/{_question(w).pk}/"),
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
    "pulse survey: close an open one on its page (marketing, admins)": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        page_post(lambda w: f"/intelligence/surveys/{_fresh_survey(w).pk}/", {"action": "close"}),
    ),
    "pulse survey: read a Team Health survey's page (its team, marketing, heads, executives, admins)": Check(
        "ok    ok    ok   ok    ok   404   ok  404     ok  ok",
        page_get(lambda w: f"/intelligence/surveys/{_fresh_survey(w, team=w.p.health).pk}/"),
    ),
    "pulse survey: answer a Team Health survey on its page (its reps)": Check(
        "403   403   ok   ok    403  404   403 404     403 403",
        page_post(
            lambda w: f"/intelligence/surveys/{_fresh_survey(w, team=w.p.health).pk}/",
            {"action": "respond", "marketing_score": "4"},
        ),
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
    "field report: corroborate bob's on the page (everyone but executives)": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      403 ok",
        page_post(
            lambda w: "/intelligence/reports/",
            lambda w: {
                "action": "corroborate",
                "report": _bobs_report(w).pk,
                "source_url": "https://news.example/matrix",
            },
        ),
    ),
    "field report: back bob's with a new one in the API (everyone but executives)": Check(
        "ok    ok    ok   ok    ok   ok    ok  ok      403 ok",
        api_send(
            "post",
            lambda w: "/api/v1/field-reports",
            lambda w: {"topic": "buzz", "summary": "Heard it too", "corroborates": _bobs_report(w).pk},
        ),
    ),
    "field report: log customer research on the page (marketing, admins)": Check(
        "ok    ok    403  403   403  403   403 403     403 ok",
        page_post(
            lambda w: "/intelligence/reports/",
            {"topic": "buzz", "summary": "Trade show buzz", "origin": "trade_show"},
        ),
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
    "ride-along: decline a fresh request of bob's (marketing)": Check(
        "ok    ok    403  403   403  403   403 403     403 403",
        page_post(
            lambda w: "/intelligence/ride-alongs/",
            lambda w: {"action": "decline", "ride_along": _fresh_ride_along(w).pk, "reason": "Booked"},
        ),
    ),
    "ride-along: accept a rotation slot proposed to alice (alice, the marketing head)": Check(
        "ok    ok    403  403   403  403   403 403     403 403",
        page_post(
            lambda w: "/intelligence/ride-alongs/",
            lambda w: {
                "action": "accept",
                "ride_along": _fresh_ride_along(
                    w, kind="scheduled", status="proposed", marketer=w.p.alice
                ).pk,
            },
        ),
    ),
    "ride-along: accept a rotation slot proposed to mona (mona only)": Check(
        "403   ok    403  403   403  403   403 403     403 403",
        page_post(
            lambda w: "/intelligence/ride-alongs/",
            lambda w: {
                "action": "accept",
                "ride_along": _fresh_ride_along(w, kind="scheduled", status="proposed", marketer=w.p.mona).pk,
            },
        ),
    ),
    "ride-along: write the notes of bob's call with alice (its marketer and rep)": Check(
        "ok    403   ok   404   403  404   403 404     403 403",
        page_post(
            lambda w: "/intelligence/ride-alongs/",
            lambda w: {
                "action": "complete",
                "ride_along": _fresh_ride_along(w, status="accepted", marketer=w.p.alice).pk,
                "notes": "They compare us with Medica.",
            },
        ),
    ),
    "ride-along: propose the quarter's rotation (the marketing head, admins)": Check(
        "403   ok    403  403   403  403   403 403     403 ok",
        page_post(lambda w: "/intelligence/ride-alongs/", {"action": "rotate"}),
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
}

API_WRITE_ROWS: dict[str, str] = {
    "POST /api/v1/research-questions": "research question: write one in the API (marketing, admins)",
    "POST /api/v1/research-questions/{question_id}/activate": "research question: start asking it in the API",
    "POST /api/v1/research-questions/{question_id}/close": "research question: stop asking it in the API",
    "POST /api/v1/research-questions/{question_id}/answers": "research question: answer it in the API (the sales floor)",
    "POST /api/v1/surveys": "pulse survey: schedule one in the API (marketing, admins)",
    "POST /api/v1/surveys/{survey_id}/responses": "pulse survey: answer one in the API (reps)",
    "POST /api/v1/field-reports": "field report: write one in the API (everyone but executives)",
}

PAGE_WRITE_ROWS: dict[str, str] = {
    "intelligence:question_create": "research question: write one on the page",
    "intelligence:question_change": "research question: start asking it on its page",
    "intelligence:survey_create": "pulse survey: schedule one on the page",
    "intelligence:survey_detail": "pulse survey: answer one on its page (reps)",
    "intelligence:reports": "field report: write one on the page",
    "intelligence:ride_alongs": "ride-along: ask marketing to join a call (reps and managers)",
}

READ_ONLY_PAGES = {
    "intelligence:overview",
    "intelligence:question",
    "intelligence:surveys",
    "intelligence:panel",
    "intelligence:panel_trace",
}
