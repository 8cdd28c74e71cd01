"""The one metrics module: every figure Accord reports, its definition, and how it is computed.

Both departments read the same numbers because every dashboard, CSV export and API endpoint gets its
figures from here. Each metric has a key, a label and a one-line definition (shown on hover and in the
glossary at /dashboards/glossary/).

Periods are half-open ``[start, end)`` of UTC days. A *cut* narrows every metric to one campaign,
channel, source, team, rep or criteria version; a lead's cut is its *current* source, campaign (the
campaign whose utm_campaign the lead came with), owner, owner's team and criteria version.

Two views:
- **flow**: what moved in the period: the number of times leads entered each stage (from the event
  log's stage events, via the ``StageDaily`` rollup).
- **cohort**: the leads created in the period, where they are now and how far they got (``LeadFact``).

All counting is SQL with GROUP BY over the rollup tables; Python only folds the few aggregated rows.
A query reads a grain table (``StageDailyCut``, ``CohortDaily``, ``StayDaily``: counts kept per at
most one dimension) when its cut and breakdown together need at most one dimension, which is every
query of the uncut dashboards and of one cut; a breakdown by another dimension than the cut's reads
the fine tables. Both give the same numbers (``tests/test_grains.py``).
The SQL builders (``*_sql``) are plain SQL with ``%s`` parameters so the benchmark runs the very same
statements on SQLite, PostgreSQL and DuckDB.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from accord.reporting.rollups import FUNNEL_RANKS

FUNNEL: tuple[str, ...] = ("inquiry", "mql", "sal", "sql", "opportunity", "customer")
STAGE_LABELS = {
    "inquiry": "Inquiries",
    "mql": "MQLs",
    "sal": "SALs",
    "sql": "SQLs",
    "opportunity": "Opportunities",
    "customer": "Won (customers)",
}
# One of each, as a sentence names it ("Cost per inquiry", "Time in MQL"): never a code, never a
# plural cut down by hand (that gave "Cost per Inquirie").
STAGE_NAMES = {
    "inquiry": "inquiry",
    "mql": "MQL",
    "sal": "SAL",
    "sql": "SQL",
    "opportunity": "opportunity",
    "customer": "customer",
}
CUT_KINDS = ("campaign", "channel", "source", "team", "rep", "criteria")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    unit: str = "count"  # count | percent | money | duration


def _metrics() -> dict[str, Metric]:
    found: list[Metric] = [
        Metric(
            "leads", "Leads", "Leads created in the period (the cohort), whatever stage they reached since."
        ),
        Metric(
            "cost",
            "Marketing cost",
            "Cost lines of the campaigns in the cut, spread evenly per day, "
            "falling in the period (exact to the cent).",
            "money",
        ),
        Metric(
            "cost_per_lead",
            "Cost per lead",
            "Marketing cost in the period ÷ leads created in the period.",
            "money",
        ),
        Metric(
            "sla_compliance",
            "SLA compliance",
            "SLA clocks due in the period that were met on time ÷ clocks "
            "met on time or breached (running clocks not yet due are left out).",
            "percent",
        ),
        Metric(
            "acceptance_rate",
            "Acceptance rate",
            "Leads accepted by sales ÷ leads accepted or rejected, by decisions taken in the period.",
            "percent",
        ),
        Metric(
            "won_revenue",
            "Attributed revenue",
            "Revenue of deals won in the period credited to campaigns "
            "by the chosen attribution model; every figure names its model and caveat.",
            "money",
        ),
    ]
    for stage in FUNNEL:
        label, name = STAGE_LABELS[stage], STAGE_NAMES[stage]
        found.append(
            Metric(
                f"flow_{stage}",
                label,
                f"Times leads entered {name} in the period (flow view: what moved, whenever the lead was created).",
            )
        )
        found.append(
            Metric(
                f"cohort_{stage}",
                f"Cohort reached {name}",
                f"Leads created in the period that have ever reached {name} or a later stage (cohort view).",
            )
        )
        found.append(
            Metric(
                f"cost_per_{stage}",
                f"Cost per {name}",
                f"Marketing cost in the "
                f"period ÷ times leads entered {name} in the period; empty for cuts without costs "
                "(source, team, rep, criteria version).",
                "money",
            )
        )
        found.append(
            Metric(
                f"velocity_{stage}",
                f"Time in {name}",
                f"Median and 75th percentile (nearest "
                f"rank) of the time leads stayed in {name} before their next stage change, for "
                "stays that ended in the period.",
                "duration",
            )
        )
    for a, b in itertools.pairwise(FUNNEL):
        name_a, name_b = STAGE_NAMES[a], STAGE_NAMES[b]
        title_a, title_b = name_a[0].upper() + name_a[1:], name_b[0].upper() + name_b[1:]
        found.append(
            Metric(
                f"conv_{a}_{b}",
                f"{title_a} → {title_b}",
                f"Flow conversion: times leads entered {name_b} ÷ times leads entered {name_a}, both in the period.",
                "percent",
            )
        )
        found.append(
            Metric(
                f"cohort_conv_{a}_{b}",
                f"Cohort {title_a} → {title_b}",
                f"Of the leads created in the period that reached {name_a}, the share that reached {name_b} or beyond.",
                "percent",
            )
        )
    return {m.key: m for m in found}


METRICS: dict[str, Metric] = _metrics()


def definition(key: str) -> str:
    return METRICS[key].definition


# --- periods and cuts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Half-open ``[start, end)`` of days."""

    start: date
    end: date
    label: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def previous(self) -> Period:
        """The period just before: as many whole months when the period is whole months (a quarter's
        previous period is the previous quarter), else as many days."""
        months = _whole_months(self.start, self.end)
        if months:
            return Period(_add_months(self.start, -months), self.start, "previous period")
        return Period(self.start - timedelta(days=self.days), self.start, "previous period")

    def last_year(self) -> Period:
        return Period(_minus_year(self.start), _minus_year(self.end), "same period last year")

    def moments(self) -> tuple[datetime, datetime]:
        return datetime.combine(self.start, time.min, UTC), datetime.combine(self.end, time.min, UTC)


