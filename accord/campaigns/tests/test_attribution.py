"""The attribution models: exact splits, each model's shape, degenerate cases, sourced and influenced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.campaigns import attribution as a
from accord.campaigns.attribution import Touch

DEAL_AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def touches(*days_before: float, campaigns: list[int | None] | None = None) -> list[Touch]:
    ids = campaigns or list(range(1, len(days_before) + 1))
    return [Touch(i, DEAL_AT - timedelta(days=d), ids[i], "email") for i, d in enumerate(days_before)]


def credits(model: str, amount: str, ts: list[Touch], **kw: object) -> list[Decimal]:
    return [part for _, part in a.credit(model, Decimal(amount), ts, deal_created_at=DEAL_AT, **kw)]


def test_every_model_has_a_label_and_a_one_line_caveat():
    for model in a.MODELS:
        assert a.LABELS[model]
        assert a.CAVEATS[model] and "\n" not in a.CAVEATS[model]


def test_first_and_last_touch_give_everything_to_one_touch():
    ts = touches(30, 20, 10)
    assert credits(a.FIRST_TOUCH, "900.00", ts) == [Decimal("900.00"), 0, 0]
    assert credits(a.LAST_TOUCH, "900.00", ts) == [0, 0, Decimal("900.00")]


def test_linear_splits_evenly_and_puts_leftover_cents_on_the_earliest_touches():
    assert credits(a.LINEAR, "100.00", touches(3, 2, 1)) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]


def test_u_shaped_gives_forty_forty_twenty():
    assert credits(a.U_SHAPED, "1000.00", touches(40, 30, 20, 10)) == [
        Decimal("400.00"),
        Decimal("100.00"),
        Decimal("100.00"),
        Decimal("400.00"),
    ]


def test_u_and_w_shaped_split_two_touches_fifty_fifty_and_give_one_touch_everything():
    for model in (a.U_SHAPED, a.W_SHAPED):
        assert credits(model, "10.00", touches(5, 1)) == [Decimal("5.00"), Decimal("5.00")]
        assert credits(model, "10.00", touches(5)) == [Decimal("10.00")]


def test_w_shaped_anchors_the_first_touch_after_the_lead_became_an_mql():
    ts = touches(50, 40, 30, 20, 10)
    mql_at = DEAL_AT - timedelta(days=35)  # the touch 30 days before is the first after it
    assert credits(a.W_SHAPED, "1000.00", ts, mql_at=mql_at) == [
        Decimal("300.00"),
        Decimal("50.00"),
        Decimal("300.00"),
        Decimal("50.00"),
        Decimal("300.00"),
    ]


def test_w_shaped_with_three_anchors_and_no_other_touch_gives_each_a_third():
    ts = touches(30, 20, 10)
    assert credits(a.W_SHAPED, "90.00", ts, mql_at=DEAL_AT - timedelta(days=25)) == [Decimal("30.00")] * 3


def test_w_shaped_falls_back_to_u_shaped_without_a_distinct_lead_creation_touch():
    ts = touches(40, 30, 20, 10)
    u = credits(a.U_SHAPED, "1000.00", ts)
    assert credits(a.W_SHAPED, "1000.00", ts) == u  # never became an MQL
    assert (
        credits(a.W_SHAPED, "1000.00", ts, mql_at=DEAL_AT - timedelta(days=60)) == u
    )  # MQL before every touch
    assert (
        credits(a.W_SHAPED, "1000.00", ts, mql_at=DEAL_AT - timedelta(days=15)) == u
    )  # only the last is after


def test_time_decay_halves_the_weight_every_seven_days():
    assert credits(a.TIME_DECAY, "300.00", touches(7, 0)) == [Decimal("100.00"), Decimal("200.00")]


def test_touches_after_the_deal_was_opened_get_nothing():
    ts = touches(10, -1)  # the second came a day after the deal was opened
    result = a.credit(a.LINEAR, Decimal("50.00"), ts, deal_created_at=DEAL_AT)
    assert [(t.key, part) for t, part in result] == [(0, Decimal("50.00"))]


def test_no_touch_means_no_credit():
    assert a.credit(a.LINEAR, Decimal("50.00"), [], deal_created_at=DEAL_AT) == []


def test_sourced_is_the_first_touch_campaign_and_influenced_every_campaign_touched():
    ts = touches(30, 20, 10, 5, campaigns=[7, None, 8, 7])
    assert a.sourced_campaign(ts, DEAL_AT) == 7
    assert a.influenced_campaigns(ts, DEAL_AT) == [7, 8]


def test_credit_by_campaign_sums_the_touches_of_each_campaign():
    ts = touches(30, 20, 10, campaigns=[7, None, 7])
    assert a.credit_by(a.LINEAR, Decimal("90.00"), ts, deal_created_at=DEAL_AT) == {
        7: Decimal("60.00"),
        None: Decimal("30.00"),
    }


def test_an_unknown_model_is_refused_with_the_known_ones_named():
    with pytest.raises(a.UnknownModel, match="first_touch"):
        a.weights("magic", [], deal_created_at=DEAL_AT)


amounts = st.integers(min_value=0, max_value=10**11).map(lambda cents: Decimal(cents) / 100)
touch_lists = st.lists(
    st.tuples(
        st.floats(min_value=-5, max_value=4000, allow_nan=False), st.one_of(st.none(), st.integers(1, 5))
    ),
    max_size=30,
).map(lambda items: [Touch(i, DEAL_AT - timedelta(days=d), c, "email") for i, (d, c) in enumerate(items)])
mql_moments = st.one_of(
    st.none(), st.floats(min_value=-5, max_value=4000).map(lambda d: DEAL_AT - timedelta(days=d))
)


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from(a.MODELS), amount=amounts, ts=touch_lists, mql_at=mql_moments)
def test_credits_always_add_up_to_the_deal_amount(model, amount, ts, mql_at):
    parts = a.credit(model, amount, ts, deal_created_at=DEAL_AT, mql_at=mql_at)
    eligible = [t for t in ts if t.occurred_at <= DEAL_AT]
    assert len(parts) == len(eligible)
    if eligible:
        assert sum(p for _, p in parts) == amount
        assert all(p >= 0 and p == p.quantize(Decimal("0.01")) for _, p in parts)
        by_campaign = a.credit_by(model, amount, ts, deal_created_at=DEAL_AT, mql_at=mql_at)
        assert sum(by_campaign.values()) == amount


@settings(max_examples=200, deadline=None)
@given(amount=amounts, ts=touch_lists.filter(lambda t: any(x.occurred_at <= DEAL_AT for x in t)))
def test_first_and_last_touch_always_credit_exactly_one_touch(amount, ts):
    for model in (a.FIRST_TOUCH, a.LAST_TOUCH):
        parts = [p for _, p in a.credit(model, amount, ts, deal_created_at=DEAL_AT)]
        index = 0 if model == a.FIRST_TOUCH else len(parts) - 1
        assert parts[index] == amount
        assert all(p == 0 for i, p in enumerate(parts) if i != index)


@settings(max_examples=200, deadline=None)
@given(amount=amounts, ts=touch_lists.filter(lambda t: any(x.occurred_at <= DEAL_AT for x in t)))
def test_linear_shares_differ_by_at_most_one_cent(amount, ts):
    parts = [p for _, p in a.credit(a.LINEAR, amount, ts, deal_created_at=DEAL_AT)]
    assert max(parts) - min(parts) <= Decimal("0.01")


@settings(max_examples=100, deadline=None)
@given(model=st.sampled_from(a.MODELS), amount=amounts, ts=touch_lists)
def test_the_same_input_always_gives_the_same_split_whatever_the_input_order(model, amount, ts):
    forward = a.credit(model, amount, ts, deal_created_at=DEAL_AT)
    backward = a.credit(model, amount, list(reversed(ts)), deal_created_at=DEAL_AT)
    assert forward == backward
