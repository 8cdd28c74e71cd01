"""Attribution models: how a deal's amount is credited to the touches that came before it.

A pure module: no database, no clock. Callers pass the deal's amount, the moment the deal was
created, and the contact's touches; every function here only looks at touches at or before that
moment, in time order (ties broken by ``key``).

Splitting is exact. Each model yields a weight per touch (as a Fraction); the amount is split in
whole cents by the largest-remainder method: every touch gets its share rounded down to the cent,
and the cents left over go one each to the touches whose shares lost the most to rounding (ties to
the larger share, then to the earlier touch). So the credits always add up to the deal amount, a
model that names one touch gives it everything, and equal weights never differ by more than a cent.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor

FIRST_TOUCH = "first_touch"
LAST_TOUCH = "last_touch"
LINEAR = "linear"
U_SHAPED = "u_shaped"
W_SHAPED = "w_shaped"
TIME_DECAY = "time_decay"

MODELS: tuple[str, ...] = (FIRST_TOUCH, LAST_TOUCH, LINEAR, U_SHAPED, W_SHAPED, TIME_DECAY)

LABELS: dict[str, str] = {
    FIRST_TOUCH: "First touch",
    LAST_TOUCH: "Last touch",
    LINEAR: "Linear",
    U_SHAPED: "U-shaped (40/20/40)",
    W_SHAPED: "W-shaped (30/30/30/10)",
    TIME_DECAY: "Time decay (7-day half-life)",
}

CAVEATS: dict[str, str] = {
    FIRST_TOUCH: "First touch credits only the campaign that brought the person in; it ignores everything "
    "that happened after.",
    LAST_TOUCH: "Last touch credits only the final touch before the deal was opened; it ignores how the "
    "person was found and nurtured.",
    LINEAR: "Linear splits the deal evenly over every touch, so many small touches outweigh "
    "one decisive one.",
    U_SHAPED: "U-shaped gives 40% to the first touch and 40% to the last touch before the deal, 20% to the "
    "rest; the weights are a convention, not a measurement.",
    W_SHAPED: "W-shaped gives 30% each to the first touch, the first touch after the lead became an MQL and "
    "the last touch before the deal, 10% to the rest; the weights are a convention, not a measurement.",
    TIME_DECAY: "Time decay favours touches close to the deal (a touch 7 days earlier counts half), which "
    "undervalues the campaigns that found the person.",
}

SOURCED_CAVEAT = (
    "Sourced: the campaign of the person's first touch; it says who found them, not who convinced them."
)
INFLUENCED_CAVEAT = (
    "Influenced: every campaign with any touch before the deal; one deal counts for several campaigns, "
    "so these totals overlap and must not be added up."
)

HALF_LIFE = timedelta(days=7)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Touch:
    """One touch as attribution sees it. ``key`` identifies it (a touchpoint id) and breaks time ties."""

    key: Hashable
    occurred_at: datetime
    campaign_id: int | None = None
    channel: str = ""


class UnknownModel(ValueError):
    pass


def check_model(model: str) -> str:
    if model not in MODELS:
        raise UnknownModel(f"Unknown attribution model {model!r}; use one of {', '.join(MODELS)}.")
    return model


def touches_before(touches: Sequence[Touch], deal_created_at: datetime) -> list[Touch]:
    """The touches at or before the deal was opened, oldest first (ties by key)."""
    eligible = [t for t in touches if t.occurred_at <= deal_created_at]
    return sorted(eligible, key=lambda t: (t.occurred_at, _sort_key(t.key)))


def _sort_key(key: Hashable) -> tuple[int, int | str]:
    """Integer keys (touchpoint ids) in number order; anything else by its text."""
    return (0, key) if isinstance(key, int) else (1, str(key))


def lead_creation_index(touches: Sequence[Touch], mql_at: datetime | None) -> int | None:
    """W-shaped's lead-creation touch: the first touch at or after the person became an MQL.

    None when the person never became an MQL (``mql_at`` is None) or no touch came after it.
    """
    if mql_at is None:
        return None
    for index, touch in enumerate(touches):
        if touch.occurred_at >= mql_at:
            return index
    return None


def weights(
    model: str, touches: Sequence[Touch], *, deal_created_at: datetime, mql_at: datetime | None = None
) -> list[Fraction]:
    """The share of each touch (ordered, already filtered by ``touches_before``) under ``model``; sums to 1.

    Degenerate cases: no touch, no weights; one touch gets everything under every model; with two
    touches U- and W-shaped split 50/50.
    """
    check_model(model)
    n = len(touches)
    if n == 0:
        return []
    if n == 1:
        return [Fraction(1)]
    if model == FIRST_TOUCH:
        return [Fraction(1)] + [Fraction(0)] * (n - 1)
    if model == LAST_TOUCH:
        return [Fraction(0)] * (n - 1) + [Fraction(1)]
    if model == LINEAR:
        return [Fraction(1, n)] * n
    if model == U_SHAPED:
        return _u_shaped(n)
    if model == W_SHAPED:
        return _w_shaped(n, lead_creation_index(touches, mql_at))
    return _time_decay(touches, deal_created_at)


def _u_shaped(n: int) -> list[Fraction]:
    """40% first, 40% last before the deal (its lead-creation touch here), 20% over the middle."""
    if n == 2:
        return [Fraction(1, 2), Fraction(1, 2)]
    middle = Fraction(1, 5) / (n - 2)
    return [Fraction(2, 5)] + [middle] * (n - 2) + [Fraction(2, 5)]


def _w_shaped(n: int, lead_index: int | None) -> list[Fraction]:
    """30% first, 30% lead creation, 30% last before the deal, 10% over the others.

    When the lead-creation touch is missing or coincides with the first or the last touch there are
    only two anchors and the model falls back to U-shaped (40/20/40). With exactly three distinct
    anchors and no other touch, the 10% is shared by the three, so each gets a third.
    """
    if n == 2 or lead_index is None or lead_index in (0, n - 1):
        return _u_shaped(n)
    anchors = {0, lead_index, n - 1}
    others = n - 3
    if others == 0:
        return [Fraction(1, 3)] * 3
    rest = Fraction(1, 10) / others
    return [Fraction(3, 10) if i in anchors else rest for i in range(n)]


def _time_decay(touches: Sequence[Touch], deal_created_at: datetime) -> list[Fraction]:
    """Weight 2^(-age / 7 days) for each touch's age at the deal's creation, normalised."""
    raw = [Fraction(2.0 ** (-((deal_created_at - t.occurred_at) / HALF_LIFE))) for t in touches]
    total = sum(raw, Fraction(0))
    if total == 0:  # every touch is so old its weight underflowed: treat them alike
        return [Fraction(1, len(touches))] * len(touches)
    return [w / total for w in raw]


def split_exactly(amount: Decimal, shares: Sequence[Fraction]) -> list[Decimal]:
    """Split ``amount`` (whole cents, not negative) in proportion to ``shares``; the parts add up exactly."""
    if not shares:
        return []
    if amount < 0 or amount != amount.quantize(CENT):
        raise ValueError(f"amount must be a non-negative number of whole cents, not {amount}")
    total = sum(shares, Fraction(0))
    if total <= 0 or any(s < 0 for s in shares):
        raise ValueError("shares must be non-negative and not all zero")
    cents = int(amount / CENT)
    exact = [Fraction(cents) * s / total for s in shares]
    floors = [floor(x) for x in exact]
    left = cents - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), -exact[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [(Decimal(c) * CENT).quantize(CENT) for c in floors]


def credit(
    model: str,
    amount: Decimal,
    touches: Sequence[Touch],
    *,
    deal_created_at: datetime,
    mql_at: datetime | None = None,
) -> list[tuple[Touch, Decimal]]:
    """Each touch before the deal with the part of ``amount`` ``model`` credits to it (empty: no touch)."""
    eligible = touches_before(touches, deal_created_at)
    shares = weights(model, eligible, deal_created_at=deal_created_at, mql_at=mql_at)
    return list(zip(eligible, split_exactly(amount, shares), strict=True))


def credit_by(
    model: str,
    amount: Decimal,
    touches: Sequence[Touch],
    *,
    deal_created_at: datetime,
    mql_at: datetime | None = None,
    group_by: str = "campaign",
) -> dict[Hashable, Decimal]:
    """``credit`` summed per campaign id (None: touches without a campaign) or per channel."""
    totals: dict[Hashable, Decimal] = {}
    for touch, part in credit(model, amount, touches, deal_created_at=deal_created_at, mql_at=mql_at):
        key = touch.campaign_id if group_by == "campaign" else (touch.channel or None)
        totals[key] = totals.get(key, Decimal("0.00")) + part
    return totals


def sourced_campaign(touches: Sequence[Touch], deal_created_at: datetime) -> int | None:
    """The campaign of the first touch before the deal (None when it had no campaign or there was none)."""
    eligible = touches_before(touches, deal_created_at)
    return eligible[0].campaign_id if eligible else None


def influenced_campaigns(touches: Sequence[Touch], deal_created_at: datetime) -> list[int]:
    """Every campaign with a touch before the deal, in the order they first touched the person."""
    seen: dict[int, None] = {}
    for touch in touches_before(touches, deal_created_at):
        if touch.campaign_id is not None:
            seen.setdefault(touch.campaign_id, None)
    return list(seen)
