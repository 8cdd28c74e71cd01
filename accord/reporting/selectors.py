"""Reads for the dashboards: who may see which, the period picker, and each dashboard's tables.

Every number comes from ``metrics``; this module only picks the figures, names the rows and lays
them out as ``Table``s, which the pages render, the CSV export writes and the API returns, so the
three always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from accord.campaigns import attribution
from accord.core.calendar import FiscalCalendar, fiscal_calendar
from accord.core.csv_safe import csv_escape, csv_lines
from accord.people import access
from accord.people.models import Role, User
from accord.reporting import metrics
from accord.reporting.metrics import FUNNEL, STAGE_LABELS, Cut, Delta, Period
from accord.reporting.rollups import rollups_lag

DASHBOARD_ROLES = access.DASHBOARD_ROLES
TITLES = {"marketing": "Marketing dashboard", "sales": "Sales leadership", "executive": "Executive dashboard"}


def dashboard_allowed(user: User, kind: str) -> bool:
    return bool(user.is_authenticated and user.has_role(*DASHBOARD_ROLES[kind]))


def dashboards_for(user: User) -> list[str]:
    return [kind for kind in DASHBOARD_ROLES if dashboard_allowed(user, kind)]


@dataclass(frozen=True)
class Freshness:
    """How current the dashboards' figures are. Pages never refresh the rollups themselves (the
    worker does, every minute): they say when the figures were last brought up to date."""

    as_of: datetime | None  # the rollups' last refresh or rebuild; None before the first one
    pending_events: int  # events logged since then, not in the figures yet

    @property
    def note(self) -> str:
        if self.as_of is None:
            return "Figures not computed yet: the worker builds them within a minute or two."
        note = f"Figures as of {self.as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        if self.pending_events:
            note += f"; {self.pending_events} newer events are being added"
        return note + "."


def rollups_freshness() -> Freshness:
    """The rollups' last refresh and how many events came after it (two indexed reads)."""
    lag, state = rollups_lag()
    return Freshness(as_of=state.refreshed_at if state else None, pending_events=lag)


# --- periods ------------------------------------------------------------------------------------


def quarter_period(day: date, calendar: FiscalCalendar) -> Period:
    first, last = calendar.quarter_bounds(day)
    return Period(first, last + timedelta(days=1), calendar.label(day))


def quarter_choices(today: date, calendar: FiscalCalendar, count: int = 8) -> list[Period]:
    """The current fiscal quarter and the ``count - 1`` before it, newest first."""
    found = [quarter_period(today, calendar)]
    while len(found) < count:
        found.append(quarter_period(found[-1].start - timedelta(days=1), calendar))
    return found


def period_from(params: Any, today: date | None = None) -> Period:
    """``?start=&end=`` (end exclusive), else ``?quarter=<any day of it>``, else this fiscal quarter."""
    today = today or timezone.now().date()
    calendar = fiscal_calendar()
    start, end = params.get("start"), params.get("end")
    if start and end:
        period = Period(date.fromisoformat(start), date.fromisoformat(end))
        return Period(period.start, period.end, f"{period.start} – {period.last_day}")
    if params.get("quarter"):
        return quarter_period(date.fromisoformat(params["quarter"]), calendar)
    return quarter_period(today, calendar)


def cut_from(params: Any) -> Cut:
    kind = params.get("cut", "") or ""
    return Cut(kind, params.get("cut_value", "") or "") if kind else Cut()


def months_before(end: date, count: int = 12) -> list[Period]:
    """``count`` calendar months ending with the month containing ``end - 1 day``."""
    last = end - timedelta(days=1)
    year, month = last.year, last.month
    found: list[Period] = []
    for _ in range(count):
        first = date(year, month, 1)
        nxt = date(year + (month == 12), month % 12 + 1, 1)
        found.append(Period(first, nxt, first.strftime("%b %Y")))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(found))


