"""API for joint planning: goals (SMART, with live progress), plans with their versions, drastic
changes, previews, comments and disagreements, and publishing."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import annotated_types
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import MAX_ID, ErrorOut, offset_page
from accord.core.errors import ApplicationError
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.people.access import signed_in_user
from accord.people.models import Team, User
from accord.planning import figures, services
from accord.planning import selectors as sel
from accord.planning.models import Disagreement, Goal, Plan, VersionKind

router = Router(tags=["planning"])

Id = Annotated[int, annotated_types.Ge(1), annotated_types.Le(MAX_ID)]
Number = Annotated[Decimal, annotated_types.Ge(0), annotated_types.Le(Decimal("99999999999999.99"))]


# --- goals ---------------------------------------------------------------------------------------------


class GoalProgressOut(Schema):
    value: Decimal | None
    target: Decimal
    percent: Decimal | None = Field(
        description="Share of the target reached (lower-is-better metrics: target ÷ value)."
    )
    note: str


class GoalOut(Schema):
    id: int
    side: str
    title: str
    metric: str
    metric_label: str
    unit: str
    target: Decimal
    period_start: date
    period_end: date
    owner: str
    team: int | None
    plan: int | None
    serves: list[int]
    progress: GoalProgressOut | None = Field(
        description="Live, from the records, when Accord measures the metric."
    )
    reported_progress: Decimal | None


class GoalListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[GoalOut]


class GoalIn(Schema):
    """Every field is optional here so a goal that is not SMART is answered with what it misses."""

    model_config = ConfigDict(extra="forbid")

    side: str | None = Field(None, description="sales or marketing")
    title: str = ""
    metric: str | None = None
    unit: str = Field("", description="For metric 'custom': what is counted.")
    target: Annotated[Decimal, annotated_types.Le(Decimal("99999999999999.99"))] | None = None
    period_start: date | None = None
    period_end: date | None = Field(None, description="The deadline.")
    owner: str | Id | None = Field(None, description="Username or user id.")
    team: Id | None = None
    plan: Id | None = None
    serves: list[Id] = []  # ids of the sales goals a marketing goal serves


class GoalQuery(Schema):
    side: Literal["sales", "marketing"] | None = None
    start: date | None = None
    end: date | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def goal_out(goal: Goal) -> dict[str, Any]:
    progress = figures.goal_progress(goal)
    return {
        "id": goal.pk,
        "side": goal.side,
        "title": goal.title,
        "metric": goal.metric,
        "metric_label": goal.get_metric_display(),
        "unit": goal.unit,
        "target": goal.target,
        "period_start": goal.period_start,
        "period_end": goal.period_end,
        "owner": goal.owner.username,
        "team": goal.team_id,
        "plan": goal.plan_id,
        "serves": [g.pk for g in goal.serves.all()],
        "progress": (
            {
                "value": progress.value,
                "target": progress.target,
                "percent": progress.percent,
                "note": progress.note,
            }
            if progress.measured
            else None
        ),
        "reported_progress": goal.reported_progress,
    }


def _user(value: str | int | None, field: str = "owner") -> User | None:
    """A user by id or username; anything else, or an inactive user, is a 422 naming the field."""
    if value is None or value == "":
        return None
    text = str(value)
    if text.isascii() and text.isdigit():
        number = int(text)
        found = User.objects.filter(pk=number, is_active=True).first() if number <= MAX_ID else None
    else:
        found = User.objects.filter(username=text, is_active=True).first()
    if found is None:
        raise ApplicationError(f"No active user {value!r}.", detail={field: "unknown"}, status=422)
    return found


def _team(team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ApplicationError(f"No team {team_id}.", detail={"team": "unknown"}, status=422)
    return team


@router.get(
    "/goals", response={200: GoalListOut, 403: ErrorOut}, summary="Goals of both sides, with live progress"
)
def list_goals(request: HttpRequest, query: Query[GoalQuery]) -> dict[str, Any]:
    user = sel.require_reader(signed_in_user(request))
    goals = sel.goal_list(user=user, side=query.side or "", start=query.start, end=query.end)
    return offset_page(goals, limit=query.limit, offset=query.offset, row=goal_out)


@router.get("/goals/{goal_id}", response={200: GoalOut, 404: ErrorOut}, summary="One goal with its progress")
def get_goal(request: HttpRequest, goal_id: int) -> dict[str, Any]:
    return goal_out(sel.goal_get(user=signed_in_user(request), goal_id=goal_id))


@router.post(
    "/goals", response={201: GoalOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}, summary="Set a SMART goal"
)
def create_goal(request: HttpRequest, payload: GoalIn) -> HttpResponse:
    user = signed_in_user(request)

    def run() -> tuple[int, Any]:
        serves = list(sel.goals_visible_to(user).filter(pk__in=payload.serves))
        missing = set(payload.serves) - {g.pk for g in serves}
        if missing:
            raise ApplicationError(
                f"No goals {sorted(missing)}.", detail={"serves": "unknown ids"}, status=422
            )
        goal = services.goal_create(
            actor=user,
            side=payload.side or "",
            title=payload.title,
            metric=payload.metric,
            unit=payload.unit,
            target=payload.target,
            period_start=payload.period_start,
            period_end=payload.period_end,
            owner=_user(payload.owner),
            team=_team(payload.team),
            plan=sel.plan_get(user=user, plan_id=payload.plan) if payload.plan else None,
            serves=serves,
            channel=Channel.API,
        )
        return 201, GoalOut.model_validate(goal_out(sel.goal_get(user=user, goal_id=goal.pk))).model_dump(
            mode="json"
        )

    return idempotent_response(
        request, operation="goal_create", body=payload.model_dump(mode="json"), call=run
    )


# --- plans ---------------------------------------------------------------------------------------------


class PlanItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["strategy", "target", "budget"]
    title: str
    key: str = Field(
        "", description="Names the same item in the pre-plan and the plan; defaults to the title."
    )
    amount: Number | None = Field(None, description="A target's number or a budget line's money.")
    description: str = ""
    involves_sales: bool = True
    benefit_for_sales: str = ""
    campaigns: list[Id] = []


class PlanItemOut(Schema):
    id: int
    kind: str
    key: str
    title: str
    amount: Decimal | None
    description: str
    involves_sales: bool
    benefit_for_sales: str
    campaigns: list[int]


class DrasticChangeOut(Schema):
    id: int
    key: str
    kind: str
    title: str
    before: Decimal | None
    after: Decimal | None
    explanation: str
    explained_at: datetime | None
    acknowledged_at: datetime | None


class PreviewOut(Schema):
    id: int
    team: str
    done_at: datetime | None


class PlanOut(Schema):
    id: int
    name: str
    fiscal_year: int
    status: str
    executive_sponsor: str | None
    target_threshold_pct: int
    budget_threshold_pct: int
    escalation_business_days: int
    attribution_model: str
    published_at: datetime | None
    pre_plan: list[PlanItemOut]
    plan: list[PlanItemOut]
    drastic_changes: list[DrasticChangeOut]
    previews: list[PreviewOut]
    open_disagreements: int
    publish_blockers: list[str]


class PlanSummaryOut(Schema):
    id: int
    name: str
    fiscal_year: int
    status: str
    executive_sponsor: str | None
    published_at: datetime | None


class PlanListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[PlanSummaryOut]


class PlanIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    fiscal_year: int = Field(ge=2000, le=2100)
    executive_sponsor: str | Id | None = Field(None, description="Username or user id.")
    target_threshold_pct: int = Field(
        20, ge=0, le=1000, description="A target moved by more than this % is drastic."
    )
    budget_threshold_pct: int = Field(
        15, ge=0, le=1000, description="A budget line moved by more than this % is drastic."
    )
    escalation_business_days: int = Field(
        3, ge=1, le=60, description="Business days at each level before a disagreement climbs."
    )
    attribution_model: str = "linear"
    pre_plan: list[PlanItemIn] | None = None
    plan: list[PlanItemIn] | None = None


class VersionIn(Schema):
    model_config = ConfigDict(extra="forbid")

    items: list[PlanItemIn]


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def _specs(items: list[PlanItemIn] | None) -> list[services.ItemSpec] | None:
    if items is None:
        return None
    return [
        services.ItemSpec(
            kind=i.kind,
            title=i.title,
            amount=i.amount,
            key=i.key,
            description=i.description,
            involves_sales=i.involves_sales,
            benefit_for_sales=i.benefit_for_sales,
            campaign_ids=tuple(i.campaigns),
        )
        for i in items
    ]


def _item_out(item: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "key": item.key,
        "title": item.title,
        "amount": item.amount,
        "description": item.description,
        "involves_sales": item.involves_sales,
        "benefit_for_sales": item.benefit_for_sales,
        "campaigns": [c.pk for c in item.campaigns.all()],
    }


def plan_summary(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "name": plan.name,
        "fiscal_year": plan.fiscal_year,
        "status": plan.status,
        "executive_sponsor": plan.executive_sponsor.username if plan.executive_sponsor else None,
        "published_at": plan.published_at,
    }


def plan_out(plan: Plan) -> dict[str, Any]:
    return {
        **plan_summary(plan),
        "target_threshold_pct": plan.target_threshold_pct,
        "budget_threshold_pct": plan.budget_threshold_pct,
        "escalation_business_days": plan.escalation_business_days,
        "attribution_model": plan.attribution_model,
        "pre_plan": [_item_out(i) for i in sel.version_items(plan, VersionKind.PRE_PLAN)],
        "plan": [_item_out(i) for i in sel.version_items(plan, VersionKind.PLAN)],
        "drastic_changes": [
            {
                "id": c.pk,
                "key": c.key,
                "kind": c.kind,
                "title": c.title,
                "before": c.before,
                "after": c.after,
                "explanation": c.explanation,
                "explained_at": c.explained_at,
                "acknowledged_at": c.acknowledged_at,
            }
            for c in plan.drastic_changes.all()
        ],
        "previews": [
            {"id": p.pk, "team": p.team.name, "done_at": p.done_at}
            for p in plan.previews.select_related("team")
        ],
        "open_disagreements": plan.disagreements.filter(status="open").count(),
        "publish_blockers": sel.publish_blockers(plan),
    }


@router.get("/plans", response={200: PlanListOut, 403: ErrorOut}, summary="Plans")
def list_plans(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    user = sel.require_reader(signed_in_user(request))
    return offset_page(
        sel.plans_visible_to(user).order_by("-fiscal_year", "name", "id"),
        limit=query.limit,
        offset=query.offset,
        row=plan_summary,
    )


@router.get(
    "/plans/{plan_id}",
    response={200: PlanOut, 404: ErrorOut},
    summary="One plan: versions, changes, previews",
)
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    return plan_out(sel.plan_get(user=signed_in_user(request), plan_id=plan_id))


@router.post(
    "/plans",
    response={201: PlanOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create a plan (marketing)",
)
def create_plan(request: HttpRequest, payload: PlanIn) -> HttpResponse:
    user = signed_in_user(request)

    def run() -> tuple[int, Any]:
        plan = services.plan_create(
            actor=user,
            name=payload.name,
            fiscal_year=payload.fiscal_year,
            executive_sponsor=_user(payload.executive_sponsor, "executive_sponsor"),
            target_threshold_pct=payload.target_threshold_pct,
            budget_threshold_pct=payload.budget_threshold_pct,
            escalation_business_days=payload.escalation_business_days,
            attribution_model=payload.attribution_model,
            pre_plan=_specs(payload.pre_plan),
            plan_items=_specs(payload.plan),
            channel=Channel.API,
        )
        return 201, PlanOut.model_validate(plan_out(plan)).model_dump(mode="json")

    return idempotent_response(
        request, operation="plan_create", body=payload.model_dump(mode="json"), call=run
    )


@router.put(
    "/plans/{plan_id}/versions/{kind}",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Replace the items of the pre-plan or the plan",
)
def set_version(
    request: HttpRequest, plan_id: int, kind: Literal["pre_plan", "plan"], payload: VersionIn
) -> dict[str, Any]:
    user = signed_in_user(request)
    plan = sel.plan_get(user=user, plan_id=plan_id)
    services.plan_version_set(
        plan=plan, actor=user, kind=kind, items=_specs(payload.items) or [], channel=Channel.API
    )
    return plan_out(sel.plan_get(user=user, plan_id=plan_id))


@router.post(
    "/plans/{plan_id}/publish",
    response={200: PlanOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Publish a plan (409 while a drastic change is unexplained or unacknowledged, or a disagreement is open)",
)
def publish_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    plan = services.plan_publish(
        plan=sel.plan_get(user=user, plan_id=plan_id), actor=user, channel=Channel.API
    )
    return plan_out(plan)


class ExplainIn(Schema):
    model_config = ConfigDict(extra="forbid")

    explanation: str


@router.post(
    "/plan-changes/{change_id}/explain",
    response={200: DrasticChangeOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Explain a drastic change (marketing)",
)
def explain_change(request: HttpRequest, change_id: int, payload: ExplainIn) -> Any:
    user = signed_in_user(request)
    change = services.drastic_change_explain(
        change=sel.drastic_change_get(user=user, change_id=change_id),
        actor=user,
        explanation=payload.explanation,
        channel=Channel.API,
    )
    return change


@router.post(
    "/plan-changes/{change_id}/acknowledge",
    response={200: DrasticChangeOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Acknowledge marketing's explanation of a drastic change (sales leadership)",
)
def acknowledge_change(request: HttpRequest, change_id: int) -> Any:
    user = signed_in_user(request)
    return services.drastic_change_acknowledge(
        change=sel.drastic_change_get(user=user, change_id=change_id), actor=user, channel=Channel.API
    )


class PreviewsIn(Schema):
    model_config = ConfigDict(extra="forbid")

    teams: list[Id]


@router.post(
    "/plans/{plan_id}/previews",
    response={200: list[PreviewOut], 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Submit the plan to sales teams for preview",
)
def send_previews(request: HttpRequest, plan_id: int, payload: PreviewsIn) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    plan = sel.plan_get(user=user, plan_id=plan_id)
    teams = list(Team.objects.filter(pk__in=payload.teams))
    if len(teams) != len(set(payload.teams)):
        raise ApplicationError(
            "Some of those teams do not exist.", detail={"teams": "unknown ids"}, status=422
        )
    previews = services.previews_send(plan=plan, actor=user, teams=teams, channel=Channel.API)
    return [{"id": p.pk, "team": p.team.name, "done_at": p.done_at} for p in previews]


class CommentIn(Schema):
    model_config = ConfigDict(extra="forbid")

    item: Id
    body: str


class CommentOut(Schema):
    id: int
    item: int
    author: str
    body: str
    created_at: datetime


@router.post(
    "/previews/{preview_id}/comments",
    response={201: CommentOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Comment on a plan item in a team's preview",
)
def comment_item(request: HttpRequest, preview_id: int, payload: CommentIn) -> HttpResponse:
    user = signed_in_user(request)
    preview = sel.preview_get(user=user, preview_id=preview_id)
    item = sel.plan_item_get(user=user, item_id=payload.item)

    def run() -> tuple[int, Any]:
        comment = services.item_comment_add(
            preview=preview, item=item, actor=user, body=payload.body, channel=Channel.API
        )
        out = {
            "id": comment.pk,
            "item": item.pk,
            "author": user.username,
            "body": comment.body,
            "created_at": comment.created_at,
        }
        return 201, CommentOut.model_validate(out).model_dump(mode="json")

    body = {"preview": preview_id, **payload.model_dump(mode="json")}
    return idempotent_response(request, operation="plan_item_comment", body=body, call=run)


@router.post(
    "/previews/{preview_id}/done",
    response={200: PreviewOut, 403: ErrorOut, 404: ErrorOut},
    summary="Mark a team's preview done (the team lead)",
)
def mark_preview_done(request: HttpRequest, preview_id: int) -> dict[str, Any]:
    user = signed_in_user(request)
    preview = services.preview_mark_done(
        preview=sel.preview_get(user=user, preview_id=preview_id), actor=user, channel=Channel.API
    )
    return {"id": preview.pk, "team": preview.team.name, "done_at": preview.done_at}


class DisagreementIn(Schema):
    model_config = ConfigDict(extra="forbid")

    body: str
    preview: Id | None = Field(None, description="The team preview it was raised in.")


class DisagreementStepOut(Schema):
    kind: str
    at: datetime
    actor: str | None
    assignee: str | None
    level: int
    due_at: datetime | None
    note: str


class DisagreementOut(Schema):
    id: int
    plan: int
    item: int
    raised_by: str
    body: str
    status: str
    level: int
    assignee: str | None
    due_at: datetime | None
    resolution: str
    resolved_by: str | None
    resolved_at: datetime | None
    history: list[DisagreementStepOut]


def disagreement_out(d: Disagreement) -> dict[str, Any]:
    def name(user: User | None) -> str | None:
        return user.username if user else None

    return {
        "id": d.pk,
        "plan": d.plan_id,
        "item": d.item_id,
        "raised_by": d.raised_by.username,
        "body": d.body,
        "status": d.status,
        "level": d.level,
        "assignee": name(d.assignee),
        "due_at": d.due_at,
        "resolution": d.resolution,
        "resolved_by": name(d.resolved_by),
        "resolved_at": d.resolved_at,
        "history": [
            {
                "kind": s.kind,
                "at": s.at,
                "actor": name(s.actor),
                "assignee": name(s.assignee),
                "level": s.level,
                "due_at": s.due_at,
                "note": s.note,
            }
            for s in d.steps.select_related("actor", "assignee")
        ],
    }


@router.post(
    "/plan-items/{item_id}/disagreements",
    response={201: DisagreementOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Raise a disagreement on a plan item",
)
def raise_disagreement(request: HttpRequest, item_id: int, payload: DisagreementIn) -> HttpResponse:
    user = signed_in_user(request)
    item = sel.plan_item_get(user=user, item_id=item_id)
    preview = sel.preview_get(user=user, preview_id=payload.preview) if payload.preview else None

    def run() -> tuple[int, Any]:
        d = services.disagreement_raise(
            item=item, actor=user, body=payload.body, preview=preview, channel=Channel.API
        )
        out = disagreement_out(sel.disagreement_get(user=user, disagreement_id=d.pk))
        return 201, DisagreementOut.model_validate(out).model_dump(mode="json")

    body = {"item": item_id, **payload.model_dump(mode="json")}
    return idempotent_response(request, operation="plan_disagreement_raise", body=body, call=run)


@router.get(
    "/disagreements/{disagreement_id}",
    response={200: DisagreementOut, 404: ErrorOut},
    summary="A disagreement and its history",
)
def get_disagreement(request: HttpRequest, disagreement_id: int) -> dict[str, Any]:
    return disagreement_out(
        sel.disagreement_get(user=signed_in_user(request), disagreement_id=disagreement_id)
    )


class ResolveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    resolution: str


@router.post(
    "/disagreements/{disagreement_id}/resolve",
    response={200: DisagreementOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Resolve a disagreement (someone with authority)",
)
def resolve_disagreement(request: HttpRequest, disagreement_id: int, payload: ResolveIn) -> dict[str, Any]:
    user = signed_in_user(request)
    d = sel.disagreement_get(user=user, disagreement_id=disagreement_id)
    services.disagreement_resolve(
        disagreement=d, actor=user, resolution=payload.resolution, channel=Channel.API
    )
    return disagreement_out(sel.disagreement_get(user=user, disagreement_id=disagreement_id))
