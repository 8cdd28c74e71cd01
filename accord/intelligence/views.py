"""Intelligence pages: research questions and their results, pulse surveys, field reports and themes,
ride-alongs, and the collaboration panel. Each view reads rows and asks who may act through
``accord.people.access`` (directly, or in the services it calls); a refusal (403) or a record out of sight
(404) is the page's answer, any other error a message on the page it came from."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET, require_POST

from accord.core.collaboration import collaboration_figure
from accord.core.errors import ApplicationError
from accord.intelligence import collaboration, selectors, services
from accord.intelligence.models import (
    ReportOrigin,
    ReportTopic,
    RideAlongStatus,
    SurveyItemKind,
    SurveyStatus,
)
from accord.people import access
from accord.people.access import campaigns_visible_to, deals_visible_to, signed_in_user
from accord.people.models import Team, User


def _refused_or_said(exc: ApplicationError) -> None:
    """A refusal (403) or a record out of sight (404) is the page's answer; other errors become a message."""
    if exc.status_code in (403, 404):
        raise exc


PAGE_SIZE = 50


# --- overview and research questions ----------------------------------------------------------------


@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    questions = [(q, selectors.question_result(q)) for q in selectors.active_questions(user)]
    return render(
        request,
        "intelligence/overview.html",
        {
            "questions": questions,
            "recent_questions": selectors.research_questions_list(user=user)[:10],
            "themes": selectors.field_report_themes(limit=10),
            "score_trend": selectors.marketing_score_trend(),
            "can_write_questions": access.may_write_research_questions(user),
        },
    )


@require_GET
@login_required
def question_detail(request: HttpRequest, question_id: int) -> HttpResponse:
    user = signed_in_user(request)
    question = selectors.research_question_get(user=user, question_id=question_id)
    return render(
        request,
        "intelligence/question.html",
        {
            "question": question,
            "overall": selectors.question_result(question),
            "by_month": selectors.question_result_by_month(question),
            "can_write": access.may_act(user, question, "act"),
        },
    )


@require_POST
@login_required
def question_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    options = [line.strip() for line in request.POST.get("options", "").splitlines() if line.strip()]
    try:
        question = services.research_question_create(
            user=user,
            text=request.POST.get("text", ""),
            options=options,
            activate=bool(request.POST.get("activate")),
        )
    except ApplicationError as exc:
        _refused_or_said(exc)
        messages.error(request, exc.message)
        return redirect("intelligence:overview")
    messages.success(
        request,
        "Question saved" + (" and asked in every call from now." if question.status == "active" else "."),
    )
    return redirect("intelligence:question", question_id=question.pk)


@require_POST
@login_required
def question_change(request: HttpRequest, question_id: int) -> HttpResponse:
    user = signed_in_user(request)
    question = selectors.research_question_get(user=user, question_id=question_id)
    try:
        if request.POST.get("action") == "close":
            services.research_question_close(user=user, question=question)
            messages.success(request, "No longer asked; results kept.")
        else:
            services.research_question_activate(user=user, question=question)
            messages.success(request, "Asked in every call and meeting from now.")
    except ApplicationError as exc:
        _refused_or_said(exc)
        messages.error(request, exc.message)
    return redirect("intelligence:question", question_id=question.pk)


# --- pulse surveys -----------------------------------------------------------------------------------


@require_GET
@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    page = Paginator(selectors.surveys_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "intelligence/surveys.html",
        {
            "page": page,
            "surveys": page.object_list,
            "can_write": access.may_schedule_surveys(user),
            "teams": Team.objects.order_by("name"),
            "score_trend": selectors.marketing_score_trend(),
            "now": timezone.now(),
        },
    )


def _parse_moment(value: str) -> datetime | None:
    parsed = parse_datetime(value or "")
    if parsed is None:
        day = parse_date(value or "")
        if day is None:
            return None
        parsed = datetime(day.year, day.month, day.day)
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