# --- tables -------------------------------------------------------------------------------------


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""
    help: dict[str, str] = field(default_factory=dict)  # column -> metric definition

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "note": self.note,
            "columns": self.columns,
            "rows": [[_plain(v) for v in row] for row in self.rows],
        }


@dataclass
class Dashboard:
    kind: str
    title: str
    period: Period
    cut: Cut
    tables: list[Table]
    charts: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    freshness: Freshness | None = None

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dashboard": self.kind,
            "title": self.title,
            "period": {"start": self.period.start, "end": self.period.end, "label": self.period.label},
            "cut": {"kind": self.cut.kind, "value": self.cut.value},
            "tables": [t.as_dict() for t in self.tables],
            "as_of": self.freshness.as_of if self.freshness else None,
            "pending_events": self.freshness.pending_events if self.freshness else 0,
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        return round(value, 6)
    return value


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _cell(unit: str, value: Any) -> Any:
    return _rate(value) if unit == "percent" else value


def _compare_table(key: str, title: str, deltas: dict[str, Delta], keys: list[str]) -> Table:
    rows = []
    for k in keys:
        m, d = metrics.METRICS[k], deltas[k]

        def pct(v):
            return None if v is None else round(v * 100, 1)

        rows.append(
            [
                m.label + (" (%)" if m.unit == "percent" else ""),
                _cell(m.unit, d.value),
                _cell(m.unit, d.previous),
                _cell(m.unit, d.vs_previous),
                pct(d.vs_previous_pct),
                _cell(m.unit, d.last_year),
                _cell(m.unit, d.vs_last_year),
                pct(d.vs_last_year_pct),
            ]
        )
    return Table(
        key,
        title,
        ["Metric", "This period", "Previous period", "Change", "Change %", "Last year", "Change", "Change %"],
        rows,
        help={metrics.METRICS[k].label: metrics.METRICS[k].definition for k in keys},
    )


def _names(by: str, ids: list[int]) -> dict[int, str]:
    from accord.campaigns.models import Campaign
    from accord.leads.models import Source
    from accord.people.models import Team
    from accord.qualification.models import CriteriaSet

    model = {"source": Source, "campaign": Campaign, "team": Team, "rep": User, "criteria": CriteriaSet}[by]
    found = {
        pk: str(obj) for pk, obj in ((o.pk, o) for o in model.objects.filter(pk__in=[i for i in ids if i]))
    }
    found[0] = {
        "source": "(no source)",
        "campaign": "(no campaign)",
        "team": "(no team)",
        "rep": "(unassigned)",
        "criteria": "(not scored)",
    }[by]
    return found


def _breakdown_table(by: str, title: str, period: Period, cut: Cut, with_cost: bool = False) -> Table:
    """Flow counts and conversions per source / campaign / team / rep."""
    flows = metrics.flow_by(by, period, cut)
    names = _names(by, list(flows))
    costs: dict[int, Decimal] = {}
    if with_cost and flows:
        from accord.campaigns.selectors import campaign_costs

        costs = campaign_costs(
            campaign_ids=[k for k in flows if k],
            start=period.start,
            end=period.last_day,
            include_children=False,
        )
    columns = [by.capitalize(), *[STAGE_LABELS[s] for s in FUNNEL], "MQL→SAL %", "SAL→SQL %", "SQL→Won %"]
    if with_cost:
        columns += ["Cost", "Cost per MQL", "Cost per SQL"]
    rows = []
    for key, counts in sorted(flows.items(), key=lambda kv: (-kv[1]["mql"], -kv[1]["inquiry"], names[kv[0]])):
        conv = metrics.conversions(counts)
        row: list[Any] = [
            names[key],
            *[counts[s] for s in FUNNEL],
            _rate(conv["mql_sal"]),
            _rate(conv["sal_sql"]),
            _rate(metrics.ratio(counts["customer"], counts["sql"])),
        ]
        if with_cost:
            cost = costs.get(key) if key else None
            per = metrics.costs_per(cost, 0, counts)
            row += [cost, per["mql"], per["sql"]]
        rows.append(row)
    return Table(f"by_{by}", title, columns, rows, note="Flow view: stage entries in the period.")


