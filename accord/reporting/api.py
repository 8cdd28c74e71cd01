"""Reports under /api/v1/reports/: each dashboard's tables (the same numbers as the page and the
CSV), the metric definitions, A/B test verdicts and a team's conversion facts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from accord.campaigns import attribution
from accord.core import abtest
from accord.core.api_support import ErrorOut
from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.people.access import signed_in_user
from accord.people.models import Team
from accord.reporting import metrics
from accord.reporting.selectors import (
    TITLES,
    campaign_variants,
    dashboard_allowed,
    dashboard_build,
    period_from,
    team_conversion_facts,
)
from accord.reporting.services import rollups_refresh_request

router = Router(tags=["reports"])


class ReportQuery(Schema):
    start: date | None = None
    end: date | None = None
    quarter: date | None = None
    cut: str = ""
    cut_value: str = ""
    model: str = attribution.FIRST_TOUCH


class TableOut(Schema):
    key: str
    title: str
    note: str
    columns: list[str]
    rows: list[list[Any]]


class PeriodOut(Schema):
    start: date
    end: date
    label: str


class ReportOut(Schema):
    dashboard: str
    title: str
    period: PeriodOut
    cut: dict[str, str]
    tables: list[TableOut]
    as_of: datetime | None = Field(
        description="When the figures were last brought up to date (the worker refreshes them every "
        "minute); null before the first time."
    )
    pending_events: int = Field(description="Events logged since then, not in the figures yet.")


class MetricOut(Schema):
    key: str
    label: str
    definition: str
    unit: str


class ReportingVariantIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    name: str
    conversions: int
    trials: int


class AbTestIn(Schema):
    model_config = ConfigDict(extra="forbid")  # mass assignment: unknown fields are a 422

    a: ReportingVariantIn
    b: ReportingVariantIn
    mde: float | None = None


class AbCampaignsQuery(Schema):
    campaign_a: int
    campaign_b: int
    stage: str = "sql"
    mde: float | None = None


class AbTestOut(Schema):
    a: ReportingVariantIn
    b: ReportingVariantIn
    difference: float
    z: float | None
    p_value: float | None
    ci_low: float
    ci_high: float
    needed_per_variant: int | None
    significant: bool
    verdict: str


class FactOut(Schema):
    label: str
    hits: int
    n: int
    percent: float | None


class ConversionFactsOut(Schema):
    team: str
    since: date
    until: date
    steps: list[FactOut]
    fast: FactOut
    slow: FactOut
    speed_effect: float | None


def _fact(f: Any) -> dict[str, Any]:
    return {"label": f.label, "hits": f.hits, "n": f.n, "percent": f.percent}


def _result(r: abtest.TestResult) -> dict[str, Any]:
    return {
        "a": r.a.__dict__,
        "b": r.b.__dict__,
        "difference": r.difference,
        "z": r.z,
        "p_value": r.p_value,
        "ci_low": r.ci_low,
        "ci_high": r.ci_high,
        "needed_per_variant": r.needed_per_variant,
        "significant": r.significant,
        "verdict": r.verdict,
    }


@router.get("/reports/metrics", response=list[MetricOut], summary="Every metric with its definition")
def list_metrics(request: HttpRequest) -> list[dict[str, Any]]:
    return [m.__dict__ for m in metrics.METRICS.values()]


@router.post(
    "/reports/abtest",
    response={200: AbTestOut, 400: ErrorOut},
    summary="Judge two variants with a two-proportion z-test",
    description=(
        "Counts typed in. A communication's own variants are judged from their deliveries by "
        "GET /api/v1/communications/{communication_id}/result."
    ),
)
def post_abtest(request: HttpRequest, payload: AbTestIn) -> dict[str, Any]:
    try:
        a = abtest.Variant(payload.a.name, payload.a.conversions, payload.a.trials)
        b = abtest.Variant(payload.b.name, payload.b.conversions, payload.b.trials)
        return _result(abtest.compare(a, b, mde=payload.mde))
    except ValueError as exc:
        raise ApplicationError(str(exc), detail={"body": str(exc)}) from None


@router.get(
    "/reports/abtest/campaigns",
    response={200: AbTestOut, 400: ErrorOut, 403: ErrorOut},
    summary="A/B test two campaigns' touched leads",
    description=(
        "Two whole campaigns compared. Variants of one communication (recipients split at random) "
        "are judged by GET /api/v1/communications/{communication_id}/result."
    ),
)
def get_abtest_campaigns(request: HttpRequest, query: Query[AbCampaignsQuery]) -> dict[str, Any]:
    if not dashboard_allowed(signed_in_user(request), "marketing"):
        raise AccessDenied("Your role may not read campaign results.")
    try:
        a, b = campaign_variants(query.campaign_a, query.campaign_b, stage=query.stage)
        return _result(abtest.compare(a, b, mde=query.mde))
    except ValueError as exc:
        raise ApplicationError(str(exc), detail={"query": str(exc)}) from None


@router.get(
    "/reports/conversion-facts/{team_id}",
    response={200: ConversionFactsOut, 403: ErrorOut, 404: ErrorOut},
    summary="A team's conversion facts",
)
def get_conversion_facts(request: HttpRequest, team_id: int, as_of: date | None = None) -> dict[str, Any]:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound(f"Team {team_id} was not found.", detail={"team_id": team_id})
    user = signed_in_user(request)
    if user.team_id != team.pk and not any(dashboard_allowed(user, k) for k in TITLES):
        raise AccessDenied("You may read the conversion facts of your own team only.")
    facts = team_conversion_facts(team, as_of)
    return {
        "team": facts.team_name,
        "since": facts.since,
        "until": facts.until,
        "steps": [_fact(s) for s in facts.steps],
        "fast": _fact(facts.fast),
        "slow": _fact(facts.slow),
        "speed_effect": facts.speed_effect,
    }


# Last: the catch-all path must not shadow /reports/abtest and /reports/conversion-facts.
@router.get(
    "/reports/{kind}",
    response={200: ReportOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="A dashboard's tables (marketing, sales, executive)",
)
def get_report(request: HttpRequest, kind: str, query: Query[ReportQuery]) -> dict[str, Any]:
    if kind not in TITLES:
        raise NotFound(f"No report {kind!r}.", detail={"kind": f"use one of {', '.join(TITLES)}"})
    if not dashboard_allowed(signed_in_user(request), kind):
        raise AccessDenied(f"Your role may not read the {kind} report.")
    params = {k: str(v) for k, v in query.dict().items() if v not in (None, "")}
    try:
        period = period_from(params)
        cut = metrics.Cut(query.cut, query.cut_value) if query.cut else metrics.Cut()
        attribution.check_model(query.model)
    except ValueError as exc:
        raise ApplicationError(str(exc), detail={"query": str(exc)}) from None
    dashboard = dashboard_build(kind, period=period, cut=cut, model=query.model)
    if dashboard.freshness and dashboard.freshness.pending_events:
        rollups_refresh_request()
    return dashboard.as_dict()
