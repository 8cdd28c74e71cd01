"""Reads for the pipeline: the deal board (open deals by stage), the stage probabilities, and the weighted
forecast per period and owner. Every read starts from ``deals_visible_to``; every query is bounded (a
fixed number of cards per column, sums computed in the database)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accord.core.calendar import FiscalCalendar, fiscal_calendar
from accord.deals.models import DEFAULT_STAGE_PROBABILITIES, Deal, DealStage, StageProbability
from accord.people import access
from accord.people.access import deals_actionable_by, deals_visible_to, managed_user_ids
from accord.people.models import Role, User

# The stages on the board, in pipeline order.
BOARD_STAGES: tuple[DealStage, ...] = (DealStage.QUALIFICATION, DealStage.PROPOSAL, DealStage.NEGOTIATION)
# Cards shown per column; the column's count and totals cover every deal in it.
CARDS_PER_COLUMN = 50
# Who sets the forecast's stage probabilities.
PROBABILITY_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD})
# Periods the forecast looks ahead (besides "overdue" and "no close date").
FORECAST_MONTHS = 12
FORECAST_QUARTERS = 4


def deal_owner_choices(user: User) -> QuerySet[User]:
    """Whom ``user`` may give a deal to: themselves and everyone they manage; the sales head and admins
    any active salesperson."""
    if user.has_role(*access.ACT_ON_ALL_ROLES):
        return User.objects.filter(is_active=True, roles__role__in=access.SALES_ROLES).distinct()
    if not user.has_role(*access.SALES_ROLES):
        return User.objects.none()
    return User.objects.filter(is_active=True).filter(Q(pk=user.pk) | Q(pk__in=managed_user_ids(user)))


def stage_probabilities() -> dict[str, int]:
    """Percent per open stage: the configured value, else the default."""
    configured = dict(StageProbability.objects.values_list("stage", "probability"))
    return {
        stage.value: configured.get(stage.value, DEFAULT_STAGE_PROBABILITIES[stage]) for stage in BOARD_STAGES
    }


def _money_by_currency(rows: list[dict[str, Any]]) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row["currency"]] += row["total"] or Decimal("0")
    return sorted(totals.items())


@dataclass
class BoardColumn:
    stage: str
    label: str
    probability: int
    deals: list[Deal]
    count: int = 0
    totals: list[tuple[str, Decimal]] = field(default_factory=list)  # (currency, amount)
    weighted: list[tuple[str, Decimal]] = field(default_factory=list)

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.deals))


@dataclass
class Board:
    columns: list[BoardColumn]
    movable: frozenset[int]  # ids of the shown deals the user may move


def board_deals(*, user: User, owner: str = "") -> QuerySet[Deal]:
    """Open deals the user may see, optionally one owner's ('me' or a username)."""
    qs = deals_visible_to(user).filter(stage__in=BOARD_STAGES)
    if owner == "me":
        qs = qs.filter(owner=user)
    elif owner:
        qs = qs.filter(owner__username=owner)
    return qs


def deal_board(*, user: User, owner: str = "") -> Board:
    """The board: for each open stage its first cards (closing soonest), its count and totals per currency.

    Five queries whatever the number of deals: the sums, the probabilities, one page of cards per
    column is one query (a window over the three stages would not be simpler), and who may move them.
    """
    deals = board_deals(user=user, owner=owner)
    sums = list(deals.values("stage", "currency").annotate(total=Sum("amount"), n=Count("id")).order_by())
    probabilities = stage_probabilities()
    columns: list[BoardColumn] = []
    shown: list[int] = []
    for stage in BOARD_STAGES:
        cards = list(
            deals.filter(stage=stage)
            .select_related("account", "owner")
            .order_by("expected_close", "-amount", "id")[:CARDS_PER_COLUMN]
        )
        shown += [d.pk for d in cards]
        rows = [r for r in sums if r["stage"] == stage]
        totals = _money_by_currency(rows)
        columns.append(
            BoardColumn(
                stage=stage.value,
                label=stage.label,
                probability=probabilities[stage.value],
                deals=cards,
                count=sum(r["n"] for r in rows),
                totals=totals,
                weighted=[(c, _weigh(t, probabilities[stage.value])) for c, t in totals],
            )
        )
    movable = frozenset(deals_actionable_by(user).filter(pk__in=shown).values_list("pk", flat=True))
    return Board(columns=columns, movable=movable)


def _weigh(amount: Decimal, percent: int) -> Decimal:
    return (amount * percent / Decimal(100)).quantize(Decimal("0.01"))