def _whole_months(start: date, end: date) -> int:
    if start.day != 1 or end.day != 1:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Cut:
    """One narrowing of every metric (or none): kind in CUT_KINDS and the id (or channel code)."""

    kind: str = ""
    value: str = ""

    def __post_init__(self) -> None:
        if self.kind and self.kind not in CUT_KINDS:
            raise ValueError(f"unknown cut {self.kind!r}: use one of {', '.join(CUT_KINDS)}")
        if self.kind and self.kind != "channel" and not str(self.value).isdigit():
            raise ValueError(f"the {self.kind} cut needs a numeric id")

    @property
    def has_costs(self) -> bool:
        return self.kind in ("", "campaign", "channel")


def cut_sql(cut: Cut, alias: str = "r") -> tuple[str, list[Any]]:
    """An ``AND ...`` clause narrowing a rollup table aliased ``alias`` to the cut."""
    if not cut.kind:
        return "", []
    column = {
        "campaign": f"{alias}.campaign_id = %s",
        "channel": f"{alias}.campaign_id IN (SELECT id FROM campaigns_campaign WHERE channel = %s)",
        "source": f"{alias}.source_id = %s",
        "team": f"{alias}.owner_id IN (SELECT id FROM people_user WHERE team_id = %s)",
        "rep": f"{alias}.owner_id = %s",
        "criteria": f"{alias}.criteria_id = %s",
    }[cut.kind]
    return f" AND {column}", [cut.value if cut.kind == "channel" else int(cut.value)]


# The dimension column a cut or a breakdown needs (a team is its owners' rows, a channel its campaigns').
CUT_DIMENSION = {
    "campaign": "campaign",
    "channel": "campaign",
    "source": "source",
    "team": "owner",
    "rep": "owner",
    "criteria": "criteria",
}


def grain_for(cut: Cut, by: str = "") -> str | None:
    """The grain table grain serving ``cut`` broken down ``by``: "" (none), a dimension, or None when
    two different dimensions are needed (then only the fine tables have the rows)."""
    needed = {CUT_DIMENSION[k] for k in (cut.kind, by) if k}
    if len(needed) > 1:
        return None
    return needed.pop() if needed else ""


