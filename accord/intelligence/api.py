"""API for intelligence: research questions (at most two active) and their results, field reports and
customer research, pulse surveys and their responses (anonymous ones name no respondent anywhere)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import DbId, ErrorOut, UtcDatetime, json_response, offset_page
from accord.core.errors import NotFound
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.intelligence import selectors, services
from accord.intelligence.models import (
    FieldReport,
    PulseSurvey,
    QuestionStatus,
    ReportOrigin,
    ReportTopic,
    ResearchQuestion,
)
from accord.people import access
from accord.people.access import campaigns_visible_to, signed_in_user, touches_visible_to

router = Router(tags=["intelligence"])


# --- research questions ------------------------------------------------------------------------------


class ResearchQuestionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=200)
    options: list[str] = Field(min_length=2, max_length=6)
    activate: bool = Field(False, description="Start asking it now (refused while two are active).")
    min_reps: int = Field(
        5, ge=1, le=1000, description="Below this many reps answering, results are withheld."
    )
    min_answers: int = Field(20, ge=1, le=100000)


class ResearchQuestionOut(Schema):
    id: int
    text: str
    options: list[str]
    status: QuestionStatus
    owner: str
    activated_at: datetime | None
    closed_at: datetime | None
    min_reps: int
    min_answers: int


class ResearchQuestionListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[ResearchQuestionOut]


class ResearchQuestionQuery(Schema):
    status: QuestionStatus | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def question_out(question: ResearchQuestion) -> dict[str, Any]:
    return {
        "id": question.pk,
        "text": question.text,
        "options": question.options,
        "status": question.status,
        "owner": question.owner.username,
        "activated_at": question.activated_at,
        "closed_at": question.closed_at,
        "min_reps": question.min_reps,
        "min_answers": question.min_answers,
    }


@router.get("/research-questions", response=ResearchQuestionListOut, summary="List research questions")
def list_research_questions(request: HttpRequest, query: Query[ResearchQuestionQuery]) -> dict[str, Any]:
    """Every signed-in person reads them; `status=active` gives the (at most two) asked in calls now."""
    user = signed_in_user(request)
    rows = selectors.research_questions_list(user=user, status=query.status)
    return offset_page(rows, limit=query.limit, offset=query.offset, row=question_out)


@router.post(
    "/research-questions",
    response={201: ResearchQuestionOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="Write a research question",
)
def create_research_question(request: HttpRequest, payload: ResearchQuestionIn) -> HttpResponse:
    """Marketing only. With `activate`, refused (409) while two questions are active. Honours Idempotency-Key."""
    user = signed_in_user(request)

    def run() -> tuple[int, Any]:
        question = services.research_question_create(
            user=user,
            text=payload.text,
            options=payload.options,
            activate=payload.activate,
            min_reps=payload.min_reps,
            min_answers=payload.min_answers,
        )
        return 201, ResearchQuestionOut.model_validate(question_out(question)).model_dump(mode="json")

    return idempotent_response(
        request, operation="research_question_create", body=payload.model_dump(), call=run
    )


@router.post(
    "/research-questions/{question_id}/activate",
    response={200: ResearchQuestionOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Start asking a research question in calls",
)
def activate_research_question(request: HttpRequest, question_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    question = access.access_research_question_by_id(user, question_id, action="act")
    return question_out(services.research_question_activate(user=user, question=question))


@router.post(
    "/research-questions/{question_id}/close",
    response={200: ResearchQuestionOut, 403: ErrorOut, 404: ErrorOut},
    summary="Stop asking a research question",
)
def close_research_question(request: HttpRequest, question_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    question = access.access_research_question_by_id(user, question_id, action="act")
    return question_out(services.research_question_close(user=user, question=question))


class ResearchAnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    option: str = Field(min_length=1, max_length=60)
    touch: int | None = Field(None, description="The call or meeting it was asked in (one of yours).")


class ResearchAnswerOut(Schema):
    id: int
    question: int
    option: str
    touch: int | None
    answered_at: datetime


@router.post(
    "/research-questions/{question_id}/answers",
    response={201: ResearchAnswerOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Answer a research question",
)
def answer_research_question(
    request: HttpRequest, question_id: int, payload: ResearchAnswerIn
) -> HttpResponse:
    """Reps, managers and the sales head answer the active questions (or with
    `POST /api/v1/leads/{id}/touches` and `answers`). Honours Idempotency-Key."""
    user = signed_in_user(request)
    touch = None
    if payload.touch is not None:
        touch = touches_visible_to(user).filter(pk=payload.touch, user=user).first()
        if touch is None:
            raise NotFound(
                f"Touch {payload.touch} was not found among yours.", detail={"touch": payload.touch}
            )

    def run() -> tuple[int, Any]:
        answer = services.research_answer_record(
            user=user, question_id=question_id, option=payload.option, touch=touch, channel=Channel.API
        )
        out = {
            "id": answer.pk,
            "question": question_id,
            "option": answer.option,
            "touch": answer.touch_id,
            "answered_at": answer.answered_at,
        }
        return 201, ResearchAnswerOut.model_validate(out).model_dump(mode="json")

    body = {"question": question_id, **payload.model_dump()}
    return idempotent_response(request, operation="research_answer_record", body=body, call=run)


class OptionResultOut(Schema):
    option: str
    answers: int
    naive_share: float | None = Field(
        description="Answers for this option / all answers; null below the minimum sample."
    )
    weighted_share: float | None = Field(
        description="Mean over reps of each rep's own share: every rep counts once."
    )
    interval: tuple[float, float] | None = Field(description="95% interval of the weighted share, over reps.")


class QuestionResultOut(Schema):
    answers: int
    reps: int
    enough_data: bool
    skewed: bool = Field(description="A few reps gave most answers: read the naive share with care.")
    top_rep_share: float
    top_two_reps_share: float
    options: list[OptionResultOut]


class MonthResultOut(QuestionResultOut):
    month: datetime


class ResearchResultsOut(Schema):
    question: ResearchQuestionOut
    overall: QuestionResultOut
    by_month: list[MonthResultOut]


def result_out(result: Any) -> dict[str, Any]:
    return {
        "answers": result.answers,
        "reps": result.reps,
        "enough_data": result.enough_data,
        "skewed": result.skewed,
        "top_rep_share": result.top_rep_share,
        "top_two_reps_share": result.top_two_reps_share,
        "options": [
            {
                "option": o.option,
                "answers": o.answers,
                "naive_share": None if o.naive_share is None else round(o.naive_share, 4),
                "weighted_share": None if o.weighted_share is None else round(o.weighted_share, 4),
                "interval": o.interval,
            }
            for o in result.options
        ],
    }


@router.get(
    "/research-questions/{question_id}/results",
    response={200: ResearchResultsOut, 404: ErrorOut},
    summary="Results of a research question, overall and by month",
)
def research_question_results(request: HttpRequest, question_id: int) -> dict[str, Any]:
    """Naive and rep-weighted shares, the weighted share's interval, the skew flag and sample sizes."""
    user = signed_in_user(request)
    question = selectors.research_question_get(user=user, question_id=question_id)
    return {
        "question": question_out(question),
        "overall": result_out(selectors.question_result(question)),
        "by_month": [
            {"month": p.month, **result_out(p.result)} for p in selectors.question_result_by_month(question)
        ],
    }


