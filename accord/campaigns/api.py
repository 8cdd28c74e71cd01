"""API for campaigns, their costs, and revenue attribution."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.campaigns import attribution
from accord.campaigns.models import Campaign, CampaignChannel, CampaignStatus, CostLine
from accord.campaigns.selectors import (
    campaign_detail,
    campaign_get,
    campaign_listing,
    can_manage_campaigns,
    can_read_attribution,
)
from accord.campaigns.services import campaign_create, campaign_update, cost_line_add, cost_line_update
from accord.campaigns.touchpoint_selectors import attributed_revenue
from accord.core.api_support import ErrorOut
from accord.core.calendar import fiscal_quarter_current
from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.people.access import signed_in_user
from accord.people.models import User

router = Router(tags=["campaigns"])


class CampaignOut(Schema):
    id: int
    name: str
    channel: CampaignChannel
    status: CampaignStatus
    owner: str | None
    parent: int | None
    start_date: date | None
    end_date: date | None
    budget: Decimal
    currency: str
    utm_campaign: str
    description: str
    is_launch: bool
    override_reason: str
    benefit_for_sales: str
    cost_to_date: Decimal = Field(description="Cost up to today, child campaigns included.")
    leads_touched: int


class CostLineOut(Schema):
    id: int
    amount: Decimal
    currency: str
    period_start: date
    period_end: date
    note: str
    created_at: datetime


class CampaignDetailOut(CampaignOut):
    cost_total: Decimal = Field(description="Every cost line, past and future, child campaigns included.")
    cost_own_to_date: Decimal = Field(description="Cost up to today of this campaign alone.")
    children: list[int]
    cost_lines: list[CostLineOut]


class CampaignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    channel: CampaignChannel = CampaignChannel.OTHER
    status: CampaignStatus = CampaignStatus.PLANNED
    owner: str | None = Field(None, description="Username; defaults to you.")
    parent: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    budget: Decimal = Decimal("0")
    currency: str = "USD"
    utm_campaign: str = ""
    description: str = ""
    is_launch: bool = Field(False, description="A launch asks for sales' attention (launch calendar).")
    override_reason: str = Field(
        "",
        description="Required for a launch starting in a fiscal quarter's last month or a month's last week.",
    )
    benefit_for_sales: str = Field(
        "", description="What's in it for sales; required before a launch goes live."
    )


class CampaignPatch(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    channel: CampaignChannel | None = None
    status: CampaignStatus | None = None
    owner: str | None = None
    parent: int | None = None
    start_date: date | None = None
    end_date: date | None = None
    budget: Decimal | None = None
    currency: str | None = None
    utm_campaign: str | None = None
    description: str | None = None
    is_launch: bool | None = None
    override_reason: str | None = None
    benefit_for_sales: str | None = None


class CostLineIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal
    incurred_on: date | None = Field(None, description="The day of a one-off cost.")
    period_start: date | None = Field(None, description="With period_end: a cost spread evenly per day.")
    period_end: date | None = None
    currency: str | None = Field(None, description="Defaults to (and must be) the campaign's currency.")
    note: str = ""


class CampaignQuery(Schema):
    channel: CampaignChannel | None = None
    status: CampaignStatus | None = None


def _require_manager(user: User) -> None:
    if not can_manage_campaigns(user):
        raise AccessDenied("Only marketing may create or change campaigns.")


def _user_named(username: str | None) -> User | None:
    if not username:
        return None
    found = User.objects.filter(username=username, is_active=True).first()
    if found is None:
        raise ApplicationError(f"No active user {username!r}.", detail={"owner": "unknown"}, status=422)
    return found


def _parent(user: User, parent_id: int | None) -> Campaign | None:
    return campaign_get(user=user, campaign_id=parent_id) if parent_id else None


def _campaign_out(campaign: Campaign, cost_to_date: Decimal, leads_touched: int) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "channel": campaign.channel,
        "status": campaign.status,
        "owner": campaign.owner.username if campaign.owner_id else None,
        "parent": campaign.parent_id,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "budget": campaign.budget,
        "currency": campaign.currency,
        "utm_campaign": campaign.utm_campaign,
        "description": campaign.description,
        "is_launch": campaign.is_launch,
        "override_reason": campaign.override_reason,
        "benefit_for_sales": campaign.benefit_for_sales,
        "cost_to_date": cost_to_date,
        "leads_touched": leads_touched,
    }


def _detail_out(user: User, campaign_id: int) -> dict[str, Any]:
    detail = campaign_detail(user=user, campaign_id=campaign_id, touch_limit=0)
    return {
        **_campaign_out(detail.campaign, detail.cost_to_date, detail.leads_touched),
        "cost_total": detail.cost_total,
        "cost_own_to_date": detail.cost_own_to_date,
        "children": [c.pk for c in detail.children],
        "cost_lines": [_cost_line_out(line) for line in detail.cost_lines],
    }


def _cost_line_out(line: CostLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "amount": line.amount,
        "currency": line.currency,
        "period_start": line.period_start,
        "period_end": line.period_end,
        "note": line.note,
        "created_at": line.created_at,
    }


@router.get("/campaigns", response=list[CampaignOut], summary="List campaigns with cost to date")
def list_campaigns(request: HttpRequest, query: Query[CampaignQuery]) -> list[dict[str, Any]]:
    rows = campaign_listing(user=request.user, channel=query.channel or "", status=query.status or "")
    return [_campaign_out(r.campaign, r.cost_to_date, r.leads_touched) for r in rows]


@router.post(
    "/campaigns",
    response={201: CampaignDetailOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Create a campaign",
)
def create_campaign(request: HttpRequest, payload: CampaignIn) -> HttpResponse:
    user = signed_in_user(request)
    _require_manager(user)
    body = payload.model_dump(mode="json")

    def run() -> tuple[int, Any]:
        data = payload.model_dump()
        campaign = campaign_create(
            actor=user,
            event_channel=Channel.API,
            **{**data, "owner": _user_named(data["owner"]), "parent": _parent(user, data["parent"])},
        )
        out = CampaignDetailOut.model_validate(_detail_out(user, campaign.pk))
        return 201, out.model_dump(mode="json")

    return idempotent_response(request, operation="campaign_create", body=body, call=run)


@router.get(
    "/campaigns/{campaign_id}",
    response={200: CampaignDetailOut, 404: ErrorOut},
    summary="One campaign with its costs",
)
def get_campaign(request: HttpRequest, campaign_id: int) -> dict[str, Any]:
    return _detail_out(request.user, campaign_id)


@router.patch(
    "/campaigns/{campaign_id}",
    response={
        200: CampaignDetailOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Change a campaign",
)
def update_campaign(request: HttpRequest, campaign_id: int, payload: CampaignPatch) -> dict[str, Any]:
    user = signed_in_user(request)
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    _require_manager(user)
    changes = payload.model_dump(exclude_unset=True)
    if "owner" in changes:
        changes["owner"] = _user_named(changes["owner"])
    if "parent" in changes:
        changes["parent"] = _parent(user, changes["parent"])
    campaign_update(campaign=campaign, actor=user, event_channel=Channel.API, **changes)
    return _detail_out(user, campaign_id)


@router.post(
    "/campaigns/{campaign_id}/costs",
    response={201: CostLineOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Add a cost line",
)
def add_cost(request: HttpRequest, campaign_id: int, payload: CostLineIn) -> HttpResponse:
    user = signed_in_user(request)
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    _require_manager(user)
    body = {"campaign": campaign_id, **payload.model_dump(mode="json")}

    def run() -> tuple[int, Any]:
        line = cost_line_add(campaign=campaign, actor=user, event_channel=Channel.API, **payload.model_dump())
        return 201, CostLineOut.model_validate(_cost_line_out(line)).model_dump(mode="json")

    return idempotent_response(request, operation="cost_line_add", body=body, call=run)


class CostLinePatch(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal | None = None
    period_start: date | None = None
    period_end: date | None = None
    note: str | None = None


@router.patch(
    "/campaigns/{campaign_id}/costs/{line_id}",
    response={200: CostLineOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    summary="Correct a cost line (amount, period, note); the audit trail keeps the old values",
)
def update_cost(
    request: HttpRequest, campaign_id: int, line_id: int, payload: CostLinePatch
) -> dict[str, Any]:
    user = signed_in_user(request)
    campaign = campaign_get(user=user, campaign_id=campaign_id)
    line = CostLine.objects.filter(pk=line_id, campaign=campaign).first()
    if line is None:
        raise NotFound(f"Cost line {line_id} was not found.", detail={"id": line_id})
    changes = payload.model_dump(exclude_unset=True)
    line = cost_line_update(cost_line=line, actor=user, event_channel=Channel.API, **changes)
    return _cost_line_out(line)


class AttributionQuery(Schema):
    model: str = Field(attribution.LAST_TOUCH, description=f"One of {', '.join(attribution.MODELS)}.")
    start: date | None = Field(None, description="First day (with end); without both: this fiscal quarter.")
    end: date | None = Field(None, description="Last day, inclusive (with start).")
    group_by: str = Field("campaign", pattern="^(campaign|channel)$")


class AttributionRowOut(Schema):
    key: int | str | None
    label: str
    currency: str
    revenue: Decimal
    deals: int
    model: str
    caveat: str
    sourced_revenue: Decimal | None = None
    sourced_deals: int | None = None
    influenced_revenue: Decimal | None = None
    influenced_deals: int | None = None


class AttributionOut(Schema):
    model: str
    label: str
    caveat: str
    group_by: str
    start: date
    end: date
    period: str = Field(description="Which period this is: 'FY2027 Q1' (the default) or 'start – end'.")
    deals: int
    totals: dict[str, Decimal]
    sourced_caveat: str
    influenced_caveat: str
    rows: list[AttributionRowOut]


@router.get(
    "/attribution",
    response={200: AttributionOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Revenue of won deals credited to campaigns or channels under one model",
)
def get_attribution(request: HttpRequest, query: Query[AttributionQuery]) -> dict[str, Any]:
    if not can_read_attribution(request.user):
        raise AccessDenied("Your role may not read revenue attribution.")
    if query.model not in attribution.MODELS:
        raise ApplicationError(
            f"Unknown model {query.model!r}; use one of {', '.join(attribution.MODELS)}.",
            detail={"model": "unknown"},
            status=422,
        )
    if (query.start is None) != (query.end is None):
        missing = "end" if query.end is None else "start"
        raise ApplicationError(
            f"Give both start and end (or neither, for the current fiscal quarter); {missing} is missing.",
            detail={missing: "missing"},
            status=422,
        )
    if query.start is None or query.end is None:
        quarter = fiscal_quarter_current()
        start, end, period = quarter.first, quarter.last, quarter.label
    else:
        start, end, period = query.start, query.end, f"{query.start} – {query.end}"
    if end < start:
        raise ApplicationError(
            "The period ends before it starts.", detail={"end": "before start"}, status=422
        )
    result = attributed_revenue(model=query.model, start=start, end=end, group_by=query.group_by)
    campaign_view = result.group_by == "campaign"
    rows = []
    for row, plain in zip(result.rows, result.as_list(), strict=True):
        if campaign_view:
            plain.update(
                sourced_revenue=row.sourced_revenue,
                sourced_deals=row.sourced_deals,
                influenced_revenue=row.influenced_revenue,
                influenced_deals=row.influenced_deals,
            )
        rows.append(plain)
    return {
        "model": result.model,
        "label": result.label,
        "caveat": result.caveat,
        "group_by": result.group_by,
        "start": result.start,
        "end": result.end,
        "period": period,
        "deals": result.deals,
        "totals": result.totals,
        "sourced_caveat": result.sourced_caveat,
        "influenced_caveat": result.influenced_caveat,
        "rows": rows,
    }