def run(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# --- SQL builders (the benchmark runs these same statements) -------------------------------------

BY_COLUMNS = {
    "source": "r.source_id",
    "campaign": "r.campaign_id",
    "rep": "r.owner_id",
    "team": "COALESCE(u.team_id, 0)",
    "criteria": "r.criteria_id",
}


def _stage_daily(cut: Cut, by: str = "") -> tuple[str, list[Any]]:
    """The stage-entries table for the query (joined to owners for a team breakdown), with its grain
    condition."""
    grain = grain_for(cut, by)
    join = " LEFT JOIN people_user u ON u.id = r.owner_id" if by == "team" else ""
    if grain is None:
        return f"reporting_stagedaily r{join} WHERE", []
    return f"reporting_stagedailycut r{join} WHERE r.grain = %s AND", [grain]


def flow_sql(period: Period, cut: Cut) -> tuple[str, list[Any]]:
    where, params = cut_sql(cut)
    table, grain = _stage_daily(cut)
    return (
        f"SELECT r.stage, SUM(r.entries) FROM {table} r.day >= %s AND r.day < %s{where} GROUP BY r.stage",
        [*grain, period.start, period.end, *params],
    )


def flow_by_sql(by: str, period: Period, cut: Cut) -> tuple[str, list[Any]]:
    where, params = cut_sql(cut)
    table, grain = _stage_daily(cut, by)
    key = BY_COLUMNS[by]
    return (
        f"SELECT {key}, r.stage, SUM(r.entries) FROM {table} "
        f"r.day >= %s AND r.day < %s{where} GROUP BY {key}, r.stage",
        [*grain, period.start, period.end, *params],
    )


def daily_sql(period: Period, cut: Cut) -> tuple[str, list[Any]]:
    where, params = cut_sql(cut)
    table, grain = _stage_daily(cut)
    return (
        f"SELECT r.day, r.stage, SUM(r.entries) FROM {table} "
        f"r.day >= %s AND r.day < %s{where} GROUP BY r.day, r.stage",
        [*grain, period.start, period.end, *params],
    )


def _cohort_table(cut: Cut, by: str = "") -> tuple[str, str, list[Any]]:
    """The cohort table for the query, the count expression, and the grain condition."""
    grain = grain_for(cut, by)
    join = " LEFT JOIN people_user u ON u.id = r.owner_id" if by == "team" else ""
    if grain is None:
        return f"reporting_leadfact r{join} WHERE", "COUNT(*)", []
    return f"reporting_cohortdaily r{join} WHERE r.grain = %s AND", "SUM(r.leads)", [grain]


def cohort_sql(period: Period, cut: Cut) -> tuple[str, list[Any]]:
    where, params = cut_sql(cut)
    table, count, grain = _cohort_table(cut)
    return (
        f"SELECT r.current_stage, r.furthest_rank, {count} FROM {table} "
        f"r.created_day >= %s AND r.created_day < %s{where} GROUP BY r.current_stage, r.furthest_rank",
        [*grain, period.start, period.end, *params],
    )


def cohort_by_sql(by: str, period: Period, cut: Cut) -> tuple[str, list[Any]]:
    where, params = cut_sql(cut)
    table, count, grain = _cohort_table(cut, by)
    key = BY_COLUMNS[by]
    return (
        f"SELECT {key}, r.furthest_rank, {count} FROM {table} "
        f"r.created_day >= %s AND r.created_day < %s{where} GROUP BY {key}, r.furthest_rank",
        [*grain, period.start, period.end, *params],
    )


DAY_SECONDS = 86400


def velocity_buckets_sql(period: Period, cut: Cut) -> tuple[str, list[Any]]:
    """Stays ended in the period per stage and whole days of duration (the ``StayDaily`` histogram).

    Velocity has no breakdown, so one grain always serves its cut."""
    where, params = cut_sql(cut)
    return (
        "SELECT r.stage, r.days, SUM(r.stays) FROM reporting_staydaily r WHERE r.grain = %s "
        f"AND r.exited_day >= %s AND r.exited_day < %s{where} GROUP BY r.stage, r.days",
        [grain_for(cut), period.start, period.end, *params],
    )


@dataclass(frozen=True)
class RankPick:
    """The ``offset``-th (from 0) shortest stay of ``stage`` within the day bucket ``days``."""

    stage: str
    days: int
    offset: int


def velocity_pick_sql(period: Period, cut: Cut, picks: list[RankPick]) -> tuple[str, list[Any]]:
    """The exact seconds of each pick: the bucket's stays from ``StageSpan`` in order, one row each.

    Reads only the stays of one stage whose duration falls in one day bucket (index on stage, seconds)."""
    where, params = cut_sql(cut)
    parts, found = [], []
    for i, pick in enumerate(picks):
        parts.append(
            f"SELECT {i} AS pick, t.seconds FROM (SELECT r.seconds FROM reporting_stagespan r "
            "WHERE r.stage = %s AND r.seconds >= %s AND r.seconds < %s "
            f"AND r.exited_day >= %s AND r.exited_day < %s{where} "
            f"ORDER BY r.seconds LIMIT 1 OFFSET {int(pick.offset)}) t"
        )
        found += [
            pick.stage,
            pick.days * DAY_SECONDS,
            (pick.days + 1) * DAY_SECONDS,
            period.start,
            period.end,
            *params,
        ]
    return " UNION ALL ".join(parts), found


def nearest_ranks(n: int) -> tuple[int, int]:
    """The 1-based ranks of the nearest-rank median and 75th percentile of ``n`` sorted values:
    ceil(n / 2) and ceil(3n / 4)."""
    return (n + 1) // 2, (3 * n + 3) // 4


def velocity_picks(buckets: list[tuple[Any, ...]]) -> tuple[dict[str, int], list[RankPick], list[tuple]]:
    """From the histogram rows: stays per stage, the picks to read, and (stage, "median"|"p75", pick
    index) telling which pick answers which percentile."""
    per_stage: dict[str, dict[int, int]] = defaultdict(dict)
    for stage, days, n in buckets:
        if stage in FUNNEL and int(n):
            per_stage[stage][int(days)] = int(n)
    counts: dict[str, int] = {}
    picks: list[RankPick] = []
    answers: list[tuple] = []
    for stage in FUNNEL:
        if stage not in per_stage:
            continue
        hist = sorted(per_stage[stage].items())
        counts[stage] = total = sum(n for _, n in hist)
        for name, rank in zip(("median", "p75"), nearest_ranks(total), strict=True):
            before = 0
            for days, n in hist:
                if before + n >= rank:
                    answers.append((stage, name, len(picks)))
                    picks.append(RankPick(stage, days, rank - before - 1))
                    break
                before += n
    return counts, picks, answers


def sla_sql(period: Period, now: datetime) -> tuple[str, list[Any]]:
    since, until = period.moments()
    on_time = "(k.met_at IS NOT NULL AND k.met_at <= k.due_at)"
    breached = (
        f"(NOT {on_time} AND (k.breached_at IS NOT NULL OR k.met_at IS NOT NULL "
        "OR (k.stopped_at IS NULL AND k.due_at <= %s)))"
    )
    return (
        f"SELECT COALESCE(u.team_id, 0), SUM(CASE WHEN {on_time} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {breached} THEN 1 ELSE 0 END) FROM sla_slaclock k "
        "LEFT JOIN people_user u ON u.id = k.owner_id WHERE k.due_at >= %s AND k.due_at < %s "
        "GROUP BY COALESCE(u.team_id, 0)",
        [now, since, until],
    )


def acceptance_sql(period: Period) -> tuple[str, list[Any]]:
    """Decisions per team of the deciding user and type, from ``DecisionDaily`` (UTC days, so the same
    events as ``occurred_at`` within the period's moments)."""
    return (
        "SELECT COALESCE(u.team_id, 0), d.type, SUM(d.decisions) FROM reporting_decisiondaily d "
        "LEFT JOIN people_user u ON u.id = d.actor_id WHERE d.day >= %s AND d.day < %s "
        "GROUP BY COALESCE(u.team_id, 0), d.type",
        [period.start, period.end],
    )


# --- computations ---------------------------------------------------------------------------------


def ratio(numerator: float | Decimal | None, denominator: float | Decimal | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator)


def flow_counts(period: Period, cut: Cut = Cut()) -> dict[str, int]:
    """Times leads entered each funnel stage in the period (customer includes loyal/advocate moves? no:
    only the stage itself)."""
    counts = dict.fromkeys(FUNNEL, 0)
    for stage, n in run(*flow_sql(period, cut)):
        if stage in counts:
            counts[stage] = int(n)
    return counts


def flow_by(by: str, period: Period, cut: Cut = Cut()) -> dict[int, dict[str, int]]:
    """Flow counts per source / campaign / rep / team / criteria id (0: none)."""
    rows: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FUNNEL, 0))
    for key, stage, n in run(*flow_by_sql(by, period, cut)):
        if stage in FUNNEL:
            rows[int(key)][stage] = int(n)
    return dict(rows)