@require_POST
@login_required
def survey_create(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    opens, closes = (
        _parse_moment(request.POST.get("opens_at", "")),
        _parse_moment(request.POST.get("closes_at", "")),
    )
    if opens is None or closes is None:
        messages.error(request, "Give the day the survey opens and the day it closes.")
        return redirect("intelligence:surveys")
    team = Team.objects.filter(pk=request.POST.get("team") or 0).first()
    try:
        survey = services.survey_create(
            user=user,
            title=request.POST.get("title", ""),
            opens_at=opens,
            closes_at=closes,
            anonymous=bool(request.POST.get("anonymous")),
            team=team,
            repeat_quarterly=bool(request.POST.get("repeat_quarterly")),
        )
    except ApplicationError as exc:
        _refused_or_said(exc)
        messages.error(request, exc.message)
        return redirect("intelligence:surveys")
    messages.success(request, "Survey scheduled.")
    return redirect("intelligence:survey_detail", survey_id=survey.pk)


@login_required
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    user = signed_in_user(request)
    survey = selectors.survey_get(user=user, survey_id=survey_id)
    if request.method == "POST":
        action = request.POST.get("action", "respond")
        try:
            if action == "close":
                services.survey_close(survey=survey, user=user)
                messages.success(request, "Survey closed; results shared with the reps.")
            else:
                answers: dict[str, Any] = {}
                for item in survey.items:
                    if item["kind"] == SurveyItemKind.CHOICE:
                        answers[item["key"]] = request.POST.getlist(item["key"])
                    else:
                        answers[item["key"]] = request.POST.get(item["key"], "")
                services.survey_respond(user=user, survey=survey, answers=answers)
                messages.success(
                    request,
                    "Thank you. "
                    + (
                        "Nothing links your answers to you."
                        if survey.anonymous
                        else "Your answers are saved."
                    ),
                )
        except ApplicationError as exc:
            _refused_or_said(exc)
            messages.error(request, exc.message)
        return redirect("intelligence:survey_detail", survey_id=survey.pk)
    visible = selectors.survey_results_visible(user, survey)
    return render(
        request,
        "intelligence/survey.html",
        {
            "survey": survey,
            "answered": selectors.survey_has_answered(user, survey),
            "can_answer": survey.status == SurveyStatus.OPEN and access.may_act(user, survey, "respond"),
            "can_close": survey.status == SurveyStatus.OPEN and access.may_act(user, survey, "close"),
            "results": selectors.survey_results(user=user, survey=survey) if visible else None,
            "scale": range(1, 6),
        },
    )


# --- field reports -----------------------------------------------------------------------------------


@login_required
def field_reports(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        return _field_report_post(request, user)
    corroborated = {"yes": True, "no": False}.get(request.GET.get("corroborated", ""))
    rows = selectors.field_reports_list(
        user=user,
        topic=request.GET.get("topic", "") if request.GET.get("topic", "") in ReportTopic.values else "",
        competitor=request.GET.get("competitor", "")[:80],
        product=request.GET.get("product", "")[:80],
        corroborated=corroborated,
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    origins = (
        ReportOrigin.choices
        if access.may_log_customer_research(user)
        else [
            (v, label)
            for v, label in ReportOrigin.choices
            if v in (ReportOrigin.SALES_CALL, ReportOrigin.RIDE_ALONG)
        ]
    )
    return render(
        request,
        "intelligence/reports.html",
        {
            "page": page,
            "reports": page.object_list,
            "query": query.urlencode(),
            "themes": selectors.field_report_themes(),
            "topics": ReportTopic.choices,
            "origins": origins,
            "campaigns": campaigns_visible_to(user).order_by("name")[:200],
            "can_write": access.may_write_field_reports(user),
            "filters": request.GET,
        },
    )


def _field_report_post(request: HttpRequest, user: User) -> HttpResponse:
    try:
        if request.POST.get("action") == "corroborate":
            report = access.access_field_report_by_id(
                user, int(request.POST.get("report") or 0), action="corroborate"
            )
            by_report = None
            if request.POST.get("by_report"):
                by_report = selectors.field_report_get(user=user, report_id=int(request.POST["by_report"]))
            services.field_report_corroborate(
                user=user,
                report=report,
                by_report=by_report,
                source_url=request.POST.get("source_url", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, "Report corroborated.")
        else:
            campaign = None
            if request.POST.get("campaign"):
                campaign = campaigns_visible_to(user).filter(pk=int(request.POST["campaign"])).first()
            services.field_report_create(
                user=user,
                topic=request.POST.get("topic", ""),
                summary=request.POST.get("summary", ""),
                detail=request.POST.get("detail", ""),
                origin=request.POST.get("origin", ReportOrigin.SALES_CALL),
                competitor=request.POST.get("competitor", ""),
                product=request.POST.get("product", ""),
                campaign=campaign,
                source_url=request.POST.get("source_url", ""),
            )
            messages.success(
                request, "Report saved. It is anecdotal until someone else or a source backs it."
            )
    except ValueError:
        messages.error(request, "That report number is not valid.")
    except ApplicationError as exc:
        _refused_or_said(exc)
        messages.error(request, exc.message)
    return redirect("intelligence:reports")


# --- ride-alongs -------------------------------------------------------------------------------------


@login_required
def ride_alongs(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if request.method == "POST":
        return _ride_along_post(request, user)
    rows = (
        access.ride_alongs_visible_to(user)
        .select_related("rep", "marketer", "deal")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "intelligence/ride_alongs.html",
        {
            "page": page,
            "ride_alongs": page.object_list,
            "can_request": access.may_request_ride_alongs(user),
            "can_decide": access.may_decide_ride_alongs(user),
            "can_rotate": access.may_propose_rotation(user),
            "deals": deals_visible_to(user).filter(owner=user).order_by("-created_at")[:100],
            "open_statuses": (RideAlongStatus.REQUESTED, RideAlongStatus.PROPOSED),
            "topics": ReportTopic.choices,
            "user": user,
        },
    )


def _ride_along_post(request: HttpRequest, user: User) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        if action == "request":
            deal = None
            if request.POST.get("deal"):
                deal = deals_visible_to(user).filter(pk=int(request.POST["deal"])).first()
            services.ride_along_request(user=user, reason=request.POST.get("reason", ""), deal=deal)
            messages.success(request, "Asked. Marketing answers within a day.")
        elif action in ("accept", "decline"):
            call_on: date | None = parse_date(request.POST.get("call_on", "") or "")
            services.ride_along_decide(
                user=user,
                ride_along_id=int(request.POST.get("ride_along") or 0),
                accept=action == "accept",
                reason=request.POST.get("reason", ""),
                call_on=call_on,
            )
            messages.success(
                request,
                "Accepted; the rep has been told."
                if action == "accept"
                else "Declined; the rep has been told.",
            )
        elif action == "rotate":
            proposed = services.rotation_propose(user=user)
            messages.success(request, f"{len(proposed)} ride-along(s) proposed for this quarter.")
        elif action == "complete":
            services.ride_along_complete(
                user=user,
                ride_along_id=int(request.POST.get("ride_along") or 0),
                notes=request.POST.get("notes", ""),
                topic=request.POST.get("topic", ReportTopic.BUZZ),
                competitor=request.POST.get("competitor", ""),
            )
            messages.success(request, "Notes saved; they appear with the field reports.")
        else:
            messages.error(request, "Unknown action.")
    except ValueError:
        messages.error(request, "That ride-along or deal is not valid.")
    except ApplicationError as exc:
        _refused_or_said(exc)
        messages.error(request, exc.message)
    return redirect("intelligence:ride_alongs")


# --- the collaboration panel -------------------------------------------------------------------------


def _panel_scope(request: HttpRequest) -> tuple[collaboration.PanelScope, Team | None]:
    day = parse_date(request.GET.get("quarter", "") or "") or timezone.localdate()
    team = (
        Team.objects.filter(pk=request.GET.get("team") or 0).first()
        if request.GET.get("team", "").isdigit()
        else None
    )
    return collaboration.quarter_scope(day, team.pk if team else None), team


def _quarter_choices(today: date) -> list[tuple[str, str]]:
    choices = []
    day = today
    for _ in range(6):
        scope = collaboration.quarter_scope(day, None)
        choices.append((scope.start.date().isoformat(), scope.label))
        day = (scope.start - timedelta(days=1)).date()
    return choices


@require_GET
@login_required
def panel(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    access.require_role(user, access.COLLABORATION_PANEL_ROLES, "see the collaboration panel")
    scope, team = _panel_scope(request)
    return render(
        request,
        "intelligence/panel.html",
        {
            "scope": scope,
            "previous": collaboration.previous_scope(scope),
            "team": team,
            "teams": Team.objects.order_by("name"),
            "quarters": _quarter_choices(timezone.localdate()),
            "rows": collaboration.panel_rows(scope, user.role_set),
            "query": request.GET.urlencode(),
        },
    )


@require_GET
@login_required
def panel_trace(request: HttpRequest, key: str) -> HttpResponse:
    user = signed_in_user(request)
    access.require_role(user, access.COLLABORATION_PANEL_ROLES, "see the collaboration panel")
    figure = collaboration_figure(key)
    if figure is None or (figure.roles is not None and not figure.roles & user.role_set):
        raise Http404("No such figure.")
    scope, team = _panel_scope(request)
    return render(
        request,
        "intelligence/panel_trace.html",
        {
            "figure": figure,
            "scope": scope,
            "team": team,
            "value": figure.compute(scope),
            "table": figure.trace(scope),
            "limit": collaboration.TRACE_LIMIT,
            "query": request.GET.urlencode(),
        },
    )


urlpatterns = [
    path("intelligence/", overview, name="overview"),
    path("intelligence/questions/new", question_create, name="question_create"),
    path("intelligence/questions/<int:question_id>/", question_detail, name="question"),
    path("intelligence/questions/<int:question_id>/change", question_change, name="question_change"),
    path("intelligence/surveys/", survey_list, name="surveys"),
    path("intelligence/surveys/new", survey_create, name="survey_create"),
    path("intelligence/surveys/<int:survey_id>/", survey_detail, name="survey_detail"),
    path("intelligence/reports/", field_reports, name="reports"),
    path("intelligence/ride-alongs/", ride_alongs, name="ride_alongs"),
    path("intelligence/collaboration/", panel, name="panel"),
    path("intelligence/collaboration/<slug:key>/", panel_trace, name="panel_trace"),
]
