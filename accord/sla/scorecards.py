"""Scorecards (C5): per rep and per team for a period, read from the event log and the SLA clocks.

What each figure counts, for a period [start 00:00, end+1 00:00) in the organisation's time zone:

- received: distinct leads with a 'lead.assigned' event to the rep in the period.
- accepted: distinct leads with a 'lead.accepted' event whose owner was the rep, in the period.
- rejected (by reason): 'lead.rejected' events whose previous owner was the rep, in the period.
- median hours to accept: business hours (the rep's team calendar) from the start of the accept clock
  to the acceptance, over the acceptances counted above.
- median hours to first touch: business hours from the start to the meeting of the rep's first-touch
  clocks met in the period (the first-touch clock starts at acceptance, as the SLA counts it).
- SLA clocks on time / breached: the rep's clocks (accept, first touch, next touch) due in the period.
  On time: met by the deadline. Breached: marked breached, met late, or still open past the deadline.
  Clocks stopped before their deadline (lead rejected, reassigned) and clocks still running before their
  deadline are not decided and count neither way. SLA met % = on time / (on time + breached).
- reached SQL / opportunity: leads received in the period with a 'lead.stage_changed' event to that
  stage or beyond at or after the rep's first assignment of it in the period (up to now).
- score: on time x on_time_points - breached x breach_penalty + SQL x sql_points
  + opportunities x opportunity_points (ScorecardWeights, edited in the admin).

A team's row adds up its reps' counts, pools their times for the medians and recomputes the rates.
Every figure comes from a fixed number of queries whatever the number of leads or reps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from accord.core.calendar import BusinessCalendar, fiscal_calendar
from accord.core.csv_safe import csv_escape, csv_lines
from accord.core.errors import AccessDenied, ApplicationError, NotFound
from accord.core.models import Event
from accord.people import access
from accord.people.access import managed_teams
from accord.people.models import Role, Team, User
from accord.people.selectors import user_calendar
from accord.sla.models import ClockKind, RejectionReason, ScorecardWeights, SlaClock
from accord.sla.selectors import OPPORTUNITY_OR_LATER, SQL_OR_LATER, period_bounds

ALL_TEAMS_ROLES = access.ALL_TEAMS_SCORECARD_ROLES
MAX_PERIOD_DAYS = 731


class PeriodKind:
    MONTH = "month"
    QUARTER = "quarter"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str


def scorecard_period(
    *,
    kind: str = PeriodKind.QUARTER,
    on: date | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """A calendar month or a fiscal quarter containing ``on`` (default today), or ``start``..``end``."""
    fiscal = fiscal_calendar()
    if start is not None or end is not None or kind == PeriodKind.CUSTOM:
        if start is None or end is None:
            raise ApplicationError(
                "Give both a start and an end date.", detail={"start": "and end are both required"}
            )
        if end < start:
            raise ApplicationError(
                "The end date is before the start date.", detail={"end": "is before start"}
            )
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ApplicationError(
                "A period can be at most two years.", detail={"end": "is too far from start"}
            )
        return Period(start, end, f"{start:%d %b %Y} to {end:%d %b %Y}")
    day = on or timezone.localdate()
    if kind == PeriodKind.MONTH:
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return Period(first, last, f"{first:%B %Y} ({fiscal.label(first)})")
    if kind == PeriodKind.QUARTER:
        first, last = fiscal.quarter_bounds(day)
        return Period(first, last, fiscal.label(day))
    raise ApplicationError(f"Unknown period {kind!r}.", detail={"period": "use month, quarter or custom"})


@dataclass
class Scorecard:
    """The figures of one rep (``user`` set) or one team (``team`` set) for a period."""

    name: str
    team: str
    user_id: int | None = None
    team_id: int | None = None
    received: int = 0
    accepted: int = 0
    rejected: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    accept_hours: list[float] = field(default_factory=list, repr=False)
    first_touch_hours: list[float] = field(default_factory=list, repr=False)
    clocks_on_time: int = 0
    clocks_breached: int = 0
    reached_sql: int = 0
    reached_opportunity: int = 0
    points_on_time: float = 0
    penalty_breaches: float = 0
    points_conversion: float = 0

    @property
    def median_hours_to_accept(self) -> float | None:
        return round(median(self.accept_hours), 2) if self.accept_hours else None

    @property
    def median_hours_to_first_touch(self) -> float | None:
        return round(median(self.first_touch_hours), 2) if self.first_touch_hours else None

    @property
    def sla_met_percent(self) -> float | None:
        decided = self.clocks_on_time + self.clocks_breached
        return round(100 * self.clocks_on_time / decided, 1) if decided else None

    @property
    def sql_percent(self) -> float | None:
        return round(100 * self.reached_sql / self.received, 1) if self.received else None

    @property
    def opportunity_percent(self) -> float | None:
        return round(100 * self.reached_opportunity / self.received, 1) if self.received else None

    @property
    def score(self) -> float:
        return round(self.points_on_time - self.penalty_breaches + self.points_conversion, 2)

    def rejected_for(self, reason: str) -> int:
        return self.rejected_by_reason.get(reason, 0)

    @property
    def rejected_reasons_in_words(self) -> list[tuple[str, int]]:
        """The rejections by reason as people read them ("Bad data 1"), never the stored code."""
        labels = dict(RejectionReason.choices)
        return [
            (str(labels.get(code, code.replace("_", " "))), n)
            for code, n in sorted(self.rejected_by_reason.items())
        ]

    def add(self, other: Scorecard) -> None:
        """Fold a rep's figures into this team row."""
        for name in (
            "received", "accepted", "rejected", "clocks_on_time", "clocks_breached", "reached_sql",
            "reached_opportunity", "points_on_time", "penalty_breaches", "points_conversion",
        ):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, n in other.rejected_by_reason.items():
            self.rejected_by_reason[reason] = self.rejected_by_reason.get(reason, 0) + n
        self.accept_hours += other.accept_hours
        self.first_touch_hours += other.first_touch_hours