@dataclass
class Cohort:
    created: int = 0
    now: dict[str, int] = field(default_factory=dict)
    reached: dict[str, int] = field(default_factory=dict)


def _reached(by_rank: dict[int, int]) -> dict[str, int]:
    return {stage: sum(n for rank, n in by_rank.items() if rank >= FUNNEL_RANKS[stage]) for stage in FUNNEL}


def cohort(period: Period, cut: Cut = Cut()) -> Cohort:
    """Leads created in the period: how many, in which stage now, and how many reached each stage."""
    result = Cohort()
    by_rank: dict[int, int] = defaultdict(int)
    now: dict[str, int] = defaultdict(int)
    for stage, rank, n in run(*cohort_sql(period, cut)):
        result.created += int(n)
        now[stage] += int(n)
        by_rank[int(rank)] += int(n)
    result.now = dict(now)
    result.reached = _reached(by_rank)
    return result


def cohort_by(by: str, period: Period, cut: Cut = Cut()) -> dict[int, Cohort]:
    found: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for key, rank, n in run(*cohort_by_sql(by, period, cut)):
        found[int(key)][int(rank)] += int(n)
    return {key: Cohort(created=sum(ranks.values()), reached=_reached(ranks)) for key, ranks in found.items()}


def conversions(counts: dict[str, int]) -> dict[str, float | None]:
    """Stage-to-stage rates from counts per stage: ``{"mql_sal": 0.4, ...}``."""
    return {f"{a}_{b}": ratio(counts.get(b, 0), counts.get(a, 0)) for a, b in itertools.pairwise(FUNNEL)}