# --- field reports -----------------------------------------------------------------------------------


class FieldReportIn(Schema):
    model_config = ConfigDict(extra="forbid")

    topic: ReportTopic
    summary: str = Field(min_length=1, max_length=200)
    detail: str = Field("", max_length=10000)
    origin: ReportOrigin = Field(
        ReportOrigin.SALES_CALL,
        description="trade_show, service_call and market_research are marketing's customer research.",
    )
    competitor: str = Field("", max_length=80)
    product: str = Field("", max_length=80)
    campaign: int | None = None
    source_url: str = Field(
        "", max_length=500, description="A link or data source: the report is corroborated."
    )
    corroborates: int | None = Field(None, description="An earlier report (someone else's) this one backs.")


class FieldReportOut(Schema):
    id: int
    topic: ReportTopic
    origin: ReportOrigin
    summary: str
    detail: str
    competitor: str
    product: str
    campaign: int | None
    source_url: str
    author: str
    corroborated: bool
    created_at: datetime


class FieldReportListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[FieldReportOut]


class FieldReportQuery(Schema):
    topic: ReportTopic | None = None
    competitor: str = ""
    product: str = ""
    corroborated: bool | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def report_out(report: FieldReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "topic": report.topic,
        "origin": report.origin,
        "summary": report.summary,
        "detail": report.detail,
        "competitor": report.competitor,
        "product": report.product,
        "campaign": report.campaign_id,
        "source_url": report.source_url,
        "author": report.author.username,
        "corroborated": report.corroborated,
        "created_at": report.created_at,
    }


