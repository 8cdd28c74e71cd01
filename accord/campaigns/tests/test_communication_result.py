"""The A/B verdict of a communication: counts from the deliveries, the numbers checked against an
independent computation, "not enough data", Bonferroni with more variants, the success window."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

import pytest

from accord.campaigns.communication_selectors import communication_result
from accord.campaigns.communication_services import VariantSpec, communication_create
from accord.campaigns.models import Delivery, DeliveryStatus, SuccessMetric, Variant
from accord.campaigns.tests.factories import CampaignFactory
from accord.core.events import event_record
from accord.leads.models import Lead

SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _communication(actor, variants: int = 2, metric: str = SuccessMetric.CLICK, window: int = 14):
    return communication_create(
        campaign=CampaignFactory(),
        actor=actor,
        name="Test",
        subject="Hello",
        success_metric=metric,
        success_window_days=window,
        variants=[VariantSpec() for _ in range(variants)],
    )


def _deliveries(communication, key: str, trials: int, conversions: int, *, after=timedelta(days=1), failed=0):
    """``trials`` sent deliveries of variant ``key``, the first ``conversions`` of them clicked."""
    variant = Variant.objects.get(communication=communication, key=key)
    start = Lead.objects.count()
    leads = Lead.objects.bulk_create(
        Lead(email=f"r{start + i}@example.com", email_key=f"r{start + i}@example.com")
        for i in range(trials + failed)
    )
    Delivery.objects.bulk_create(
        Delivery(
            communication=communication,
            variant=variant,
            lead=lead,
            sent_at=SENT,
            status=DeliveryStatus.SENT if i < trials else DeliveryStatus.FAILED,
            clicked_at=SENT + after if i < conversions else None,
        )
        for i, lead in enumerate(leads)
    )
    return leads


def _independent(c_a: int, n_a: int, c_b: int, n_b: int, alpha: float = 0.05):
    """The textbook two-proportion z-test and Wald interval, written out again from the formulas."""
    p_a, p_b = c_a / n_a, c_b / n_b
    pooled = (c_a + c_b) / (n_a + n_b)
    z = (p_b - p_a) / math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    p_value = math.erfc(abs(z) / math.sqrt(2))
    half = NormalDist().inv_cdf(1 - alpha / 2) * math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    return z, p_value, (p_b - p_a) - half, (p_b - p_a) + half


def test_the_verdict_numbers_equal_an_independent_computation(personas):
    c = _communication(personas.alice)
    _deliveries(c, "A", 600, 60, failed=5)  # failed deliveries are not trials
    _deliveries(c, "B", 580, 93)
    result = communication_result(communication=c)
    a, b = result.variants
    assert (a.trials, a.conversions, a.failed, b.trials, b.conversions) == (600, 60, 5, 580, 93)
    [t] = result.comparisons
    z, p_value, low, high = _independent(60, 600, 93, 580)
    assert t.z == pytest.approx(z) and t.p_value == pytest.approx(p_value)
    assert (t.ci_low, t.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert t.significant and t.difference == pytest.approx(93 / 580 - 0.1)
    assert result.summary.startswith("Variant B converts better than Variant A: 16.0% vs 10.0%")
    assert "Bonferroni" not in result.correction


def test_too_few_people_gives_not_enough_data_with_the_number_needed(personas):
    c = _communication(personas.alice)
    _deliveries(c, "A", 40, 4)
    _deliveries(c, "B", 40, 5)
    result = communication_result(communication=c)
    [t] = result.comparisons
    assert not t.significant
    assert result.summary.startswith(f"Not enough data yet: need about {t.needed_per_variant:,} per variant")
    assert t.needed_per_variant > 40


def test_more_variants_are_each_compared_with_a_under_bonferroni(personas):
    c = _communication(personas.alice, variants=3)
    _deliveries(c, "A", 500, 50)
    _deliveries(c, "B", 500, 78)
    _deliveries(c, "C", 500, 52)
    result = communication_result(communication=c)
    assert result.alpha == pytest.approx(0.025)
    assert [(t.a.name, t.b.name) for t in result.comparisons] == [
        ("Variant A", "Variant B"),
        ("Variant A", "Variant C"),
    ]
    _, p_value, low, high = _independent(50, 500, 78, 500, alpha=0.025)
    b = result.comparisons[0]
    assert b.p_value == pytest.approx(p_value) and (b.ci_low, b.ci_high) == (
        pytest.approx(low),
        pytest.approx(high),
    )
    assert b.significant == (p_value < 0.025)
    assert "Bonferroni" in result.correction and "0.0250" in result.correction


def test_a_conversion_after_the_window_does_not_count(personas):
    c = _communication(personas.alice, window=7)
    _deliveries(c, "A", 10, 3, after=timedelta(days=6))
    _deliveries(c, "B", 10, 3, after=timedelta(days=8))
    a, b = communication_result(communication=c).variants
    assert (a.conversions, b.conversions, b.clicked) == (3, 0, 3)


def test_becoming_an_mql_in_the_window_is_read_from_the_stage_events(personas):
    c = _communication(personas.alice, metric=SuccessMetric.MQL, window=10)
    in_time, too_late, before = _deliveries(c, "A", 3, 0)
    event_record(
        type="lead.stage_changed", subject=in_time, stage="mql", occurred_at=SENT + timedelta(days=2)
    )
    event_record(
        type="lead.stage_changed", subject=too_late, stage="sql", occurred_at=SENT + timedelta(days=11)
    )
    event_record(type="lead.stage_changed", subject=before, stage="mql", occurred_at=SENT - timedelta(days=1))
    [a, _b] = communication_result(communication=c).variants
    assert (a.trials, a.conversions) == (3, 1)


def test_nothing_sent_and_a_single_variant_say_so(personas):
    assert communication_result(communication=_communication(personas.alice)).summary.startswith(
        "Nothing delivered yet"
    )
    single = _communication(personas.alice, variants=1)
    _deliveries(single, "A", 5, 1)
    assert "Only one variant" in communication_result(communication=single).summary


def test_the_result_takes_a_fixed_number_of_queries(personas, django_assert_max_num_queries):
    c = _communication(personas.alice, variants=4)
    for key in "ABCD":
        _deliveries(c, key, 30, 3)
    with django_assert_max_num_queries(2):
        communication_result(communication=c)