@dataclass
class Scorecards:
    period: Period
    weights: ScorecardWeights
    reps: list[Scorecard]
    teams: list[Scorecard]
    teams_visible: list[Team]


# --- who sees what -----------------------------------------------------------------------------------


def scorecards_allowed(user: User) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.has_role(*ALL_TEAMS_ROLES, Role.SALES_MANAGER, Role.SALES_REP)
    )


def scorecard_teams_for(user: User) -> tuple[QuerySet[Team], bool]:
    """The teams whose scorecards the user sees, and whether they see only their own row (a rep)."""
    if user.has_role(*ALL_TEAMS_ROLES):
        return Team.objects.all(), False
    if user.has_role(Role.SALES_MANAGER):
        return managed_teams(user), False
    if user.has_role(Role.SALES_REP):
        return Team.objects.filter(pk=user.team_id), True
    raise AccessDenied("Scorecards are for sales, the heads, executives and admins.")


# --- the computation -----------------------------------------------------------------------------------


def _is_on_time(clock: SlaClock) -> bool:
    return clock.met_at is not None and clock.met_at <= clock.due_at


def _is_breached(clock: SlaClock, now: datetime) -> bool:
    if _is_on_time(clock):
        return False
    if clock.breached_at is not None or clock.met_at is not None:
        return True  # marked breached, or met after the deadline
    return clock.stopped_at is None and clock.due_at <= now