@dataclass(frozen=True)
class Velocity:
    stays: int
    median_seconds: int | None
    p75_seconds: int | None


def velocity(period: Period, cut: Cut = Cut()) -> dict[str, Velocity]:
    """Median and 75th percentile (nearest rank) of time in each stage, stays ended in the period.

    Two queries: the day-bucket histogram says which bucket holds each wanted rank and where in it;
    the second reads the exact seconds at that place of the bucket."""
    counts, picks, answers = velocity_picks(run(*velocity_buckets_sql(period, cut)))
    seconds: dict[int, int] = {}
    if picks:
        seconds = {int(i): int(s) for i, s in run(*velocity_pick_sql(period, cut, picks))}
    found: dict[str, dict[str, int | None]] = defaultdict(dict)
    for stage, name, index in answers:
        found[stage][name] = seconds.get(index)
    return {
        stage: Velocity(counts.get(stage, 0), found[stage].get("median"), found[stage].get("p75"))
        for stage in FUNNEL
    }


def marketing_cost(period: Period, cut: Cut = Cut()) -> Decimal | None:
    """Exact cost of the cut's campaigns in the period; None for cuts that carry no cost."""
    from accord.campaigns.models import Campaign
    from accord.campaigns.selectors import campaign_costs

    if not cut.has_costs:
        return None
    if cut.kind == "campaign":
        ids = [int(cut.value)]
    elif cut.kind == "channel":
        ids = list(Campaign.objects.filter(channel=cut.value).values_list("pk", flat=True))
    else:
        ids = list(Campaign.objects.values_list("pk", flat=True))
    # Own lines only: a lead's campaign is exactly one campaign, so cost must not double count parents.
    costs = campaign_costs(campaign_ids=ids, start=period.start, end=period.last_day, include_children=False)
    return sum(costs.values(), Decimal("0.00"))


def costs_per(cost: Decimal | None, leads: int, flows: dict[str, int]) -> dict[str, Decimal | None]:
    def per(n: int) -> Decimal | None:
        if cost is None or not n:
            return None
        return (cost / n).quantize(Decimal("0.01"))

    found = {"lead": per(leads)}
    found.update({stage: per(flows.get(stage, 0)) for stage in FUNNEL})
    return found


