"""Routing API: the rules of the active and draft versions, a dry run, and reassigning a lead."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut
from accord.core.errors import AccessDenied, NotFound
from accord.core.models import Channel
from accord.leads.selectors import lead_get
from accord.people.access import signed_in_user
from accord.people.models import User
from accord.routing import selectors, services

router = Router(tags=["routing"])


class RoutingConditionOut(Schema):
    field: str
    operator: str
    value: Any


class RoutingRuleOut(Schema):
    id: int
    number: int
    name: str
    conditions: list[RoutingConditionOut]
    target_kind: str
    target: str
    weighted: bool
    explanation: str


class RoutingRuleSetOut(Schema):
    version: int
    status: str
    notes: str
    activated_at: str | None
    rules: list[RoutingRuleOut]


class DryRunIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    version: int | None = Field(None, description="Rule version to try; default: the active one.")
    limit: int = Field(100, ge=1, le=1000, description="How many of the newest leads.")


class DryRunRowOut(Schema):
    lead_id: int
    lead: str
    current_owner: str | None
    owner: str | None
    queue: str | None
    reason: str
    rule_number: int | None
    explanation: str


class ReassignIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    to: int = Field(description="Id of the user who takes the lead.")
    reason: str = Field(min_length=1, max_length=500)


class AssignmentOut(Schema):
    lead_id: int
    owner: str | None
    reason: str
    explanation: str


def _require_view(request: HttpRequest) -> None:
    if not selectors.routing_can_view(request.user):
        raise AccessDenied("Routing is for admins, sales heads and managers, and marketing's head.")


def _rule_set_out(rule_set: Any) -> dict[str, Any]:
    rules = selectors.rule_set_rules(rule_set)
    views = selectors.rule_set_views(rule_set)
    return {
        "version": rule_set.version,
        "status": rule_set.status,
        "notes": rule_set.notes,
        "activated_at": rule_set.activated_at.isoformat() if rule_set.activated_at else None,
        "rules": [
            {
                "id": rule.pk,
                "number": view.number,
                "name": rule.name,
                "conditions": rule.conditions,
                "target_kind": rule.target_kind,
                "target": rule.target_label(),
                "weighted": rule.weighted,
                "explanation": view.explain(),
            }
            for rule, view in zip(rules, views, strict=True)
        ],
    }


@router.get(
    "/routing/rules",
    response={200: list[RoutingRuleSetOut], 400: ErrorOut, 403: ErrorOut},
    summary="Routing rules of the active and draft versions",
)
def routing_rules(request: HttpRequest) -> list[dict[str, Any]]:
    _require_view(request)
    return [_rule_set_out(rule_set) for rule_set in selectors.rule_sets_for_page()]


@router.post(
    "/routing/dry-run",
    response={200: list[DryRunRowOut], 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Where the newest leads would go",
)
def routing_dry_run(request: HttpRequest, payload: DryRunIn) -> list[dict[str, Any]]:
    """Nothing is written: round-robin and capacity are simulated in memory."""
    _require_view(request)
    rule_set = selectors.rule_set_get(payload.version) if payload.version else selectors.rule_set_active()
    if rule_set is None:
        raise NotFound(
            "No such routing version." if payload.version else "No routing version is active.",
            detail={"version": payload.version},
        )
    return [
        {
            "lead_id": row.lead.pk,
            "lead": str(row.lead),
            "current_owner": row.current_owner.username if row.current_owner else None,
            "owner": row.owner.username if row.owner else None,
            "queue": row.queue_name or None,
            "reason": row.reason,
            "rule_number": row.rule_number,
            "explanation": row.explanation,
        }
        for row in services.routing_dry_run(rule_set, limit=payload.limit, user=signed_in_user(request))
    ]


@router.post(
    "/leads/{lead_id}/reassign",
    response={200: AssignmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Give a lead to another rep, with a reason",
)
def lead_reassign(request: HttpRequest, lead_id: int, payload: ReassignIn) -> dict[str, Any]:
    if not request.user.has_role(*selectors.REASSIGN_ROLES):
        raise AccessDenied("Only sales managers, sales heads and admins reassign leads.")
    lead = lead_get(user=request.user, lead_id=lead_id)
    to_user = User.objects.filter(pk=payload.to).first()
    if to_user is None:
        raise NotFound(f"User {payload.to} was not found.", detail={"to": "unknown user"})
    result = services.lead_reassign(
        lead=lead, to_user=to_user, reason=payload.reason, actor=signed_in_user(request), channel=Channel.API
    )
    return {
        "lead_id": lead.pk,
        "owner": result.owner.username if result.owner else None,
        "reason": result.reason,
        "explanation": result.explanation,
    }
