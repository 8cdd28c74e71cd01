"""A/B test arithmetic against hand-computed references."""

from __future__ import annotations

import math

import pytest

from accord.core.abtest import Variant, compare, difference_interval, sample_size_per_variant, z_test


def test_z_test_matches_the_hand_computation():
    # 320/10000 vs 410/10000: pooled p = 730/20000 = 0.0365,
    # se = sqrt(0.0365 * 0.9635 * 2/10000) = 0.00265209, z = 0.009 / 0.00265209 = 3.39356.
    z, p = z_test(Variant("A", 320, 10000), Variant("B", 410, 10000))
    assert z == pytest.approx(3.39356, abs=1e-4)
    assert p == pytest.approx(0.000690, abs=2e-6)  # 2 * (1 - Phi(3.39356))


def test_a_z_of_1_96_gives_p_0_05():
    # 100/1000 vs 127/1000 gives z close to 1.9; a constructed one: check the two-sided tail at 1.959964.
    from statistics import NormalDist

    assert 2 * (1 - NormalDist().cdf(1.959964)) == pytest.approx(0.05, abs=1e-6)


def test_interval_is_the_wald_interval():
    low, high = difference_interval(Variant("A", 320, 10000), Variant("B", 410, 10000))
    se = math.sqrt(0.032 * 0.968 / 10000 + 0.041 * 0.959 / 10000)  # 0.0026517
    assert (low, high) == (
        pytest.approx(0.009 - 1.959964 * se, abs=1e-6),
        pytest.approx(0.009 + 1.959964 * se, abs=1e-6),
    )


def test_sample_size_matches_the_textbook_value():
    # 10% vs 15%, alpha 0.05 two-sided, power 0.8: 686 per group (Fleiss, no continuity correction).
    assert sample_size_per_variant(0.10, 0.05) == 686
    # 3.2% -> 4.1%: ((1.95996*sqrt(2*.0365*.9635) + 0.84162*sqrt(.032*.968+.041*.959))/.009)^2 = 6,814.3 -> 6,815.
    assert sample_size_per_variant(0.032, 0.009) == 6815


def test_verdicts_are_plain_language():
    win = compare(Variant("A", 320, 10000), Variant("B", 410, 10000))
    assert win.significant
    assert win.verdict == (
        "B converts better than A: 4.1% vs 3.2%, difference 0.9 points (95% CI 0.4 to 1.4), p<0.001"
    )
    early = compare(Variant("A", 3, 100), Variant("B", 5, 100), mde=0.01)
    assert not early.significant
    assert early.verdict.startswith("Not enough data yet: need about 5,")
    assert early.needed_per_variant == sample_size_per_variant(0.03, 0.01)


def test_bad_variants_are_refused():
    with pytest.raises(ValueError):
        Variant("A", 5, 3)