def _funnel_table(h: metrics.Headline) -> Table:
    rows = [[STAGE_LABELS[s], h.flows[s], h.cohort.reached.get(s, 0), h.cohort.now.get(s, 0)] for s in FUNNEL]
    return Table(
        "funnel",
        "Funnel",
        ["Stage", "Entered in period (flow)", "Cohort reached", "Cohort there now"],
        rows,
        note=f"Cohort: the {h.cohort.created} leads created in the period.",
        help={
            "Entered in period (flow)": metrics.definition("flow_mql"),
            "Cohort reached": metrics.definition("cohort_mql"),
        },
    )


def _velocity_table(period: Period, cut: Cut) -> Table:
    found = metrics.velocity(period, cut)

    def hours(s):
        return None if s is None else round(s / 3600, 1)

    rows = [
        [STAGE_LABELS[s], found[s].stays, hours(found[s].median_seconds), hours(found[s].p75_seconds)]
        for s in FUNNEL[:-1]
    ]
    return Table(
        "velocity",
        "Velocity: time in stage",
        ["Stage", "Stays ended", "Median (hours)", "P75 (hours)"],
        rows,
        help={"Median (hours)": metrics.definition("velocity_mql")},
    )


def _sla_table(by_team: dict[int, metrics.Compliance]) -> Table | None:
    if not by_team:
        return None
    names = _names("team", list(by_team))
    rows = [
        [names[t], c.on_time, c.breached, _rate(c.rate)]
        for t, c in sorted(by_team.items(), key=lambda kv: names[kv[0]])
    ]
    total = metrics.compliance_total(by_team)
    rows.append(["All teams", total.on_time, total.breached, _rate(total.rate)])
    return Table(
        "sla",
        "SLA compliance",
        ["Team", "On time", "Breached", "Compliance %"],
        rows,
        help={"Compliance %": metrics.definition("sla_compliance")},
    )


def _funnel_chart(flows: dict[str, int]) -> list[tuple[str, float]]:
    return [(STAGE_LABELS[s], flows[s]) for s in FUNNEL]


# --- the dashboards -----------------------------------------------------------------------------


def marketing_dashboard(*, period: Period, cut: Cut = Cut()) -> Dashboard:
    """Activity measures first: leads, MQLs and what they cost, then conversion by source and campaign."""
    head = metrics.headline(period, cut)
    deltas = metrics.compared(period, cut, head=head)
    tables = [
        _compare_table(
            "activity",
            "Activity",
            deltas,
            [
                "leads",
                "flow_mql",
                "cost",
                "cost_per_lead",
                "cost_per_mql",
                "cost_per_sql",
                "conv_mql_sal",
                "cohort_conv_mql_sal",
            ],
        ),
        _breakdown_table("source", "Conversion by source", period, cut),
        _breakdown_table("campaign", "Conversion and cost by campaign", period, cut, with_cost=True),
    ]
    return Dashboard(
        "marketing", TITLES["marketing"], period, cut, tables, charts={"funnel": _funnel_chart(head.flows)}
    )


def sales_dashboard(*, period: Period, cut: Cut = Cut()) -> Dashboard:
    """Funnel by team and rep, acceptance, SLA compliance when clocks exist, and velocity."""
    head = metrics.headline(period, cut)
    accepted = metrics.acceptance(period)
    team_names = _names("team", list(accepted))
    acceptance_rows = [
        [team_names[t], a, r, _rate(metrics.ratio(a, a + r))]
        for t, (a, r) in sorted(accepted.items(), key=lambda kv: team_names[kv[0]])
    ]
    tables = [
        _funnel_table(head),
        _breakdown_table("team", "Funnel by team", period, cut),
        _breakdown_table("rep", "Funnel by rep", period, cut),
        Table(
            "acceptance",
            "Acceptance by team",
            ["Team", "Accepted", "Rejected", "Acceptance %"],
            acceptance_rows,
            help={"Acceptance %": metrics.definition("acceptance_rate")},
        ),
        _velocity_table(period, cut),
    ]
    sla = _sla_table(metrics.sla_compliance(period))
    if sla is not None:
        tables.insert(4, sla)
    return Dashboard(
        "sales", TITLES["sales"], period, cut, tables, charts={"funnel": _funnel_chart(head.flows)}
    )


