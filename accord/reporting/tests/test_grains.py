"""The grain tables equal the fine tables summed, and every figure is the same read from either."""

from __future__ import annotations

import importlib
import math
from collections import defaultdict
from datetime import date
from types import SimpleNamespace

import pytest
from django.db import connection

from accord.campaigns.models import Campaign
from accord.core.models import Event
from accord.people.models import User
from accord.reporting import metrics
from accord.reporting.metrics import BY_COLUMNS, Cut, Period
from accord.reporting.models import (
    GRAINS,
    CohortDaily,
    DecisionDaily,
    LeadFact,
    StageDaily,
    StageDailyCut,
    StageSpan,
    StayDaily,
)
from accord.reporting.rollups import rollups_rebuild
from accord.reporting.tests.dataset import ORDER, Q2

DIMS = ("source_id", "campaign_id", "owner_id", "criteria_id")
PERIODS = [
    Period(*Q2),
    Period(date(2025, 3, 1), date(2026, 7, 1)),
    Period(date(2026, 5, 3), date(2026, 5, 20)),
]


@pytest.fixture
def built(data):
    rollups_rebuild()
    return data


def cuts(data) -> list[Cut]:
    p = data["personas"]
    return [
        Cut(),
        Cut("source", str(data["web"].pk)),
        Cut("campaign", str(data["spring"].pk)),
        Cut("channel", "webinar"),
        Cut("team", str(p.health.pk)),
        Cut("rep", str(p.bob.pk)),
        Cut("criteria", "0"),
    ]


def summed(rows, keys: int) -> dict:
    """Fine rows (keys..., four dimensions, n) summed to every grain, as the grain tables hold them."""
    found: dict = defaultdict(int)
    for row in rows:
        key, dims, n = row[:keys], row[keys : keys + 4], row[-1]
        for grain in GRAINS:
            kept = tuple(v if d == f"{grain}_id" else 0 for d, v in zip(DIMS, dims, strict=True))
            found[(grain, *key, *kept)] += n
    return dict(found)


def grain_rows(model, keys: tuple[str, ...], measure: str) -> dict:
    return {tuple(row[:-1]): row[-1] for row in model.objects.values_list("grain", *keys, *DIMS, measure)}


def snapshot() -> tuple:
    return (
        grain_rows(StageDailyCut, ("day", "stage"), "entries"),
        grain_rows(CohortDaily, ("created_day", "current_stage", "furthest_rank"), "leads"),
        grain_rows(StayDaily, ("exited_day", "stage", "days"), "stays"),
        sorted(DecisionDaily.objects.values_list("day", "actor_id", "type", "decisions")),
    )


def test_the_grain_tables_are_the_fine_tables_summed(built):
    daily, cohort, stays, decisions = snapshot()
    assert daily == summed(StageDaily.objects.values_list("day", "stage", *DIMS, "entries"), 2)
    assert cohort == summed(
        [
            (*row, 1)
            for row in LeadFact.objects.values_list("created_day", "current_stage", "furthest_rank", *DIMS)
        ],
        3,
    )
    assert stays == summed(
        [
            (day, stage, seconds // 86400, *dims, 1)
            for day, stage, seconds, *dims in StageSpan.objects.values_list(
                "exited_day", "stage", "seconds", *DIMS
            )
        ],
        3,
    )
    raw: dict = defaultdict(int)
    for e in Event.objects.filter(type__in=["lead.accepted", "lead.rejected"]):
        raw[(e.occurred_at.date(), e.actor_id or 0, e.type)] += 1
    assert decisions and decisions == sorted((*k, n) for k, n in raw.items())
    assert all(n for table in (daily, cohort, stays) for n in table.values())


def test_the_upgrade_fills_the_grain_tables_as_a_rebuild_does(built):
    rebuilt = snapshot()
    for model in (StageDailyCut, CohortDaily, StayDaily, DecisionDaily):
        model.objects.all().delete()
    migration = importlib.import_module("accord.reporting.migrations.0002_grain_rollups")
    migration.fill_from_existing_rollups(None, SimpleNamespace(connection=connection))
    assert snapshot() == rebuilt


def figures(period: Period, cut: Cut) -> dict:
    found = {
        "flow": metrics.flow_counts(period, cut),
        "cohort": metrics.cohort(period, cut),
        "months": metrics.monthly_flows([period, Period(period.end, date(2026, 8, 1))], cut),
    }
    for by in BY_COLUMNS:
        found[f"flow_by_{by}"] = metrics.flow_by(by, period, cut)
        found[f"cohort_by_{by}"] = metrics.cohort_by(by, period, cut)
    return found


def test_every_figure_is_the_same_from_the_grains_and_from_the_fine_tables(built, monkeypatch):
    cases = [(period, cut) for period in PERIODS for cut in cuts(built)]
    from_grains = [figures(period, cut) for period, cut in cases]
    assert any(f["flow"]["mql"] for f in from_grains) and any(f["cohort"].created for f in from_grains)
    monkeypatch.setattr(metrics, "grain_for", lambda cut, by="": None)
    assert [figures(period, cut) for period, cut in cases] == from_grains


def test_a_breakdown_by_another_dimension_than_the_cut_reads_the_fine_tables(built):
    rep = Cut("rep", str(built["personas"].bob.pk))
    assert "reporting_stagedailycut" in metrics.flow_by_sql("rep", PERIODS[0], rep)[0]
    assert "reporting_stagedaily r" in metrics.flow_by_sql("source", PERIODS[0], rep)[0]
    assert "reporting_leadfact" in metrics.cohort_by_sql("campaign", PERIODS[0], rep)[0]
    assert "reporting_cohortdaily" in metrics.cohort_sql(PERIODS[0], Cut("channel", "webinar"))[0]


def in_cut(cut: Cut, span: StageSpan) -> bool:
    if not cut.kind:
        return True
    if cut.kind == "channel":
        return span.campaign_id in set(
            Campaign.objects.filter(channel=cut.value).values_list("pk", flat=True)
        )
    if cut.kind == "team":
        return span.owner_id in set(User.objects.filter(team_id=cut.value).values_list("pk", flat=True))
    column = {"source": "source_id", "campaign": "campaign_id", "rep": "owner_id", "criteria": "criteria_id"}
    return getattr(span, column[cut.kind]) == int(cut.value)


def nearest(values: list[int], p: float) -> int | None:
    return values[math.ceil(p * len(values)) - 1] if values else None


def test_velocity_percentiles_are_exact_for_every_cut(built, django_assert_max_num_queries):
    spans = list(StageSpan.objects.all())
    assert len({s.seconds for s in spans}) < len(spans), "the data should hold equal durations"
    for period in PERIODS:
        for cut in cuts(built):
            with django_assert_max_num_queries(2):
                found = metrics.velocity(period, cut)
            for stage in ORDER:
                values = sorted(
                    s.seconds
                    for s in spans
                    if s.stage == stage and period.start <= s.exited_day < period.end and in_cut(cut, s)
                )
                expected = (len(values), nearest(values, 0.5), nearest(values, 0.75))
                got = found[stage]
                assert (got.stays, got.median_seconds, got.p75_seconds) == expected, (period, cut, stage)


@pytest.mark.parametrize("n", range(1, 30))
def test_nearest_ranks_are_ceil_of_half_and_three_quarters(n):
    assert metrics.nearest_ranks(n) == (math.ceil(n / 2), math.ceil(3 * n / 4))
