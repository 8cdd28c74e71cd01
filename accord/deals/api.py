"""API for deals: convert an accepted lead, list and read deals with record-level access, win and lose."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut, offset_page
from accord.core.errors import ApplicationError, NotFound
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.deals.edit_services import UNSET, deal_create, deal_update
from accord.deals.models import Deal, DealStage
from accord.deals.selectors import DealFilters, deal_get, deal_list
from accord.deals.services import customer_stage_set, deal_lose, deal_stage_set, deal_win, lead_convert
from accord.leads.models import Stage
from accord.leads.selectors import lead_get
from accord.people.access import accounts_visible_to, signed_in_user
from accord.people.models import User

router = Router(tags=["deals"])


class DealPartyRef(Schema):
    id: int
    name: str


class DealOut(Schema):
    id: int
    name: str
    account: DealPartyRef
    contact: DealPartyRef
    owner: str | None
    amount: Decimal
    currency: str
    stage: DealStage
    expected_close: date | None
    closed_at: datetime | None
    won_reason: str
    lost_reason: str
    created_at: datetime
    updated_at: datetime


class DealListOut(Schema):
    count: int
    limit: int
    offset: int
    results: list[DealOut]


class ConvertIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(ge=0)
    currency: str = "USD"
    name: str | None = None
    expected_close: date | None = None


class WinIn(Schema):
    model_config = ConfigDict(extra="forbid")

    closed_at: datetime | None = Field(
        None, description="Defaults to now; may be in the past, not the future."
    )
    reason: str = ""


class LoseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(description="Required: why the deal was lost.")
    closed_at: datetime | None = None


class DealStageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    stage: DealStage


class CustomerStageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    stage: Stage
    reason: str


class CustomerStageOut(Schema):
    lead: int
    stage: str


class DealQuery(Schema):
    stage: DealStage | None = None
    owner: str | None = Field(None, description="A username or 'me'.")
    q: str | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)


def deal_out(deal: Deal) -> dict[str, Any]:
    return {
        "id": deal.pk,
        "name": deal.name,
        "account": {"id": deal.account_id, "name": deal.account.name},
        "contact": {"id": deal.contact_id, "name": str(deal.contact)},
        "owner": deal.owner.username if deal.owner else None,
        "amount": deal.amount,
        "currency": deal.currency,
        "stage": deal.stage,
        "expected_close": deal.expected_close,
        "closed_at": deal.closed_at,
        "won_reason": deal.won_reason,
        "lost_reason": deal.lost_reason,
        "created_at": deal.created_at,
        "updated_at": deal.updated_at,
    }


@router.get("/deals", response=DealListOut, summary="List deals you may see")
def list_deals(request: HttpRequest, query: Query[DealQuery]) -> dict[str, Any]:
    qs = deal_list(
        user=signed_in_user(request),
        filters=DealFilters(stage=query.stage or "", owner=query.owner or "", q=query.q or ""),
    )
    return offset_page(qs, limit=query.limit, offset=query.offset, row=deal_out)


class AccountDealsQuery(Schema):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000_000)


@router.get(
    "/accounts/{account_id}/deals",
    response={200: DealListOut, 404: ErrorOut},
    summary="The deals of an account that you may see",
)
def account_deals(request: HttpRequest, account_id: int, query: Query[AccountDealsQuery]) -> dict[str, Any]:
    user = signed_in_user(request)
    if not accounts_visible_to(user).filter(pk=account_id).exists():
        raise NotFound("No such account.", detail={"account": account_id})
    qs = deal_list(user=user, filters=DealFilters()).filter(account_id=account_id)
    return offset_page(qs, limit=query.limit, offset=query.offset, row=deal_out)


@router.get("/deals/{deal_id}", response={200: DealOut, 404: ErrorOut}, summary="One deal")
def get_deal(request: HttpRequest, deal_id: int) -> dict[str, Any]:
    return deal_out(deal_get(user=signed_in_user(request), deal_id=deal_id))


@router.post(
    "/leads/{lead_id}/convert",
    response={201: DealOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Convert an accepted lead (SAL or SQL) into a deal",
)
def convert_lead(request: HttpRequest, lead_id: int, payload: ConvertIn) -> HttpResponse:
    user = signed_in_user(request)
    lead = lead_get(user=user, lead_id=lead_id)
    body = {"lead": lead_id, **payload.model_dump(mode="json")}

    def run() -> tuple[int, Any]:
        deal = lead_convert(lead=lead, user=user, channel=Channel.API, **payload.model_dump())
        out = DealOut.model_validate(deal_out(deal_get(user=user, deal_id=deal.pk)))
        return 201, out.model_dump(mode="json")

    return idempotent_response(request, operation="lead_convert", body=body, call=run)


@router.post(
    "/deals/{deal_id}/stage",
    response={200: DealOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Move an open deal (qualification, proposal, negotiation)",
)
def move_deal(request: HttpRequest, deal_id: int, payload: DealStageIn) -> dict[str, Any]:
    user = signed_in_user(request)
    deal = deal_get(user=user, deal_id=deal_id)
    deal_stage_set(deal=deal, user=user, stage=payload.stage, channel=Channel.API)
    return deal_out(deal_get(user=user, deal_id=deal_id))


@router.post(
    "/deals/{deal_id}/win",
    response={200: DealOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Mark a deal won",
)
def win_deal(request: HttpRequest, deal_id: int, payload: WinIn) -> dict[str, Any]:
    user = signed_in_user(request)
    deal = deal_get(user=user, deal_id=deal_id)
    deal_win(deal=deal, user=user, closed_at=payload.closed_at, reason=payload.reason, channel=Channel.API)
    return deal_out(deal_get(user=user, deal_id=deal_id))


@router.post(
    "/deals/{deal_id}/lose",
    response={200: DealOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Mark a deal lost",
)
def lose_deal(request: HttpRequest, deal_id: int, payload: LoseIn) -> dict[str, Any]:
    user = signed_in_user(request)
    deal = deal_get(user=user, deal_id=deal_id)
    deal_lose(deal=deal, user=user, reason=payload.reason, closed_at=payload.closed_at, channel=Channel.API)
    return deal_out(deal_get(user=user, deal_id=deal_id))


@router.post(
    "/leads/{lead_id}/customer-stage",
    response={200: CustomerStageOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Set a customer's stage by hand (customer, loyal, advocate)",
)
def set_customer_stage(request: HttpRequest, lead_id: int, payload: CustomerStageIn) -> dict[str, Any]:
    user = signed_in_user(request)
    lead = lead_get(user=user, lead_id=lead_id)
    lead = customer_stage_set(
        lead=lead, stage=payload.stage, user=user, reason=payload.reason, channel=Channel.API
    )
    return {"lead": lead.pk, "stage": lead.stage}


# --- opening a deal directly and correcting one (accord.deals.edit_services) ---------------------------


class DealLineItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    product: str = Field(min_length=1, max_length=200)
    quantity: Decimal = Field(Decimal("1"), gt=0)
    unit_price: Decimal = Field(ge=0)


class DealLineItemOut(Schema):
    product: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal


class DealWithProductsOut(DealOut):
    line_items: list[DealLineItemOut]


class DealCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    contact: int = Field(description="The lead the deal is with (you must be able to act on it).")
    amount: Decimal | None = Field(None, ge=0, description="Omit when giving line_items: their total.")
    currency: str = "USD"
    name: str | None = None
    stage: str = Field("qualification", description="qualification, proposal or negotiation.")
    expected_close: date | None = None
    owner: str | None = Field(None, description="A username; defaults to you.")
    line_items: list[DealLineItemIn] = Field(default_factory=list, max_length=100)


class DealUpdateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    amount: Decimal | None = Field(None, ge=0)
    currency: str | None = None
    stage: str | None = None
    expected_close: date | None = Field(None, description="Send null to clear it.")
    owner: str | None = Field(None, description="A username.")
    line_items: list[DealLineItemIn] | None = Field(
        None, max_length=100, description="Replaces every product; [] removes them."
    )


def _owner(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ApplicationError(f"There is no active user {username}.", detail={"owner": "unknown user"})
    return user


def deal_with_products_out(deal: Deal) -> dict[str, Any]:
    return {
        **deal_out(deal),
        "line_items": [
            {"product": i.product, "quantity": i.quantity, "unit_price": i.unit_price, "total": i.total}
            for i in deal.line_items.all()
        ],
    }


@router.post(
    "/deals",
    response={
        201: DealWithProductsOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Open a deal directly for a contact",
)
def create_deal(request: HttpRequest, payload: DealCreateIn) -> HttpResponse:
    user = signed_in_user(request)
    contact = lead_get(user=user, lead_id=payload.contact)

    def run() -> tuple[int, Any]:
        deal = deal_create(
            user=user,
            contact=contact,
            amount=payload.amount,
            currency=payload.currency,
            name=payload.name,
            stage=payload.stage,
            expected_close=payload.expected_close,
            owner=_owner(payload.owner),
            line_items=[item.model_dump() for item in payload.line_items],
            channel=Channel.API,
        )
        out = DealWithProductsOut.model_validate(deal_with_products_out(deal_get(user=user, deal_id=deal.pk)))
        return 201, out.model_dump(mode="json")

    return idempotent_response(
        request, operation="deal_create", body=payload.model_dump(mode="json"), call=run
    )


@router.patch(
    "/deals/{deal_id}",
    response={
        200: DealWithProductsOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
    summary="Correct an open deal: name, amount, currency, stage, expected close, owner, products",
)
def update_deal(request: HttpRequest, deal_id: int, payload: DealUpdateIn) -> dict[str, Any]:
    user = signed_in_user(request)
    deal = deal_get(user=user, deal_id=deal_id)
    given = payload.model_fields_set
    deal_update(
        deal=deal,
        user=user,
        name=payload.name,
        amount=payload.amount,
        currency=payload.currency,
        stage=payload.stage,
        expected_close=payload.expected_close if "expected_close" in given else UNSET,
        owner=_owner(payload.owner) if "owner" in given else UNSET,
        line_items=[i.model_dump() for i in payload.line_items] if payload.line_items is not None else None,
        channel=Channel.API,
    )
    return deal_with_products_out(deal_get(user=user, deal_id=deal_id))


@router.get(
    "/deals/{deal_id}/line-items",
    response={200: list[DealLineItemOut], 404: ErrorOut},
    summary="A deal's products",
)
def list_deal_line_items(request: HttpRequest, deal_id: int) -> list[dict[str, Any]]:
    deal = deal_get(user=signed_in_user(request), deal_id=deal_id)
    return list(deal_with_products_out(deal)["line_items"])