@router.get("/field-reports", response=FieldReportListOut, summary="List field reports and customer research")
def list_field_reports(request: HttpRequest, query: Query[FieldReportQuery]) -> dict[str, Any]:
    user = signed_in_user(request)
    rows = selectors.field_reports_list(
        user=user,
        topic=query.topic or "",
        competitor=query.competitor,
        product=query.product,
        corroborated=query.corroborated,
    )
    return offset_page(rows, limit=query.limit, offset=query.offset, row=report_out)


@router.post(
    "/field-reports",
    response={201: FieldReportOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Report a competitor mention, buzz, campaign or product feedback",
)
def create_field_report(request: HttpRequest, payload: FieldReportIn) -> HttpResponse:
    """Anecdotal until corroborated (by another person's report, marketing's research, or a source).
    Honours Idempotency-Key."""
    user = signed_in_user(request)
    campaign = None
    if payload.campaign is not None:
        campaign = campaigns_visible_to(user).filter(pk=payload.campaign).first()
        if campaign is None:
            raise NotFound(
                f"Campaign {payload.campaign} was not found.", detail={"campaign": payload.campaign}
            )
    corroborates = None
    if payload.corroborates is not None:
        corroborates = access.access_field_report_by_id(user, payload.corroborates, action="view")

    def run() -> tuple[int, Any]:
        report = services.field_report_create(
            user=user,
            topic=payload.topic,
            summary=payload.summary,
            detail=payload.detail,
            origin=payload.origin,
            competitor=payload.competitor,
            product=payload.product,
            campaign=campaign,
            source_url=payload.source_url,
            corroborates=corroborates,
        )
        return 201, FieldReportOut.model_validate(report_out(report)).model_dump(mode="json")

    return idempotent_response(request, operation="field_report_create", body=payload.model_dump(), call=run)


# --- pulse surveys -----------------------------------------------------------------------------------


class SurveyItemIO(Schema):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=40)
    kind: str = Field(description="scale (1–5), text, or choice")
    label: str = Field(min_length=1, max_length=200)
    options: list[str] | None = None


class SurveyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=120)
    opens_at: UtcDatetime
    closes_at: UtcDatetime
    anonymous: bool = True
    items: list[SurveyItemIO] | None = Field(
        None, description="Leave out for the standard pulse: marketing score, challenges, tools, objections."
    )
    team: DbId | None = Field(None, description="Only this team's reps; empty for every rep.")
    repeat_quarterly: bool = True


class SurveyOut(Schema):
    id: int
    title: str
    status: str
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    team: int | None
    items: list[SurveyItemIO]
    answered: bool = Field(description="Whether you have answered it.")


class SurveyListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[SurveyOut]


class SurveyQuery(Schema):
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def survey_out(survey: PulseSurvey, user: Any) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "title": survey.title,
        "status": survey.status,
        "anonymous": survey.anonymous,
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "team": survey.team_id,
        "items": survey.items,
        "answered": selectors.survey_has_answered(user, survey),
    }


