"""API for sales acceptance and follow-up: accept, reject, log a touch, the SLA clocks by urgency, and the
scorecards."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut, offset_page
from accord.core.errors import AccessDenied
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.leads.models import Lead
from accord.leads.selectors import lead_get
from accord.people.access import signed_in_user, touches_visible_to
from accord.sla.models import ClockStatus, RejectionReason, SlaClock, TouchKind, TouchOutcome
from accord.sla.scorecards import PeriodKind, Scorecard, scorecard_period, scorecards_allowed, scorecards_for
from accord.sla.selectors import lead_get_for_action, sla_clocks_for
from accord.sla.services import lead_accept, lead_reject, touch_log

router = Router(tags=["sla"])


class SlaClockOut(Schema):
    id: int
    lead_id: int
    lead: str
    kind: str
    status: ClockStatus
    owner: str | None
    policy: str
    started_at: datetime
    due_at: datetime
    reminded_at: datetime | None
    breached_at: datetime | None
    met_at: datetime | None
    escalated_level: int
    seconds_left: int = Field(description="Until the deadline; negative once overdue.")


class LeadActionOut(Schema):
    id: int
    stage: str
    owner: str | None
    clocks: list[SlaClockOut] = Field(description="The lead's open clocks, most urgent first.")


class RejectIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: RejectionReason
    note: str = ""


class TouchAnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")

    question: int = Field(description="An active research question's id (GET /api/v1/research-questions).")
    option: str = Field(description="One of the question's options, as listed.")


class TouchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: TouchKind
    outcome: TouchOutcome = TouchOutcome.NONE
    note: str = ""
    answers: list[TouchAnswerIn] = Field(
        default_factory=list,
        description="One-click answers to the active research questions (calls and meetings only).",
        max_length=10,
    )


class TouchOut(Schema):
    id: int
    lead_id: int
    kind: str
    outcome: str
    note: str
    occurred_at: datetime
    lead: LeadActionOut


class ClockQuery(Schema):
    owner: str | None = Field("me", description="'me', a username, or empty for every owner you can see.")
    include_closed: bool = False
    limit: int = Field(100, ge=1, le=500)


def clock_out(clock: SlaClock, now: datetime) -> dict[str, Any]:
    return {
        "id": clock.pk,
        "lead_id": clock.lead_id,
        "lead": str(clock.lead),
        "kind": clock.kind,
        "status": clock.status_at(now),
        "owner": clock.owner.username if clock.owner else None,
        "policy": clock.policy.name,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "reminded_at": clock.reminded_at,
        "breached_at": clock.breached_at,
        "met_at": clock.met_at,
        "escalated_level": clock.escalated_level,
        "seconds_left": int((clock.due_at - now).total_seconds()),
    }


def lead_action_out(lead_id: int) -> dict[str, Any]:
    lead = Lead.objects.select_related("owner").get(pk=lead_id)
    now = timezone.now()
    clocks = lead.sla_clocks.open().select_related("lead", "owner", "policy").order_by("due_at", "id")
    return {
        "id": lead.pk,
        "stage": lead.stage,
        "owner": lead.owner.username if lead.owner else None,
        "clocks": [clock_out(c, now) for c in clocks],
    }


@router.post(
    "/leads/{lead_id}/accept",
    response={200: LeadActionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Accept a lead (MQL → SAL)",
)
def accept_lead(request: HttpRequest, lead_id: int) -> dict[str, Any]:
    """Meets the accept clock and starts the first-touch clock."""
    user = signed_in_user(request)
    lead = lead_get_for_action(user=user, lead_id=lead_id)
    lead_accept(lead=lead, user=user, channel=Channel.API)
    return lead_action_out(lead.pk)


@router.post(
    "/leads/{lead_id}/reject",
    response={200: LeadActionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Reject a lead back to marketing with a reason",
)
def reject_lead(request: HttpRequest, lead_id: int, payload: RejectIn) -> dict[str, Any]:
    """'not_ready' sends the lead to nurture, any other reason to disqualified; 'other' needs a note."""
    user = signed_in_user(request)
    lead = lead_get_for_action(user=user, lead_id=lead_id)
    lead_reject(lead=lead, user=user, reason=payload.reason, note=payload.note, channel=Channel.API)
    return lead_action_out(lead.pk)


class RepTouchOut(Schema):
    """One follow-up a rep logged on a lead (a call, an email, a meeting or a note)."""

    id: int
    kind: str
    outcome: str
    note: str
    occurred_at: datetime
    by: str | None = Field(description="The username of who logged it.")
    channel: str


class RepTouchListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[RepTouchOut]


class RepTouchQuery(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)


@router.get(
    "/leads/{lead_id}/touches",
    response={200: RepTouchListOut, 404: ErrorOut},
    summary="A lead's logged touches, newest first",
)
def list_touches(request: HttpRequest, lead_id: int, query: Query[RepTouchQuery]) -> dict[str, Any]:
    """The calls, emails, meetings and notes logged on a lead you may see (its marketing touches, from
    campaigns and forms, are at /leads/{lead_id}/touchpoints)."""
    user = signed_in_user(request)
    lead = lead_get(user=user, lead_id=lead_id)
    touches = (
        touches_visible_to(user).filter(lead=lead).select_related("user").order_by("-occurred_at", "-id")
    )
    return offset_page(
        touches,
        limit=query.limit,
        offset=query.offset,
        row=lambda t: {
            "id": t.pk,
            "kind": t.kind,
            "outcome": t.outcome,
            "note": t.note,
            "occurred_at": t.occurred_at,
            "by": t.user.username if t.user_id else None,
            "channel": t.channel,
        },
    )


@router.post(
    "/leads/{lead_id}/touches",
    response={201: TouchOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Log a call, email, meeting or note",
)
def log_touch(request: HttpRequest, lead_id: int, payload: TouchIn) -> HttpResponse:
    """Meets the first- or next-touch clock and starts the next one (accepting the lead first if needed).

    Honours Idempotency-Key: a retried post logs one touch."""
    lead = lead_get_for_action(user=signed_in_user(request), lead_id=lead_id)

    def run() -> tuple[int, Any]:
        touch = touch_log(
            lead=lead,
            user=signed_in_user(request),
            kind=payload.kind,
            outcome=payload.outcome,
            note=payload.note,
            channel=Channel.API,
            answers=[answer.model_dump() for answer in payload.answers],
        )
        return 201, TouchOut.model_validate(
            {
                "id": touch.pk,
                "lead_id": lead.pk,
                "kind": touch.kind,
                "outcome": touch.outcome,
                "note": touch.note,
                "occurred_at": touch.occurred_at,
                "lead": lead_action_out(lead.pk),
            }
        ).model_dump(mode="json")

    body = {"lead": lead_id, **payload.model_dump(mode="json")}
    return idempotent_response(request, operation="touch_log", body=body, call=run)


@router.get(
    "/sla/clocks", response={200: list[SlaClockOut], 400: ErrorOut}, summary="SLA clocks, most urgent first"
)
def list_clocks(request: HttpRequest, query: Query[ClockQuery]) -> list[dict[str, Any]]:
    """Open clocks on leads you may see, earliest deadline (so the most overdue) first."""
    clocks = sla_clocks_for(
        user=signed_in_user(request), owner=query.owner or "", include_closed=query.include_closed
    )
    now = timezone.now()
    return [clock_out(c, now) for c in clocks[: query.limit]]


class ScorecardQuery(Schema):
    start: date | None = Field(None, description="First day of the period (with end).")
    end: date | None = Field(None, description="Last day of the period, inclusive (with start).")
    period: str = Field(
        PeriodKind.QUARTER, description="Without start/end: 'quarter' (fiscal) or 'month' containing `on`."
    )
    on: date | None = Field(None, description="A day inside the month or quarter (default today).")
    team: int | None = Field(None, description="Only this team (its id).")


class WeightsOut(Schema):
    on_time_points: float
    breach_penalty: float
    sql_points: float
    opportunity_points: float


class ScorecardOut(Schema):
    name: str
    team: str
    user_id: int | None
    team_id: int | None
    received: int
    accepted: int
    rejected: int
    rejected_by_reason: dict[str, int]
    median_business_hours_to_accept: float | None
    median_business_hours_to_first_touch: float | None
    sla_clocks_on_time: int
    sla_clocks_breached: int
    sla_met_percent: float | None
    reached_sql: int
    sql_percent: float | None
    reached_opportunity: int
    opportunity_percent: float | None
    points_on_time: float
    penalty_breaches: float
    points_conversion: float
    score: float


class ScorecardsOut(Schema):
    start: date
    end: date
    label: str
    weights: WeightsOut
    reps: list[ScorecardOut]
    teams: list[ScorecardOut]


def scorecard_out(card: Scorecard) -> dict[str, Any]:
    return {
        "name": card.name,
        "team": card.team,
        "user_id": card.user_id,
        "team_id": card.team_id,
        "received": card.received,
        "accepted": card.accepted,
        "rejected": card.rejected,
        "rejected_by_reason": card.rejected_by_reason,
        "median_business_hours_to_accept": card.median_hours_to_accept,
        "median_business_hours_to_first_touch": card.median_hours_to_first_touch,
        "sla_clocks_on_time": card.clocks_on_time,
        "sla_clocks_breached": card.clocks_breached,
        "sla_met_percent": card.sla_met_percent,
        "reached_sql": card.reached_sql,
        "sql_percent": card.sql_percent,
        "reached_opportunity": card.reached_opportunity,
        "opportunity_percent": card.opportunity_percent,
        "points_on_time": card.points_on_time,
        "penalty_breaches": card.penalty_breaches,
        "points_conversion": card.points_conversion,
        "score": card.score,
    }


@router.get(
    "/scorecards",
    response={200: ScorecardsOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Scorecards per rep and team for a period",
)
def list_scorecards(request: HttpRequest, query: Query[ScorecardQuery]) -> dict[str, Any]:
    """Managers get their teams, heads, executives and admins every team, a rep their own row only."""
    user = signed_in_user(request)
    if not scorecards_allowed(user):
        raise AccessDenied("Scorecards are for sales, the heads, executives and admins.")
    period = scorecard_period(kind=query.period, on=query.on, start=query.start, end=query.end)
    cards = scorecards_for(user=user, period=period, team_id=query.team)
    w = cards.weights
    return {
        "start": period.start,
        "end": period.end,
        "label": period.label,
        "weights": {
            "on_time_points": w.on_time_points,
            "breach_penalty": w.breach_penalty,
            "sql_points": w.sql_points,
            "opportunity_points": w.opportunity_points,
        },
        "reps": [scorecard_out(c) for c in cards.reps],
        "teams": [scorecard_out(c) for c in cards.teams],
    }