def executive_dashboard(
    *, period: Period, cut: Cut = Cut(), model: str = attribution.FIRST_TOUCH
) -> Dashboard:
    """One page for senior management: funnel, 12-month trends, cost per qualified lead, SLA, revenue."""
    from accord.campaigns.touchpoint_selectors import attributed_revenue

    head = metrics.headline(period, cut)
    deltas = metrics.compared(period, cut, head=head)
    months = months_before(period.end)
    monthly = metrics.monthly_flows(months, cut)
    trend_rows = [
        [m.label, *[f[s] for s in ("inquiry", "mql", "sql", "customer")]]
        for m, f in zip(months, monthly, strict=True)
    ]
    tables = [
        _compare_table(
            "headline",
            "Headline",
            deltas,
            [
                "leads",
                "flow_mql",
                "flow_sql",
                "flow_customer",
                "cost",
                "cost_per_mql",
                "cost_per_sql",
                "conv_mql_sal",
            ],
        ),
        _funnel_table(head),
        Table(
            "trends",
            "12-month trends",
            ["Month", "Inquiries", "MQLs", "SQLs", "Won"],
            trend_rows,
            note="Flow view: stage entries per calendar month.",
        ),
    ]
    by_team = metrics.sla_compliance(period)
    sla = _sla_table(by_team)
    if sla is not None:
        tables.append(sla)
    revenue = attributed_revenue(model=model, start=period.start, end=period.last_day, group_by="campaign")
    tables.append(
        Table(
            "revenue",
            f"Revenue by campaign — {revenue.label}",
            ["Campaign", "Currency", "Revenue", "Deals", "Sourced revenue", "Influenced revenue"],
            [
                [r.label, r.currency, r.revenue, r.deals, r.sourced_revenue, r.influenced_revenue]
                for r in revenue.rows
            ],
            note=f"Model: {revenue.label}. {revenue.caveat} {revenue.influenced_caveat}",
        )
    )
    sla_total = metrics.compliance_total(by_team) if sla else None
    series = {
        "MQLs": [f["mql"] for f in monthly],
        "SQLs": [f["sql"] for f in monthly],
        "Won": [f["customer"] for f in monthly],
    }
    return Dashboard(
        "executive",
        TITLES["executive"],
        period,
        cut,
        tables,
        charts={
            "funnel": _funnel_chart(head.flows),
            "trend_labels": [m.start.strftime("%b") for m in months],
            "trends": series,
        },
        extra={
            "model": model,
            "models": [(k, attribution.LABELS[k]) for k in attribution.MODELS],
            "revenue": revenue,
            "cost_per_sql": head.cost_per["sql"],
            "sla": sla_total,
            "sla_percent": _rate(sla_total.rate) if sla_total else None,
        },
    )


BUILDERS = {"marketing": marketing_dashboard, "sales": sales_dashboard, "executive": executive_dashboard}


def dashboard_build(kind: str, *, period: Period, cut: Cut = Cut(), model: str = "") -> Dashboard:
    """One dashboard as the page, the CSV and the API show it, with how current its figures are."""
    if kind == "executive":
        dashboard = executive_dashboard(period=period, cut=cut, model=model or attribution.FIRST_TOUCH)
    else:
        dashboard = BUILDERS[kind](period=period, cut=cut)
    dashboard.freshness = rollups_freshness()
    return dashboard