# --- the weighted forecast ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str  # "2027-03" or "FY2027 Q2" or "overdue" / "none"
    label: str
    first: date | None
    last: date | None


@dataclass
class ForecastRow:
    owner: str  # display name, or "Nobody"
    owner_username: str
    cells: dict[str, dict[str, Decimal]]  # period key -> currency -> weighted amount
    total: dict[str, Decimal]


@dataclass
class Forecast:
    period: str  # "month" or "quarter"
    periods: list[Period]
    rows: list[ForecastRow]
    totals: dict[str, dict[str, Decimal]]  # period key -> currency -> weighted
    unweighted: dict[str, dict[str, Decimal]]  # period key -> currency -> pipeline amount
    probabilities: dict[str, int]
    currencies: list[str]


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    return date(day.year + year, month + 1, 1)


def forecast_periods(*, period: str, today: date, calendar: FiscalCalendar) -> list[Period]:
    """The periods from the one containing ``today``: 12 months or 4 fiscal quarters, plus overdue and
    no close date."""
    periods: list[Period] = []
    if period == "quarter":
        first, _ = calendar.quarter_bounds(today)
        for _i in range(FORECAST_QUARTERS):
            start, end = calendar.quarter_bounds(first)
            periods.append(Period(calendar.label(start), calendar.label(start), start, end))
            first = _add_months(start, 3)
    else:
        first = today.replace(day=1)
        for _i in range(FORECAST_MONTHS):
            end = _add_months(first, 1)
            periods.append(
                Period(f"{first:%Y-%m}", f"{first:%b %Y}", first, date.fromordinal(end.toordinal() - 1))
            )
            first = end
    horizon_start = periods[0].first
    assert horizon_start is not None
    return [
        Period(
            "overdue",
            f"Before {horizon_start:%d %b %Y} (overdue)",
            None,
            date.fromordinal(horizon_start.toordinal() - 1),
        ),
        *periods,
        Period("none", "No close date", None, None),
    ]


def _period_of(day: date | None, periods: list[Period]) -> str | None:
    if day is None:
        return "none"
    for p in periods:
        if p.key == "none":
            continue
        if (p.first is None or p.first <= day) and p.last is not None and day <= p.last:
            return p.key
    return None  # beyond the horizon


def deal_forecast(
    *, user: User, period: str = "quarter", owner: str = "", today: date | None = None
) -> Forecast:
    """The weighted forecast of open deals the user may see: amount times stage probability, by the period of
    the expected close (calendar month or fiscal quarter) and by owner.

    One grouped query (owner, stage, currency, month of expected close) within the horizon; the rows it
    returns are bounded by owners, stages, currencies and months, not by deals.
    """
    if period not in ("month", "quarter"):
        period = "quarter"
    day = today or timezone.localdate()
    periods = forecast_periods(period=period, today=day, calendar=fiscal_calendar())
    horizon_end = periods[-2].last
    probabilities = stage_probabilities()
    deals = board_deals(user=user, owner=owner).filter(
        Q(expected_close__isnull=True) | Q(expected_close__lte=horizon_end)
    )
    grouped = (
        deals.annotate(month=TruncMonth("expected_close"))
        .values("owner__username", "owner__first_name", "owner__last_name", "stage", "currency", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    rows: dict[str, ForecastRow] = {}
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    unweighted: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    currencies: set[str] = set()
    for g in grouped:
        month = g["month"]
        if month is not None and hasattr(month, "date"):
            month = month.date()  # TruncMonth of a date column is a datetime on some backends
        first = periods[1].first
        assert first is not None
        key = "overdue" if month is not None and month < first else _period_of(month, periods)
        if key is None:
            continue
        username = g["owner__username"] or ""
        name = (
            " ".join(p for p in (g["owner__first_name"], g["owner__last_name"]) if p) or username or "Nobody"
        )
        row = rows.setdefault(
            username,
            ForecastRow(name, username, defaultdict(lambda: defaultdict(Decimal)), defaultdict(Decimal)),
        )
        weighted = _weigh(g["total"], probabilities[g["stage"]])
        currency = g["currency"]
        currencies.add(currency)
        row.cells[key][currency] += weighted
        row.total[currency] += weighted
        totals[key][currency] += weighted
        unweighted[key][currency] += g["total"]
    ordered = sorted(rows.values(), key=lambda r: (r.owner == "Nobody", r.owner.lower()))
    return Forecast(
        period=period,
        periods=periods,
        rows=ordered,
        totals=totals,
        unweighted=unweighted,
        probabilities=probabilities,
        currencies=sorted(currencies),
    )
