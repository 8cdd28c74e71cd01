"""API for communications of a campaign, their A/B variants, sends, outcomes and the verdict."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from accord.campaigns.communication_selectors import (
    can_manage_communications,
    can_read_communications,
    communication_get,
    communication_listing,
    communication_result,
    delivery_get_for_outcome,
)
from accord.campaigns.communication_services import (
    VariantSpec,
    communication_create,
    communication_send,
    delivery_outcome_record,
)
from accord.campaigns.models import (
    Audience,
    Communication,
    CommunicationKind,
    CommunicationStatus,
    Delivery,
    Outcome,
    SuccessMetric,
)
from accord.campaigns.selectors import campaign_get
from accord.core.api_support import ErrorOut
from accord.core.errors import AccessDenied, NotFound
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.people.access import signed_in_user
from accord.people.models import User

router = Router(tags=["communications"])
MAX_ID = 2**63 - 1  # ids are 64-bit: larger numbers are refused as input, not failed on in the database


class CommunicationVariantIn(Schema):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field("", description="Empty: the communication's subject.")
    body: str = Field("", description="Empty: the communication's body.")
    weight: int = Field(1, ge=1, le=1000, description="Relative share of the recipients.")


class CommunicationVariantOut(Schema):
    key: str
    subject: str
    body: str
    weight: int


class CommunicationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: CommunicationKind = CommunicationKind.EMAIL
    subject: str = ""
    body: str = Field("", description="Placeholders {first_name}, {last_name}, {company}; links are tracked.")
    success_metric: SuccessMetric = SuccessMetric.CLICK
    success_window_days: int = Field(14, ge=1, le=365)
    audience: Audience = Audience.CAMPAIGN
    audience_stage: str = ""
    variants: list[CommunicationVariantIn] = Field(
        default_factory=list, description="A, B, ... in this order (A is the control); none: one variant A."
    )


class CommunicationOut(Schema):
    id: int
    campaign: int
    name: str
    kind: CommunicationKind
    status: CommunicationStatus
    subject: str
    body: str
    success_metric: SuccessMetric
    success_window_days: int
    audience: Audience
    audience_stage: str
    scheduled_for: datetime | None
    first_sent_at: datetime | None
    variants: list[CommunicationVariantOut]


class SendIn(Schema):
    model_config = ConfigDict(extra="forbid")

    lead_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, description="Send to these leads; omitted: the audience."
    )


class SendOut(Schema):
    sent: int
    failed: int
    already_sent: int
    skipped: int
    skipped_unsubscribed: int
    skipped_no_consent: int
    skipped_no_email: int
    skipped_unavailable: int
    by_variant: dict[str, int]
    summary: str


class OutcomeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    lead_id: int = Field(ge=1, le=MAX_ID)
    outcome: Outcome
    occurred_at: datetime | None = Field(None, description="When it happened; default now.")


class DeliveryOut(Schema):
    id: int
    lead_id: int
    variant: str
    status: str
    sent_at: datetime
    opened_at: datetime | None
    clicked_at: datetime | None
    replied_at: datetime | None
    meeting_booked_at: datetime | None
    recorded: bool = Field(description="False when this outcome was recorded before (nothing changed).")


class VariantResultOut(Schema):
    key: str
    subject: str
    weight: int
    trials: int
    conversions: int
    rate: float
    failed: int
    opened: int
    clicked: int
    replied: int
    meetings: int


class ComparisonOut(Schema):
    variant: str
    control: str
    difference: float = Field(description="Conversion rate of the variant minus A's (proportion).")
    ci_low: float
    ci_high: float
    z: float | None
    p_value: float | None
    needed_per_variant: int | None
    significant: bool
    verdict: str


class CommunicationResultOut(Schema):
    communication: int
    metric: str
    alpha: float
    correction: str
    summary: str
    explanation: str
    variants: list[VariantResultOut]
    comparisons: list[ComparisonOut]


def _readable(user: User, communication_id: int) -> Communication:
    return communication_get(user=user, communication_id=communication_id)


def _require_manager(user: User) -> None:
    if not can_manage_communications(user):
        raise AccessDenied("Only marketing may create or send communications.")


def _communication_out(c: Communication) -> dict[str, Any]:
    return {
        "id": c.pk,
        "campaign": c.campaign_id,
        "name": c.name,
        "kind": c.kind,
        "status": c.status,
        "subject": c.subject,
        "body": c.body,
        "success_metric": c.success_metric,
        "success_window_days": c.success_window_days,
        "audience": c.audience,
        "audience_stage": c.audience_stage,
        "scheduled_for": c.scheduled_for,
        "first_sent_at": c.first_sent_at,
        "variants": [
            {"key": v.key, "subject": v.subject, "body": v.body, "weight": v.weight}
            for v in c.variants.order_by("key")
        ],
    }


def _delivery_out(d: Delivery, recorded: bool) -> dict[str, Any]:
    return {
        "id": d.pk,
        "lead_id": d.lead_id,
        "variant": d.variant.key,
        "status": d.status,
        "sent_at": d.sent_at,
        "opened_at": d.opened_at,
        "clicked_at": d.clicked_at,
        "replied_at": d.replied_at,
        "meeting_booked_at": d.meeting_booked_at,
        "recorded": recorded,
    }


@router.get(
    "/campaigns/{campaign_id}/communications",
    response={200: list[CommunicationOut], 404: ErrorOut},
    summary="A campaign's communications",
)
def list_communications(request: HttpRequest, campaign_id: int) -> list[dict[str, Any]]:
    user = signed_in_user(request)
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    if not can_read_communications(user):
        raise NotFound(f"Campaign {campaign_id} was not found.", detail={"id": campaign_id})
    return [_communication_out(c) for c in communication_listing(user=user, campaign=campaign)]


@router.post(
    "/campaigns/{campaign_id}/communications",
    response={201: CommunicationOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Create a communication with its A/B variants",
)
def create_communication(request: HttpRequest, campaign_id: int, payload: CommunicationIn) -> HttpResponse:
    user = signed_in_user(request)
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    _require_manager(user)
    body = {"campaign": campaign_id, **payload.model_dump(mode="json")}

    def run() -> tuple[int, Any]:
        data = payload.model_dump()
        specs = [VariantSpec(**v) for v in data.pop("variants")]
        communication = communication_create(
            campaign=campaign, actor=user, variants=specs, event_channel=Channel.API, **data
        )
        return 201, CommunicationOut.model_validate(_communication_out(communication)).model_dump(mode="json")

    return idempotent_response(request, operation="communication_create", body=body, call=run)


@router.get(
    "/communications/{communication_id}",
    response={200: CommunicationOut, 404: ErrorOut},
    summary="One communication with its variants",
)
def get_communication(request: HttpRequest, communication_id: int) -> dict[str, Any]:
    return _communication_out(_readable(request.user, communication_id))


@router.post(
    "/communications/{communication_id}/send",
    response={200: SendOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Send to the audience (or the given leads); privacy is checked per person",
)
def send_communication(request: HttpRequest, communication_id: int, payload: SendIn) -> dict[str, Any]:
    user = signed_in_user(request)
    communication = _readable(user, communication_id)
    _require_manager(user)
    result = communication_send(
        communication=communication, actor=user, lead_ids=payload.lead_ids, event_channel=Channel.API
    )
    return {**result.as_dict(), "summary": result.summary()}


@router.post(
    "/communications/{communication_id}/outcomes",
    response={200: DeliveryOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Record what a recipient did (opened, clicked, replied, booked a meeting); idempotent",
)
def record_outcome(request: HttpRequest, communication_id: int, payload: OutcomeIn) -> dict[str, Any]:
    user = signed_in_user(request)
    communication = _readable(user, communication_id)
    delivery = delivery_get_for_outcome(user=user, communication=communication, lead_id=payload.lead_id)
    delivery, recorded = delivery_outcome_record(
        delivery=delivery,
        outcome=payload.outcome,
        actor=user,
        occurred_at=payload.occurred_at,
        event_channel=Channel.API,
    )
    return _delivery_out(delivery, recorded)


@router.get(
    "/communications/{communication_id}/result",
    response={200: CommunicationResultOut, 404: ErrorOut},
    summary="The A/B verdict: each variant against A with a two-proportion z-test",
)
def get_result(request: HttpRequest, communication_id: int) -> dict[str, Any]:
    communication = _readable(request.user, communication_id)
    result = communication_result(communication=communication)
    return {
        "communication": communication.pk,
        "metric": result.metric,
        "alpha": result.alpha,
        "correction": result.correction,
        "summary": result.summary,
        "explanation": result.explanation,
        "variants": [
            {
                "key": v.key,
                "subject": v.subject,
                "weight": v.weight,
                "trials": v.trials,
                "conversions": v.conversions,
                "rate": v.rate,
                "failed": v.failed,
                "opened": v.opened,
                "clicked": v.clicked,
                "replied": v.replied,
                "meetings": v.meetings,
            }
            for v in result.variants
        ],
        "comparisons": [
            {
                "variant": c.b.name,
                "control": c.a.name,
                "difference": c.difference,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "z": c.z,
                "p_value": c.p_value,
                "needed_per_variant": c.needed_per_variant,
                "significant": c.significant,
                "verdict": c.verdict,
            }
            for c in result.comparisons
        ],
    }
