"""API for the external qualification provider (C2): pending reviews and their verdicts.

The provider signs in as its own Accord user with the 'marketing' role and uses that user's
personal API token (``accord token create --user NAME``); marketing heads and admins may call it too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut
from accord.core.errors import AccessDenied
from accord.people.access import signed_in_user
from accord.sla.external import (
    external_qualification_configure,
    external_review_decide,
    external_review_get,
    external_reviews_for,
)
from accord.sla.models import ExternalQualificationConfig, ExternalReview

router = Router(tags=["external qualification"])


class ExternalReviewOut(Schema):
    id: int
    lead_id: int
    email: str
    name: str
    company: str
    title: str
    country: str
    score: int
    explanation: str
    provider: str
    requested_at: datetime
    due_at: datetime
    status: str = Field(description="pending, ready, not_ready or timed_out")
    note: str
    decided_at: datetime | None


class ExternalReviewQuery(Schema):
    status: Literal["pending", "decided", "all"] = "pending"
    limit: int = Field(100, ge=1, le=1000)


class VerdictIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    verdict: Literal["ready", "not_ready"]
    note: str = Field("", max_length=2000)


def review_out(review: ExternalReview) -> dict[str, Any]:
    lead = review.lead
    return {
        "id": review.pk,
        "lead_id": lead.pk,
        "email": lead.email,
        "name": lead.full_name,
        "company": lead.company,
        "title": lead.title,
        "country": lead.country,
        "score": lead.score,
        "explanation": lead.explanation,
        "provider": review.provider_name,
        "requested_at": review.requested_at,
        "due_at": review.due_at,
        "status": review.verdict or "pending",
        "note": review.note,
        "decided_at": review.decided_at,
    }


@router.get(
    "/external-reviews",
    response={200: list[ExternalReviewOut], 400: ErrorOut, 403: ErrorOut},
    summary="Leads awaiting (or given) a verdict",
)
def list_reviews(request: HttpRequest, query: Query[ExternalReviewQuery]) -> list[dict[str, Any]]:
    reviews = external_reviews_for(user=signed_in_user(request), status=query.status)[: query.limit]
    return [review_out(r) for r in reviews]


@router.post(
    "/external-reviews/{review_id}/verdict",
    response={200: ExternalReviewOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Mark a lead ready (routed to sales) or not ready (nurture)",
)
def post_verdict(request: HttpRequest, review_id: int, payload: VerdictIn) -> dict[str, Any]:
    user = signed_in_user(request)
    review = external_review_get(user=user, review_id=review_id)
    review = external_review_decide(review=review, user=user, verdict=payload.verdict, note=payload.note)
    return review_out(ExternalReview.objects.select_related("lead").get(pk=review.pk))


class ExternalConfigSchema(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    enabled: bool
    provider_name: str = Field("", max_length=120)
    sla_hours: float = Field(24, gt=0, le=24 * 30)


@router.get(
    "/external-qualification",
    response={200: ExternalConfigSchema, 403: ErrorOut},
    summary="Whether new MQLs wait for a third party",
)
def get_config(request: HttpRequest) -> dict[str, Any]:
    if not signed_in_user(request).has_role("marketing", "marketing_head", "admin"):
        raise AccessDenied("Only marketing sees the external qualification settings.")
    config = ExternalQualificationConfig.current()
    return {"enabled": config.enabled, "provider_name": config.provider_name, "sla_hours": config.sla_hours}


@router.put(
    "/external-qualification",
    response={200: ExternalConfigSchema, 400: ErrorOut, 403: ErrorOut},
    summary="Turn external qualification on or off (marketing head or admin)",
)
def put_config(request: HttpRequest, payload: ExternalConfigSchema) -> dict[str, Any]:
    config = external_qualification_configure(
        actor=signed_in_user(request),
        enabled=payload.enabled,
        provider_name=payload.provider_name,
        sla_hours=payload.sla_hours,
    )
    return {"enabled": config.enabled, "provider_name": config.provider_name, "sla_hours": config.sla_hours}
