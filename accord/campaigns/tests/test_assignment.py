"""The variant split: the same person always gets the same variant, shares follow the weights."""

from __future__ import annotations

from collections import Counter

import pytest

from accord.campaigns.assignment import variant_for

EVEN = [("A", 1), ("B", 1)]


def test_the_same_lead_always_gets_the_same_variant_of_a_communication():
    first = [variant_for(communication_id=7, lead_id=i, weights=EVEN) for i in range(1, 500)]
    again = [variant_for(communication_id=7, lead_id=i, weights=EVEN) for i in range(1, 500)]
    assert first == again


def test_an_even_split_is_balanced_within_binomial_noise():
    counts = Counter(variant_for(communication_id=3, lead_id=i, weights=EVEN) for i in range(1, 10_001))
    # 3 standard deviations of a fair split of 10,000 is 150.
    assert abs(counts["A"] - 5_000) < 150 and counts["A"] + counts["B"] == 10_000


def test_weights_set_the_shares():
    weights = [("A", 3), ("B", 1)]
    counts = Counter(variant_for(communication_id=11, lead_id=i, weights=weights) for i in range(1, 10_001))
    assert abs(counts["A"] - 7_500) < 130  # 3 sd of 10,000 x 0.75 x 0.25 is 130
    three = Counter(
        variant_for(communication_id=11, lead_id=i, weights=[("A", 1), ("B", 1), ("C", 1)])
        for i in range(1, 9_001)
    )
    assert all(abs(three[k] - 3_000) < 135 for k in "ABC")


def test_different_communications_split_people_independently():
    a = [variant_for(communication_id=1, lead_id=i, weights=EVEN) for i in range(1, 4_001)]
    b = [variant_for(communication_id=2, lead_id=i, weights=EVEN) for i in range(1, 4_001)]
    same = sum(x == y for x, y in zip(a, b, strict=True))
    assert abs(same - 2_000) < 130  # agreement by chance only, not the same people in A every time


def test_it_refuses_no_variants_or_a_weight_of_zero():
    with pytest.raises(ValueError):
        variant_for(communication_id=1, lead_id=1, weights=[])
    with pytest.raises(ValueError):
        variant_for(communication_id=1, lead_id=1, weights=[("A", 1), ("B", 0)])
