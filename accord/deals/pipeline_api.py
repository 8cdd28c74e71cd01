"""API for the pipeline: the deal board, the weighted forecast and the stage probabilities. Moving a deal
is ``POST /deals/{id}/stage`` (accord.deals.api): the board's drag runs the same service and checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.core.api_support import ErrorOut
from accord.deals.edit_services import stage_probability_set
from accord.deals.pipeline_selectors import deal_board, deal_forecast, stage_probabilities
from accord.people.access import signed_in_user

router = Router(tags=["pipeline"])


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