@router.get("/surveys", response=SurveyListOut, summary="List pulse surveys")
def list_surveys(request: HttpRequest, query: Query[SurveyQuery]) -> dict[str, Any]:
    user = signed_in_user(request)
    rows = selectors.surveys_for(user)
    return offset_page(rows, limit=query.limit, offset=query.offset, row=lambda s: survey_out(s, user))


@router.post(
    "/surveys",
    response={201: SurveyOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Schedule a pulse survey of reps",
)
def create_survey(request: HttpRequest, payload: SurveyIn) -> HttpResponse:
    """Marketing only. Honours Idempotency-Key."""
    from accord.people.models import Team

    user = signed_in_user(request)
    team = None
    if payload.team is not None:
        team = Team.objects.filter(pk=payload.team).first()
        if team is None:
            raise NotFound(f"Team {payload.team} was not found.", detail={"team": payload.team})

    def run() -> tuple[int, Any]:
        survey = services.survey_create(
            user=user,
            title=payload.title,
            opens_at=payload.opens_at,
            closes_at=payload.closes_at,
            items=[i.model_dump(exclude_none=True) for i in payload.items] if payload.items else None,
            anonymous=payload.anonymous,
            team=team,
            repeat_quarterly=payload.repeat_quarterly,
        )
        return 201, SurveyOut.model_validate(survey_out(survey, user)).model_dump(mode="json")

    return idempotent_response(
        request, operation="survey_create", body=payload.model_dump(mode="json"), call=run
    )


class SurveyResponseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, int | str | list[str]] = Field(
        description="Item key to answer: 1–5 for a scale, text, or a list of options for a choice."
    )


class SurveyResponseOut(Schema):
    survey: int
    anonymous: bool
    message: str


@router.post(
    "/surveys/{survey_id}/responses",
    response={201: SurveyResponseOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Answer a pulse survey",
)
def respond_to_survey(request: HttpRequest, survey_id: int, payload: SurveyResponseIn) -> HttpResponse:
    """Reps of the survey's audience, once each. The answer carries no id and names no respondent."""
    user = signed_in_user(request)
    survey = selectors.survey_get(user=user, survey_id=survey_id)
    services.survey_respond(user=user, survey=survey, answers=payload.answers)
    message = (
        "Thank you. Your answers are stored without your name."
        if survey.anonymous
        else "Thank you. Your answers are stored with your name."
    )
    body = SurveyResponseOut.model_validate(
        {"survey": survey.pk, "anonymous": survey.anonymous, "message": message}
    )
    return json_response(request, body.model_dump(mode="json"), status=201)


class ItemResultOut(Schema):
    key: str
    label: str
    kind: str
    responses: int
    mean: float | None
    distribution: list[tuple[str, int]]
    texts: list[str]


class SurveyResultsOut(Schema):
    survey: int
    anonymous: bool
    responses: int
    audience: int
    withheld: bool = Field(description="Too few answers to show an anonymous survey's results yet.")
    items: list[ItemResultOut]


@router.get(
    "/surveys/{survey_id}/results",
    response={200: SurveyResultsOut, 403: ErrorOut, 404: ErrorOut},
    summary="Results of a pulse survey (aggregates only)",
)
def survey_results(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    survey = selectors.survey_get(user=user, survey_id=survey_id)
    results = selectors.survey_results(user=user, survey=survey)
    return {
        "survey": survey.pk,
        "anonymous": survey.anonymous,
        "responses": results.responses,
        "audience": results.audience,
        "withheld": results.withheld,
        "items": [
            {
                "key": i.key,
                "label": i.label,
                "kind": i.kind,
                "responses": i.responses,
                "mean": i.mean,
                "distribution": list(i.distribution),
                "texts": list(i.texts),
            }
            for i in results.items
        ],
    }
