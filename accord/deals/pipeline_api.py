"""API for opening and correcting deals (with products), the deal board, the weighted forecast and the
stage probabilities. Moving a deal is ``POST /deals/{id}/stage`` (accord.deals.api), which the board's
drag calls through the same service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut
from accord.core.errors import ApplicationError
from accord.core.idempotency import idempotent_response
from accord.core.models import Channel
from accord.deals.api import DealOut, deal_out
from accord.deals.api import router as deals_router
from accord.deals.edit_services import UNSET, deal_create, deal_update, stage_probability_set
from accord.deals.models import Deal
from accord.deals.pipeline_selectors import deal_board, deal_forecast, stage_probabilities
from accord.deals.selectors import deal_get
from accord.leads.selectors import lead_get
from accord.people.access import signed_in_user
from accord.people.models import User

# Creating and patching a deal share their paths with listing and reading one (``/deals``,
# ``/deals/{id}``), so they are added to the deals router: one path, one view, several methods.
# The pipeline reads have a router of their own, added in config/api.py.
router = Router(tags=["pipeline"])


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


@deals_router.post(
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


@deals_router.patch(
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


@deals_router.get(
    "/deals/{deal_id}/line-items",
    response={200: list[DealLineItemOut], 404: ErrorOut},
    summary="A deal's products",
)
def list_deal_line_items(request: HttpRequest, deal_id: int) -> list[dict[str, Any]]:
    deal = deal_get(user=signed_in_user(request), deal_id=deal_id)
    return list(deal_with_products_out(deal)["line_items"])


class BoardCardOut(Schema):
    id: int
    name: str
    account: str
    owner: str | None
    amount: Decimal
    currency: str
    expected_close: date | None
    movable: bool


class MoneyOut(Schema):
    currency: str
    amount: Decimal


class BoardColumnOut(Schema):
    stage: str
    label: str
    probability: int
    count: int
    totals: list[MoneyOut]
    weighted: list[MoneyOut]
    cards: list[BoardCardOut]


class BoardOut(Schema):
    columns: list[BoardColumnOut]


class BoardQuery(Schema):
    owner: str | None = Field(None, description="A username or 'me'.")


@router.get("/pipeline/board", response=BoardOut, summary="Open deals by stage (the deal board)")
def get_board(request: HttpRequest, query: Query[BoardQuery]) -> dict[str, Any]:
    board = deal_board(user=signed_in_user(request), owner=query.owner or "")
    return {
        "columns": [
            {
                "stage": c.stage,
                "label": c.label,
                "probability": c.probability,
                "count": c.count,
                "totals": [{"currency": cur, "amount": a} for cur, a in c.totals],
                "weighted": [{"currency": cur, "amount": a} for cur, a in c.weighted],
                "cards": [
                    {
                        "id": d.pk,
                        "name": d.name,
                        "account": d.account.name,
                        "owner": d.owner.username if d.owner else None,
                        "amount": d.amount,
                        "currency": d.currency,
                        "expected_close": d.expected_close,
                        "movable": d.pk in board.movable,
                    }
                    for d in c.deals
                ],
            }
            for c in board.columns
        ]
    }


class ForecastQuery(Schema):
    period: str = Field("quarter", pattern="^(month|quarter)$", description="month or quarter (fiscal).")
    owner: str | None = Field(None, description="A username or 'me'.")


class ForecastPeriodOut(Schema):
    key: str
    label: str
    first: date | None
    last: date | None


class ForecastCellOut(Schema):
    period: str
    amounts: list[MoneyOut]


class ForecastRowOut(Schema):
    owner: str
    owner_username: str
    cells: list[ForecastCellOut]
    total: list[MoneyOut]


class ForecastOut(Schema):
    period: str
    probabilities: dict[str, int]
    periods: list[ForecastPeriodOut]
    rows: list[ForecastRowOut]
    totals: list[ForecastCellOut]
    unweighted: list[ForecastCellOut]


def _money(amounts: dict[str, Decimal]) -> list[dict[str, Any]]:
    return [{"currency": c, "amount": a} for c, a in sorted(amounts.items())]


def _cells(cells: dict[str, dict[str, Decimal]], periods: list[Any]) -> list[dict[str, Any]]:
    return [{"period": p.key, "amounts": _money(cells[p.key])} for p in periods if cells.get(p.key)]


@router.get(
    "/pipeline/forecast",
    response=ForecastOut,
    summary="The weighted forecast of open deals per period and owner",
)
def get_forecast(request: HttpRequest, query: Query[ForecastQuery]) -> dict[str, Any]:
    forecast = deal_forecast(user=signed_in_user(request), period=query.period, owner=query.owner or "")
    return {
        "period": forecast.period,
        "probabilities": forecast.probabilities,
        "periods": [p.__dict__ for p in forecast.periods],
        "rows": [
            {
                "owner": r.owner,
                "owner_username": r.owner_username,
                "cells": _cells(r.cells, forecast.periods),
                "total": _money(r.total),
            }
            for r in forecast.rows
        ],
        "totals": _cells(forecast.totals, forecast.periods),
        "unweighted": _cells(forecast.unweighted, forecast.periods),
    }


class StageProbabilityIn(Schema):
    model_config = ConfigDict(extra="forbid")

    probability: int = Field(ge=0, le=100)


class StageProbabilitiesOut(Schema):
    probabilities: dict[str, int]


@router.get(
    "/pipeline/probabilities",
    response=StageProbabilitiesOut,
    summary="The probability of winning per open stage",
)
def get_probabilities(request: HttpRequest) -> dict[str, Any]:
    signed_in_user(request)
    return {"probabilities": stage_probabilities()}


@router.put(
    "/pipeline/probabilities/{stage}",
    response={200: StageProbabilitiesOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Set the probability of one open stage (sales head and admins)",
)
def set_probability(request: HttpRequest, stage: str, payload: StageProbabilityIn) -> dict[str, Any]:
    stage_probability_set(user=signed_in_user(request), stage=stage, probability=payload.probability)
    return {"probabilities": stage_probabilities()}