def scorecards_for(
    *, user: User, period: Period, team_id: int | None = None, now: datetime | None = None
) -> Scorecards:
    """Every scorecard the user may see for ``period``: one per rep and one per team (see module doc)."""
    now = now or timezone.now()
    teams_qs, own_row_only = scorecard_teams_for(user)
    teams_visible = list(teams_qs.order_by("name"))
    teams = teams_visible
    if team_id is not None:
        teams = [t for t in teams_visible if t.pk == team_id]
        if not teams:
            raise NotFound(f"Team {team_id} was not found.", detail={"team": team_id})
    reps_qs = User.objects.filter(team__in=teams, roles__role=Role.SALES_REP).distinct().order_by("username")
    if own_row_only:
        reps_qs = reps_qs.filter(pk=user.pk)
    reps = list(reps_qs)
    team_by_id = {t.pk: t for t in teams}
    team_calendars = {t.pk: t.calendar() for t in teams if any(r.team_id == t.pk for r in reps)}
    calendars: dict[int, BusinessCalendar] = {
        r.pk: team_calendars[r.team_id] if r.team_id in team_calendars else user_calendar(r) for r in reps
    }
    cards = {
        r.pk: Scorecard(name=str(r), team=str(team_by_id.get(r.team_id, "")), user_id=r.pk) for r in reps
    }
    weights = ScorecardWeights.current()
    lo, hi = period_bounds(period.start, period.end)
    rep_ids = list(cards)
    in_period = Q(occurred_at__gte=lo, occurred_at__lt=hi, subject_type="lead")

    # Leads received: the first assignment of each lead to each rep in the period.
    received: dict[tuple[int, int], datetime] = {}
    for lead_id, owner_id, at in (
        Event.objects.filter(in_period, type="lead.assigned", payload__owner_id__in=rep_ids)
        .order_by("occurred_at", "id")
        .values_list("subject_id", "payload__owner_id", "occurred_at")
    ):
        received.setdefault((int(owner_id), lead_id), at)

    accepted: dict[tuple[int, int], int | None] = {}
    for lead_id, owner_id, clock_id in (
        Event.objects.filter(in_period, type="lead.accepted", payload__owner__in=rep_ids)
        .order_by("occurred_at", "id")
        .values_list("subject_id", "payload__owner", "payload__clock")
    ):
        accepted.setdefault((int(owner_id), lead_id), clock_id)

    for owner_id, reason in Event.objects.filter(
        in_period, type="lead.rejected", payload__previous_owner__in=rep_ids
    ).values_list("payload__previous_owner", "payload__reason"):
        card = cards[int(owner_id)]
        card.rejected += 1
        card.rejected_by_reason[reason] = card.rejected_by_reason.get(reason, 0) + 1

    accept_clock_ids = [c for c in accepted.values() if c]
    for clock in SlaClock.objects.filter(pk__in=accept_clock_ids, met_at__isnull=False).only(
        "owner_id", "started_at", "met_at"
    ):
        if clock.owner_id in cards:
            cards[clock.owner_id].accept_hours.append(
                calendars[clock.owner_id].business_hours_between(clock.started_at, clock.met_at)
            )

    for clock in SlaClock.objects.filter(
        owner_id__in=rep_ids, kind=ClockKind.FIRST_TOUCH, met_at__gte=lo, met_at__lt=hi
    ).only("owner_id", "started_at", "met_at"):
        cards[clock.owner_id].first_touch_hours.append(
            calendars[clock.owner_id].business_hours_between(clock.started_at, clock.met_at)
        )

    for clock in SlaClock.objects.filter(owner_id__in=rep_ids, due_at__gte=lo, due_at__lt=hi).only(
        "owner_id", "due_at", "met_at", "breached_at", "stopped_at"
    ):
        if _is_on_time(clock):
            cards[clock.owner_id].clocks_on_time += 1
        elif _is_breached(clock, now):
            cards[clock.owner_id].clocks_breached += 1

    reached: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for lead_id, at, stage in Event.objects.filter(
        type="lead.stage_changed",
        subject_type="lead",
        subject_id__in=sorted({lead_id for _, lead_id in received}),
        stage__in=SQL_OR_LATER,
    ).values_list("subject_id", "occurred_at", "stage"):
        reached[lead_id].append((at, stage))

    for (owner_id, lead_id), at in received.items():
        card = cards[owner_id]
        card.received += 1
        later = [stage for when, stage in reached.get(lead_id, []) if when >= at]
        card.reached_sql += bool(later)
        card.reached_opportunity += any(stage in OPPORTUNITY_OR_LATER for stage in later)
    for owner_id, _ in accepted:
        cards[owner_id].accepted += 1

    for card in cards.values():
        card.points_on_time = card.clocks_on_time * weights.on_time_points
        card.penalty_breaches = card.clocks_breached * weights.breach_penalty
        card.points_conversion = (
            card.reached_sql * weights.sql_points + card.reached_opportunity * weights.opportunity_points
        )

    team_cards: list[Scorecard] = []
    if not own_row_only:
        for team in teams:
            total = Scorecard(name=str(team), team=str(team), team_id=team.pk)
            for rep in reps:
                if rep.team_id == team.pk:
                    total.add(cards[rep.pk])
            team_cards.append(total)
    return Scorecards(
        period=period,
        weights=weights,
        reps=[cards[r.pk] for r in reps],
        teams=team_cards,
        teams_visible=teams_visible,
    )


# --- CSV export ----------------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a leading quote.

    Numbers Accord computed are written as numbers (they carry no formula); None becomes empty.
    """
    return csv_escape(value)


def scorecards_csv_header() -> list[str]:
    reasons = list(RejectionReason)
    return [
        "period_start", "period_end", "scope", "name", "team", "received", "accepted", "rejected",
        *[f"rejected_{r.value}" for r in reasons],
        "median_business_hours_to_accept", "median_business_hours_to_first_touch",
        "sla_clocks_on_time", "sla_clocks_breached", "sla_met_percent", "reached_sql", "sql_percent",
        "reached_opportunity", "opportunity_percent", "points_on_time", "penalty_breaches",
        "points_conversion", "score",
    ]  # fmt: skip


def scorecards_csv_rows(cards: Scorecards) -> list[list[Any]]:
    """One row per rep, then one per team (raw values: the CSV writer escapes them)."""
    reasons = list(RejectionReason)
    rows: list[list[Any]] = []
    for scope, cards_rows in (("rep", cards.reps), ("team", cards.teams)):
        for c in cards_rows:
            rows.append(
                [
                    cards.period.start.isoformat(), cards.period.end.isoformat(), scope, c.name, c.team,
                    c.received, c.accepted, c.rejected, *[c.rejected_for(r) for r in reasons],
                    c.median_hours_to_accept, c.median_hours_to_first_touch, c.clocks_on_time,
                    c.clocks_breached, c.sla_met_percent, c.reached_sql, c.sql_percent,
                    c.reached_opportunity, c.opportunity_percent, c.points_on_time, c.penalty_breaches,
                    c.points_conversion, c.score,
                ]
            )  # fmt: skip
    return rows


def scorecards_csv(cards: Scorecards) -> str:
    """The scorecards as CSV: one row per rep, then one per team, every cell escaped."""
    return "".join(csv_lines(scorecards_csv_header(), scorecards_csv_rows(cards)))