@dataclass(frozen=True)
class Compliance:
    on_time: int
    breached: int

    @property
    def rate(self) -> float | None:
        return ratio(self.on_time, self.on_time + self.breached)


def sla_compliance(period: Period, now: datetime | None = None) -> dict[int, Compliance]:
    """SLA compliance per team id (0: clocks of owners without a team); empty when no clock was due."""
    rows = run(*sla_sql(period, now or timezone.now()))
    return {int(team): Compliance(int(on or 0), int(br or 0)) for team, on, br in rows}


def compliance_total(by_team: dict[int, Compliance]) -> Compliance:
    return Compliance(sum(c.on_time for c in by_team.values()), sum(c.breached for c in by_team.values()))


def acceptance(period: Period) -> dict[int, tuple[int, int]]:
    """(accepted, rejected) per team id of the rep who decided."""
    found: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for team, kind, n in run(*acceptance_sql(period)):
        found[int(team)][0 if kind == "lead.accepted" else 1] += int(n)
    return {team: (a, r) for team, (a, r) in found.items()}


def monthly_flows(months: list[Period], cut: Cut = Cut()) -> list[dict[str, int]]:
    """Flow counts per stage for consecutive months, from one query over the daily rollup."""
    whole = Period(months[0].start, months[-1].end)
    per_month = [dict.fromkeys(FUNNEL, 0) for _ in months]
    for day, stage, n in run(*daily_sql(whole, cut)):
        if stage not in FUNNEL:
            continue
        d = _as_date(day)
        for i, month in enumerate(months):
            if month.start <= d < month.end:
                per_month[i][stage] += int(n)
                break
    return per_month


# --- comparisons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delta:
    """A figure against the previous period and the same period last year."""

    value: float | Decimal | None
    previous: float | Decimal | None
    last_year: float | Decimal | None

    @staticmethod
    def _diff(a: Any, b: Any) -> tuple[Any, float | None]:
        if a is None or b is None:
            return None, None
        diff = a - b
        return diff, (float(diff) / float(b) if b else None)

    @property
    def vs_previous(self) -> Any:
        return self._diff(self.value, self.previous)[0]

    @property
    def vs_previous_pct(self) -> float | None:
        return self._diff(self.value, self.previous)[1]

    @property
    def vs_last_year(self) -> Any:
        return self._diff(self.value, self.last_year)[0]

    @property
    def vs_last_year_pct(self) -> float | None:
        return self._diff(self.value, self.last_year)[1]


@dataclass
class Headline:
    """The core figures of one period and cut (flows, cohort, costs, conversions)."""

    period: Period
    flows: dict[str, int]
    cohort: Cohort
    cost: Decimal | None
    cost_per: dict[str, Decimal | None]
    flow_conversion: dict[str, float | None]
    cohort_conversion: dict[str, float | None]

    def figures(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "leads": self.cohort.created,
            "cost": self.cost,
            "cost_per_lead": self.cost_per["lead"],
        }
        for stage in FUNNEL:
            found[f"flow_{stage}"] = self.flows[stage]
            found[f"cohort_{stage}"] = self.cohort.reached.get(stage, 0)
            found[f"cost_per_{stage}"] = self.cost_per[stage]
        for key, value in self.flow_conversion.items():
            found[f"conv_{key}"] = value
        for key, value in self.cohort_conversion.items():
            found[f"cohort_conv_{key}"] = value
        return found


def headline(period: Period, cut: Cut = Cut()) -> Headline:
    flows = flow_counts(period, cut)
    group = cohort(period, cut)
    cost = marketing_cost(period, cut)
    return Headline(
        period=period,
        flows=flows,
        cohort=group,
        cost=cost,
        cost_per=costs_per(cost, group.created, flows),
        flow_conversion=conversions(flows),
        cohort_conversion=conversions(group.reached),
    )


def compared(period: Period, cut: Cut = Cut(), *, head: Headline | None = None) -> dict[str, Delta]:
    """Every headline figure with its previous-period and last-year values (``head``: the period's
    headline when the caller has it already, to save its queries)."""
    if head is None:
        head = headline(period, cut)
    now = head.figures()
    prev, last = (headline(p, cut).figures() for p in (period.previous(), period.last_year()))
    return {key: Delta(now[key], prev[key], last[key]) for key in now}