# --- CSV ----------------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not execute: text starting with = + - @ tab or CR gets a leading quote.
    Numbers are written as numbers (a negative change is a number, not a formula)."""
    return csv_escape(value)


def dashboard_csv(dashboard: Dashboard) -> str:
    """Every table of the dashboard, one after another, each under its title."""
    return "".join(csv_lines(None, dashboard_csv_rows(dashboard)))


def dashboard_csv_rows(dashboard: Dashboard) -> list[list[Any]]:
    """The dashboard's CSV rows, raw (the CSV writer in core.csv_safe escapes every cell)."""
    rows: list[list[Any]] = [
        [dashboard.title, dashboard.period.label, str(dashboard.period.start), str(dashboard.period.last_day)]
    ]
    if dashboard.freshness is not None:
        rows.append([dashboard.freshness.note])
    for table in dashboard.tables:
        rows.append([])
        rows.append([table.title])
        rows.append(list(table.columns))
        rows.extend(list(row) for row in table.rows)
    return rows


# --- conversion education (C7) ------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    label: str
    hits: int
    n: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.hits / self.n, 1) if self.n else None


@dataclass
class TeamConversionFacts:
    team_name: str
    since: date
    until: date
    steps: list[Fact]
    fast: Fact
    slow: Fact
    fast_hours: float = 1.0

    @property
    def speed_effect(self) -> float | None:
        """How many times likelier a fast-touched lead became an opportunity (None without data)."""
        if not self.fast.n or not self.slow.n or not self.slow.hits:
            return None
        return round((self.fast.hits / self.fast.n) / (self.slow.hits / self.slow.n), 1)


STEP_PAIRS = (("mql", "sal"), ("sal", "sql"), ("sql", "opportunity"), ("opportunity", "customer"))


def team_conversion_facts(
    team: Any, as_of: date | None = None, *, days: int = 365, fast_hours: float = 1.0
) -> TeamConversionFacts:
    """The team's real conversion rates over the year before ``as_of``, from the event log.

    A step A→B counts the team's leads (by current owner) that entered A in the window, and how many
    of them later entered B or any later stage. The speed effect compares leads touched within
    ``fast_hours`` (wall clock) of their first assignment with the rest: how many became opportunities.
    Three queries, all aggregated in SQL.
    """
    from django.db import connection

    from accord.reporting.rollups import DIALECTS, FUNNEL_RANKS, RANK_CASE

    until = as_of or timezone.now().date()
    period = Period(until - timedelta(days=days), until)
    since_at, until_at = period.moments()
    seconds = DIALECTS[connection.vendor].seconds.format(a="a.at", b="t.at")
    team_leads = "SELECT l.id FROM leads_lead l JOIN people_user u ON u.id = l.owner_id WHERE u.team_id = %s"
    firsts = (
        f"SELECT e.subject_id AS lead, {RANK_CASE} AS r, MIN(e.occurred_at) AS at FROM core_event e "
        f"WHERE e.subject_type = 'lead' AND e.stage <> '' AND e.occurred_at < %s AND e.subject_id IN ({team_leads}) "
        f"GROUP BY e.subject_id, {RANK_CASE}"
    )
    steps_sql = (
        f"WITH firsts AS ({firsts}) SELECT f.r, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM firsts g "
        "WHERE g.lead = f.lead AND g.r > f.r AND g.at >= f.at) THEN 1 ELSE 0 END) FROM firsts f "
        "WHERE f.at >= %s GROUP BY f.r"
    )
    per_rank = {
        int(r): (int(n), int(h or 0)) for r, n, h in metrics.run(steps_sql, [until_at, team.pk, since_at])
    }
    steps = []
    for a, b in STEP_PAIRS:
        n, hits = per_rank.get(FUNNEL_RANKS[a], (0, 0))
        steps.append(
            Fact(
                f"{a.upper() if len(a) <= 3 else a.capitalize()} → "
                f"{b.upper() if len(b) <= 3 else ('won' if b == 'customer' else b)}",
                hits,
                n,
            )
        )
    speed_sql = (
        "WITH a AS (SELECT e.subject_id AS lead, MIN(e.occurred_at) AS at FROM core_event e "
        "WHERE e.subject_type = 'lead' AND e.type = 'lead.assigned' AND e.occurred_at >= %s AND e.occurred_at < %s "
        f"AND e.subject_id IN ({team_leads}) GROUP BY e.subject_id), "
        "t AS (SELECT a.lead, MIN(x.occurred_at) AS at FROM a JOIN core_event x ON x.subject_type = 'lead' "
        "AND x.subject_id = a.lead AND x.type = 'lead.touched' AND x.occurred_at >= a.at GROUP BY a.lead), "
        "o AS (SELECT a.lead FROM a JOIN core_event y ON y.subject_type = 'lead' AND y.subject_id = a.lead "
        "AND y.stage IN ('opportunity', 'customer', 'loyal', 'advocate') AND y.occurred_at >= a.at GROUP BY a.lead) "
        f"SELECT CASE WHEN t.at IS NOT NULL AND {seconds} <= %s THEN 1 ELSE 0 END AS fast, COUNT(*), "
        "SUM(CASE WHEN o.lead IS NOT NULL THEN 1 ELSE 0 END) FROM a LEFT JOIN t ON t.lead = a.lead "
        f"LEFT JOIN o ON o.lead = a.lead GROUP BY CASE WHEN t.at IS NOT NULL AND {seconds} <= %s THEN 1 ELSE 0 END"
    )
    limit = int(fast_hours * 3600)
    speed = {
        int(f): (int(n), int(h or 0))
        for f, n, h in metrics.run(speed_sql, [since_at, until_at, team.pk, limit, limit])
    }
    fn, fh = speed.get(1, (0, 0))
    sn, sh = speed.get(0, (0, 0))
    return TeamConversionFacts(
        team_name=str(team),
        since=period.start,
        until=until,
        steps=steps,
        fast=Fact(f"Touched within {fast_hours:g} h", fh, fn),
        slow=Fact("Touched later or never", sh, sn),
        fast_hours=fast_hours,
    )


