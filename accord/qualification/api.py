"""REST API for qualification criteria: versions, drafts, sign-offs, diffs and the impact preview."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from accord.core.api_support import ErrorOut
from accord.core.errors import Conflict, NotFound
from accord.core.idempotency import idempotent_response
from accord.people.access import signed_in_user
from accord.qualification import services
from accord.qualification.impact import criteria_impact
from accord.qualification.models import CriteriaSet, CriteriaStatus
from accord.qualification.selectors import criteria_active, criteria_diff, criteria_get, criteria_list

router = Router(tags=["qualification"])


class QualificationRuleIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    kind: str = "fit"
    field: str
    operator: str
    value: Any = ""
    points: int = 0
    half_life_days: int | None = None
    label: str = ""


class QualificationRuleOut(Schema):
    id: int
    position: int
    kind: str
    field: str
    operator: str
    value: Any
    points: int
    half_life_days: int | None
    label: str


class SignOffOut(Schema):
    role: str
    user: str
    signed_at: datetime
    comment: str


class CriteriaOut(Schema):
    id: int
    version: int
    name: str
    status: str
    mql_threshold: int
    notes: str
    based_on_version: int | None
    activated_at: datetime | None
    retired_at: datetime | None
    created_at: datetime
    sign_offs: list[SignOffOut]
    rules: list[QualificationRuleOut]


class CriteriaSummaryOut(Schema):
    id: int
    version: int
    name: str
    status: str
    mql_threshold: int
    activated_at: datetime | None
    signed_by: list[str]


class DraftIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    based_on: int | None = None
    name: str | None = Field(default=None, max_length=200)


class DraftUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    name: str = Field(max_length=200)
    mql_threshold: int = Field(ge=-1_000_000, le=1_000_000)  # the criteria editor's range
    notes: str = ""
    rules: list[QualificationRuleIn]


class SignOffIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    comment: str = ""
    role: str | None = None


class DiffOut(Schema):
    old_version: int
    new_version: int
    threshold: dict[str, int] | None
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]]


def _out(criteria_set: CriteriaSet) -> dict[str, Any]:
    return {
        "id": criteria_set.pk,
        "version": criteria_set.version,
        "name": criteria_set.name,
        "status": criteria_set.status,
        "mql_threshold": criteria_set.mql_threshold,
        "notes": criteria_set.notes,
        "based_on_version": criteria_set.based_on.version if criteria_set.based_on_id else None,
        "activated_at": criteria_set.activated_at,
        "retired_at": criteria_set.retired_at,
        "created_at": criteria_set.created_at,
        "sign_offs": [
            {"role": s.role, "user": s.user.username, "signed_at": s.signed_at, "comment": s.comment}
            for s in criteria_set.sign_offs.all()
        ],
        "rules": [
            {
                "id": r.pk,
                "position": r.position,
                "kind": r.kind,
                "field": r.field,
                "operator": r.operator,
                "value": r.value,
                "points": r.points,
                "half_life_days": r.half_life_days,
                "label": r.label,
            }
            for r in criteria_set.rules.all()
        ],
    }


@router.get("/criteria", response=list[CriteriaSummaryOut], summary="List criteria versions")
def list_criteria(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": c.pk,
            "version": c.version,
            "name": c.name,
            "status": c.status,
            "mql_threshold": c.mql_threshold,
            "activated_at": c.activated_at,
            "signed_by": [s.user.username for s in c.sign_offs.all()],
        }
        for c in criteria_list()
    ]


@router.get(
    "/criteria/active", response={200: CriteriaOut, 404: ErrorOut}, summary="The active criteria version"
)
def get_active_criteria(request: HttpRequest) -> dict[str, Any]:
    active = criteria_active()
    if active is None:
        raise NotFound("No criteria version is active yet.")
    return _out(criteria_get(criteria_id=active.pk))


@router.get(
    "/criteria/{criteria_id}", response={200: CriteriaOut, 404: ErrorOut}, summary="One criteria version"
)
def get_criteria(request: HttpRequest, criteria_id: int) -> dict[str, Any]:
    return _out(criteria_get(criteria_id=criteria_id))


@router.post(
    "/criteria",
    response={201: CriteriaOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Start a draft (optionally from a version)",
)
def create_criteria(request: HttpRequest, payload: DraftIn) -> HttpResponse:
    """Honours Idempotency-Key: a retried post makes one draft."""

    def run() -> tuple[int, Any]:
        based_on = criteria_get(criteria_id=payload.based_on) if payload.based_on is not None else None
        draft = services.criteria_draft_create(
            user=signed_in_user(request), based_on=based_on, name=payload.name
        )
        out = CriteriaOut.model_validate(_out(criteria_get(criteria_id=draft.pk)))
        return 201, out.model_dump(mode="json")

    body = payload.model_dump(mode="json")
    return idempotent_response(request, operation="criteria_create", body=body, call=run)


@router.put(
    "/criteria/{criteria_id}",
    response={200: CriteriaOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Replace a draft's settings and rules",
)
def update_criteria(request: HttpRequest, criteria_id: int, payload: DraftUpdateIn) -> dict[str, Any]:
    criteria_set = criteria_get(criteria_id=criteria_id)
    services.criteria_draft_update(
        criteria_set=criteria_set,
        user=signed_in_user(request),
        name=payload.name,
        mql_threshold=payload.mql_threshold,
        notes=payload.notes,
        rules=[r.dict() for r in payload.rules],
    )
    return _out(criteria_get(criteria_id=criteria_id))


@router.post(
    "/criteria/{criteria_id}/sign-off",
    response={200: CriteriaOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Sign off a draft as a head",
)
def sign_off_criteria(request: HttpRequest, criteria_id: int, payload: SignOffIn) -> dict[str, Any]:
    criteria_set = criteria_get(criteria_id=criteria_id)
    services.criteria_sign_off(
        criteria_set=criteria_set, user=signed_in_user(request), comment=payload.comment, role=payload.role
    )
    return _out(criteria_get(criteria_id=criteria_id))


@router.get(
    "/criteria/{criteria_id}/diff",
    response={200: DiffOut, 404: ErrorOut},
    summary="What changed against another version",
)
def diff_criteria(request: HttpRequest, criteria_id: int, against: int) -> dict[str, Any]:
    new = criteria_get(criteria_id=criteria_id)
    old = criteria_get(criteria_id=against)
    return criteria_diff(old, new)


class ImpactExampleOut(Schema):
    id: int
    name: str
    company: str
    score: int | None
    new_score: int
    url: str


class ImpactMoveOut(Schema):
    from_stage: str
    to_stage: str
    direction: str = Field(description="to_sales (into MQL), from_sales (out of MQL) or other")
    count: int
    examples: list[ImpactExampleOut] = Field(description="Up to five, among leads you may see.")


class ImpactOut(Schema):
    version: int
    evaluated: int = Field(description="Open leads evaluated (customers are left out).")
    stage_changed: int
    to_sales: int
    from_sales: int
    score_changed: int
    moves: list[ImpactMoveOut]
    computed_at: datetime


@router.get(
    "/criteria/{criteria_id}/impact",
    response={200: ImpactOut, 404: ErrorOut, 409: ErrorOut},
    summary="What signing a draft would do: open leads that would change stage, by move, with examples",
)
def get_criteria_impact(request: HttpRequest, criteria_id: int) -> dict[str, Any]:
    criteria_set = criteria_get(criteria_id=criteria_id)
    if criteria_set.status != CriteriaStatus.DRAFT:
        raise Conflict(
            f"Version {criteria_set.version} is {criteria_set.status}: only a draft has an impact to preview.",
            detail={"status": criteria_set.status},
        )
    impact = criteria_impact(criteria_set=criteria_set, user=signed_in_user(request))
    return {
        "version": impact.version,
        "evaluated": impact.evaluated,
        "stage_changed": impact.stage_changed,
        "to_sales": impact.to_sales,
        "from_sales": impact.from_sales,
        "score_changed": impact.score_changed,
        "moves": [
            {
                "from_stage": m.from_stage,
                "to_stage": m.to_stage,
                "direction": m.direction,
                "count": m.count,
                "examples": m.examples,
            }
            for m in impact.moves
        ],
        "computed_at": impact.computed_at,
    }