def executive_recipients() -> list[str]:
    return list(
        User.objects.filter(is_active=True, roles__role=Role.EXECUTIVE)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def site_url() -> str:
    return getattr(settings, "SITE_URL", "")


def campaign_variants(campaign_a: int, campaign_b: int, *, stage: str = "sql") -> tuple[Any, Any]:
    """Two campaigns as A/B variants: trials are distinct leads touched by each campaign, conversions
    those of them that reached ``stage`` or beyond (one aggregated query)."""
    from accord.campaigns.models import Campaign
    from accord.core.abtest import Variant
    from accord.reporting.rollups import FUNNEL_RANKS

    if stage not in FUNNEL_RANKS:
        raise ValueError(f"unknown stage {stage!r}")
    names = dict(Campaign.objects.filter(pk__in=[campaign_a, campaign_b]).values_list("pk", "name"))
    if len(names) < 2:
        raise ValueError("both campaigns must exist and differ")
    rows = metrics.run(
        "SELECT t.campaign_id, COUNT(*), SUM(CASE WHEN f.furthest_rank >= %s THEN 1 ELSE 0 END) FROM "
        "(SELECT DISTINCT campaign_id, lead_id FROM campaigns_touchpoint WHERE campaign_id IN (%s, %s)) t "
        "LEFT JOIN reporting_leadfact f ON f.lead_id = t.lead_id GROUP BY t.campaign_id",
        [FUNNEL_RANKS[stage], campaign_a, campaign_b],
    )
    found = {int(c): (int(n), int(h or 0)) for c, n, h in rows}
    a_n, a_h = found.get(campaign_a, (0, 0))
    b_n, b_h = found.get(campaign_b, (0, 0))
    return Variant(names[campaign_a], a_h, a_n), Variant(names[campaign_b], b_h, b_n)
