"""Keeping the rollup tables (``reporting.models``) in step with the event log.

The log is append-only, so the rollups advance by a watermark on ``Event.id``. ``rollups_rebuild``
recomputes every table from the whole log; ``rollups_refresh`` takes in the events above the
watermark at a cost that follows those events, not the size of the log:

- it collects, in scratch tables, the leads with new events, their stage events, and their facts
  before (``LeadFact`` as it was) and after (their current dimensions and stage);
- a lead whose cut dimensions did not change contributes only its new stage events; a lead that
  changed owner or campaign (or is new to the rollups) moves wholly: all its stage events under the
  new dimensions, less its earlier ones under the old;
- those contributions are summed per key *before* anything is written, so each ``StageDaily`` and
  grain row gets one upsert with its net change, and ``LeadFact`` and ``StageSpan`` rows are written
  only where they differ (stays as a multiset difference of the lead's stays before and after).

So the tables always equal a from-scratch computation over the same events
(``tests/test_rollups.py`` proves it for every table, and that a refresh writes only rows that
change). When nothing was built yet or the pending batch is more than ``REBUILD_SHARE`` of the log,
a refresh rebuilds instead, so it never costs more than a rebuild.

The grain tables (``StageDailyCut``, ``CohortDaily``, ``StayDaily``: the fine tables summed to no
dimension or one) take the same net changes; a rebuild sums them from the fine tables.
``DecisionDaily`` counts accept/reject events, which depend on nothing but the event, so a refresh
only adds the new events' counts.

Everything is set-based SQL (``INSERT ... SELECT ... GROUP BY``, upserts): no Python loop per lead
or per event, and a fixed number of statements per refresh. Two dialect pieces differ between
SQLite and PostgreSQL: the UTC day of a timestamp and the seconds between two timestamps.

Known limits: a change to a lead that leaves no event (an admin edit of its source) or a rep moving
team is picked up by the next full ``rollups_rebuild`` (declared nightly); teams are joined at read
time from the owner, so a team move is visible at once. On PostgreSQL an event whose transaction
commits after a refresh that already moved the watermark past its id is counted by the nightly
rebuild, not by the next refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accord.reporting.models import CUT_COLUMNS, GRAINS, RollupState

# Funnel ranks: a lead "reached" a stage when it ever entered that stage or a later one.
FUNNEL_RANKS: dict[str, int] = {
    "inquiry": 1,
    "mql": 2,
    "sal": 3,
    "sql": 4,
    "opportunity": 5,
    "customer": 6,
    "loyal": 6,
    "advocate": 6,
}
RANK_CASE = (
    "CASE e.stage "
    + " ".join(f"WHEN '{stage}' THEN {rank}" for stage, rank in FUNNEL_RANKS.items())
    + " ELSE 0 END"
)
DIMS = tuple(CUT_COLUMNS)


@dataclass(frozen=True)
class Dialect:
    day: str  # a SQL template with {col}
    seconds: str  # with {a} and {b}
    # The events with since < id <= upto (two parameters), aliased n. Each database must read them by
    # the id range whatever its statistics say: SQLite without ANALYZE otherwise scans the whole
    # (subject_type, subject_id, occurred_at) index for subject_type = 'lead' (0.7 s per statement at
    # 10M events), and PostgreSQL with stale statistics did the same; OFFSET 0 keeps it from merging
    # the subquery's condition with the outer ones.
    events_window: str
    # Row lookups per affected lead (see ``_per_lead``): SQLite keeps the order of a CROSS JOIN;
    # PostgreSQL is held to a nested loop by a LATERAL subquery it may not pull up.
    lateral: bool


WINDOW_COLUMNS = "id, type, subject_type, subject_id, actor_id, occurred_at"
DIALECTS = {
    "sqlite": Dialect(
        day="date({col})",
        seconds="CAST(ROUND((julianday({b}) - julianday({a})) * 86400) AS INTEGER)",
        events_window=f"(SELECT {WINDOW_COLUMNS} FROM core_event NOT INDEXED WHERE id > %s AND id <= %s) n",
        lateral=False,
    ),
    "postgresql": Dialect(
        day="(({col}) AT TIME ZONE 'UTC')::date",
        seconds="CAST(ROUND(EXTRACT(EPOCH FROM ({b} - {a}))) AS BIGINT)",
        events_window=f"(SELECT {WINDOW_COLUMNS} FROM core_event WHERE id > %s AND id <= %s OFFSET 0) n",
        lateral=True,
    ),
}


def _dialect() -> Dialect:
    try:
        return DIALECTS[connection.vendor]
    except KeyError:
        raise NotImplementedError(f"rollups support SQLite and PostgreSQL, not {connection.vendor}") from None


def _day(col: str) -> str:
    return _dialect().day.format(col=col)


# The campaign of a lead: the one whose utm_campaign is the lead's (stored lower-cased on campaigns).
LEAD_DIMS_FROM = (
    "leads_lead l LEFT JOIN campaigns_campaign c "
    "ON l.utm_campaign <> '' AND c.utm_campaign = LOWER(l.utm_campaign)"
)


# The rebuild's statements: each reads the whole log (or the fine table it sums) once.
STAGE_EVENTS = "core_event e WHERE e.subject_type = 'lead' AND e.stage <> '' AND e.id <= %s"


def _insert_facts(upto: int) -> None:
    sql = (
        "INSERT INTO reporting_leadfact (lead_id, created_day, source_id, campaign_id, owner_id, criteria_id, "
        "current_stage, furthest_rank) "
        f"SELECT l.id, {_day('l.created_at')}, COALESCE(l.source_id, 0), COALESCE(c.id, 0), "
        "COALESCE(l.owner_id, 0), COALESCE(l.criteria_version_id, 0), l.stage, COALESCE(r.furthest, 0) "
        f"FROM {LEAD_DIMS_FROM} LEFT JOIN ("
        f"  SELECT e.subject_id AS lead_id, MAX({RANK_CASE}) AS furthest FROM {STAGE_EVENTS} "
        "  GROUP BY e.subject_id) r ON r.lead_id = l.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [upto])


def _insert_daily(upto: int) -> None:
    sql = (
        "INSERT INTO reporting_stagedaily (day, stage, source_id, campaign_id, owner_id, criteria_id, entries) "
        f"SELECT {_day('e.occurred_at')}, e.stage, f.source_id, f.campaign_id, f.owner_id, f.criteria_id, "
        "COUNT(*) FROM core_event e JOIN reporting_leadfact f ON f.lead_id = e.subject_id "
        "WHERE e.subject_type = 'lead' AND e.stage <> '' AND e.id <= %s "
        f"GROUP BY {_day('e.occurred_at')}, e.stage, f.source_id, f.campaign_id, f.owner_id, f.criteria_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [upto])


def _insert_spans(upto: int) -> None:
    seconds = _dialect().seconds.format(a="s.occurred_at", b="s.next_at")
    sql = (
        "INSERT INTO reporting_stagespan (lead_id, stage, entered_at, exited_day, seconds, source_id, "
        "campaign_id, owner_id, criteria_id) "
        f"SELECT s.subject_id, s.stage, s.occurred_at, {_day('s.next_at')}, {seconds}, "
        "f.source_id, f.campaign_id, f.owner_id, f.criteria_id FROM ("
        "  SELECT e.subject_id, e.stage, e.occurred_at, "
        "  LEAD(e.occurred_at) OVER (PARTITION BY e.subject_id ORDER BY e.occurred_at, e.id) AS next_at "
        f"  FROM {STAGE_EVENTS}) s "
        "JOIN reporting_leadfact f ON f.lead_id = s.subject_id WHERE s.next_at IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [upto])


# What each grain table sums: (table, key columns, measure column).
GRAIN_TABLES = {
    "stagedaily": ("reporting_stagedailycut", ("day", "stage"), "entries"),
    "cohort": ("reporting_cohortdaily", ("created_day", "current_stage", "furthest_rank"), "leads"),
    "stays": ("reporting_staydaily", ("exited_day", "stage", "days"), "stays"),
}
DECISION_TYPES = ("lead.accepted", "lead.rejected")


def _grains_sql(kind: str, rows_sql: str, sign: int = 1, *, empty: bool = False) -> str:
    """The statement adding (sign 1) or taking away (sign -1) the rows of ``rows_sql`` to every grain
    of one grain table.

    ``rows_sql`` selects the table's key columns, the four dimension columns and ``n`` (a count).
    ``empty``: the table was just emptied, so plain inserts do (an upsert costs ~25% more at 2M rows)."""
    table, keys, measure = GRAIN_TABLES[kind]
    key_list = ", ".join(f"s.{k}" for k in keys)
    parts = []
    for grain in GRAINS:
        dims = ", ".join(f"s.{d}" if d == f"{grain}_id" else "0" for d in DIMS)
        group = key_list + (f", s.{grain}_id" if grain else "")
        parts.append(
            f"SELECT '{grain}' AS grain, {key_list}, {dims}, {sign} * SUM(s.n) AS n FROM s GROUP BY {group}"
        )
    columns = f"grain, {', '.join(keys)}, {', '.join(DIMS)}"
    sql = (
        # INSERT first (the CTE belongs to its SELECT): Python's sqlite3 reports rowcount only for
        # statements that start with INSERT, UPDATE or DELETE.
        f"INSERT INTO {table} ({columns}, {measure}) WITH s AS ({rows_sql}) "
        f"SELECT * FROM ({' UNION ALL '.join(parts)}) g WHERE g.n <> 0"
    )
    if not empty:
        sql += f" ON CONFLICT ({columns}) DO UPDATE SET {measure} = {table}.{measure} + excluded.{measure}"
    return sql


def _decisions_sql() -> str:
    """Counts the accept/reject events with ``since < id <= upto`` (the two parameters) into
    ``DecisionDaily``."""
    types = ", ".join(f"'{t}'" for t in DECISION_TYPES)
    return (
        "INSERT INTO reporting_decisiondaily (day, actor_id, type, decisions) "
        f"SELECT {_day('n.occurred_at')}, COALESCE(n.actor_id, 0), n.type, COUNT(*) FROM {_dialect().events_window} "
        f"WHERE n.type IN ({types}) "
        f"GROUP BY {_day('n.occurred_at')}, COALESCE(n.actor_id, 0), n.type "
        "ON CONFLICT (day, actor_id, type) DO UPDATE SET decisions = reporting_decisiondaily.decisions "
        "+ excluded.decisions"
    )


ROLLUP_TABLES = (
    "reporting_stagedaily",
    "reporting_stagespan",
    "reporting_leadfact",
    "reporting_stagedailycut",
    "reporting_cohortdaily",
    "reporting_staydaily",
    "reporting_decisiondaily",
)


def _state() -> RollupState:
    state = RollupState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        RollupState.objects.get_or_create(pk=1)
        state = RollupState.objects.select_for_update().get(pk=1)
    return state


def _max_event_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM core_event")
        return int(cursor.fetchone()[0])


def _min_event_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MIN(id), 0) FROM core_event")
        return int(cursor.fetchone()[0])


@transaction.atomic
def rollups_rebuild() -> int:
    """Recompute every rollup from the whole event log; returns the new watermark."""
    state = _state()
    upto = _max_event_id()
    with connection.cursor() as cursor:
        for table in ROLLUP_TABLES:
            cursor.execute(f"DELETE FROM {table}")
    _insert_facts(upto)
    _insert_daily(upto)
    _insert_spans(upto)
    # The grains are sums of the fine tables just built (a refresh gets the same rows from deltas).
    # Durations are never negative (a stay ends at the next event in time order), so / truncates down.
    dims = ", ".join(DIMS)
    with connection.cursor() as cursor:
        for kind, rows_sql in (
            ("stagedaily", f"SELECT day, stage, {dims}, entries AS n FROM reporting_stagedaily"),
            (
                "cohort",
                f"SELECT created_day, current_stage, furthest_rank, {dims}, 1 AS n FROM reporting_leadfact",
            ),
            (
                "stays",
                f"SELECT exited_day, stage, seconds / 86400 AS days, {dims}, 1 AS n FROM reporting_stagespan",
            ),
        ):
            cursor.execute(_grains_sql(kind, rows_sql, empty=True))
        cursor.execute(_decisions_sql(), [0, upto])
    if connection.vendor == "postgresql":
        # Fresh statistics: the planner otherwise guesses from the emptied tables.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(ROLLUP_TABLES)}")
    state.event_watermark = upto
    state.refreshed_at = state.rebuilt_at = timezone.now()
    state.save()
    return upto


# --- the incremental refresh ---------------------------------------------------------------------
#
# A refresh works on scratch tables (temporary, per connection) holding only what the new events
# touch: the leads with new events, their stage events, their facts before and after, their stays
# before and after. Every rollup row it writes is a net change: the deltas are summed per key first
# (a lead whose dimensions did not change contributes only its new events), and fact and stay rows
# are written only where they differ. So its cost follows the new events and the histories of the
# leads they are about, not the size of the log or of the rollup tables.

# Above this share of the log (pending event ids / the log's id range) a refresh rebuilds instead.
# A refresh reads each affected lead's history through an index and upserts its changes; a rebuild
# reads every event once and inserts into emptied tables. With new events spread over the whole
# table (the worst case: nearly one lead per event), benchmarks/rollup_refresh_bench.py measured a
# refresh at 0.55-0.66 of a rebuild's CPU at 9-13% of the log and 0.93 at 20%, so past a tenth the
# rebuild takes over (benchmarks/README.md).
REBUILD_SHARE = 0.1

FACT_COLUMNS = ("lead_id", "created_day", *DIMS, "current_stage", "furthest_rank")
SPAN_COLUMNS = ("lead_id", "stage", "entered_at", "exited_day", "seconds", *DIMS)


def _scratch_tables() -> dict[str, str]:
    """The refresh's scratch tables and their columns (types that both databases read alike)."""
    stamp = "datetime" if connection.vendor == "sqlite" else "timestamp with time zone"
    dims = ", ".join(f"{d} bigint NOT NULL" for d in DIMS)
    fact = (
        f"lead_id bigint PRIMARY KEY, created_day date NOT NULL, {dims}, current_stage varchar(16) NOT NULL, "
        "furthest_rank smallint NOT NULL"
    )
    span = (
        f"lead_id bigint NOT NULL, stage varchar(16) NOT NULL, entered_at {stamp} NOT NULL, "
        f"exited_day date NOT NULL, seconds bigint NOT NULL, {dims}, rn bigint NOT NULL"
    )
    return {
        # Leads with events in the window.
        "rollup_lead": "lead_id bigint PRIMARY KEY",
        # Their stage events up to the new watermark.
        "rollup_event": f"id bigint PRIMARY KEY, lead_id bigint NOT NULL, stage varchar(16) NOT NULL, "
        f"occurred_at {stamp} NOT NULL",
        "rollup_old_fact": fact,
        "rollup_new_fact": fact,
        # Leads whose earlier events now count under other dimensions (or no longer, or for the first time).
        "rollup_moved": "lead_id bigint PRIMARY KEY",
        # Leads whose stays may have changed: a new stage event, or moved.
        "rollup_span_lead": "lead_id bigint PRIMARY KEY",
        # Stays before (with the StageSpan id) and after; rn numbers identical stays so that a
        # multiset difference can pair them.
        "rollup_old_span": f"id bigint PRIMARY KEY, {span}",
        "rollup_new_span": span,
        # Net change of stage entries per StageDaily key.
        "rollup_stage_delta": f"day date NOT NULL, stage varchar(16) NOT NULL, {dims}, n bigint NOT NULL",
    }


def _scratch_prepare(cursor: Any) -> None:
    """Create the scratch tables once per connection and empty them (a failed run rolls back its rows)."""
    for table, columns in _scratch_tables().items():
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table} ({columns})")
        cursor.execute(f"DELETE FROM {table}")
    for table in ("rollup_event", "rollup_old_span", "rollup_new_span"):
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {table}_lead ON {table} (lead_id)")


def _same(a: str, b: str, columns: tuple[str, ...]) -> str:
    return " AND ".join(f"{a}.{c} = {b}.{c}" for c in columns)


def _columns(alias: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{alias}.{c}" for c in columns)


class _Writer:
    """Runs the refresh's statements on one cursor and counts the rollup rows they write."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.rows_written = 0

    def scratch(self, sql: str, params: list[Any] | None = None) -> None:
        self.cursor.execute(sql, params or [])

    def write(self, sql: str, params: list[Any] | None = None) -> None:
        self.cursor.execute(sql, params or [])
        self.rows_written += max(self.cursor.rowcount, 0)


def _per_lead(columns: str, leads: str, table: str, where: str) -> str:
    """SELECT ``columns`` from the rows of ``table`` (``name alias``) that ``where`` ties to each lead
    of the scratch table ``leads`` (aliased a), looked up through an index one lead at a time: the
    cost follows the affected leads, never the size of ``table``."""
    if _dialect().lateral:
        alias = table.split()[-1]
        return (
            f"SELECT {columns} FROM {leads} a CROSS JOIN LATERAL "
            f"(SELECT {alias}.* FROM {table} WHERE {where} OFFSET 0) {alias}"
        )
    return f"SELECT {columns} FROM {leads} a CROSS JOIN {table} WHERE {where}"


def _refresh_collect(w: _Writer, since: int, upto: int) -> None:
    """Fill the scratch tables: the affected leads, their stage events and facts, before and after."""
    analyze = connection.vendor == "postgresql"  # a scratch table holds 1 row one minute, 100k the next
    w.scratch(
        f"INSERT INTO rollup_lead (lead_id) SELECT DISTINCT n.subject_id FROM {_dialect().events_window} "
        "WHERE n.subject_type = 'lead'",
        [since, upto],
    )
    if analyze:
        w.scratch("ANALYZE rollup_lead")
    w.scratch(
        f"INSERT INTO rollup_old_fact ({', '.join(FACT_COLUMNS)}) "
        + _per_lead(
            _columns("f", FACT_COLUMNS), "rollup_lead", "reporting_leadfact f", "f.lead_id = a.lead_id"
        )
    )
    # Each lead's events through its (subject_type, subject_id) index. ``e.id + 0`` keeps the watermark
    # out of the index choice: with skewed statistics (few distinct subjects when last analysed)
    # PostgreSQL walked the primary key up to the watermark once per lead, reading the whole log.
    w.scratch(
        "INSERT INTO rollup_event (id, lead_id, stage, occurred_at) "
        + _per_lead(
            "e.id, e.subject_id, e.stage, e.occurred_at",
            "rollup_lead",
            "core_event e",
            "e.subject_type = 'lead' AND e.subject_id = a.lead_id AND e.stage <> '' AND e.id + 0 <= %s",
        ),
        [upto],
    )
    rank = RANK_CASE.replace("e.stage", "ev.stage")
    w.scratch(
        f"INSERT INTO rollup_new_fact ({', '.join(FACT_COLUMNS)}) "
        f"SELECT l.id, {_day('l.created_at')}, COALESCE(l.source_id, 0), COALESCE(c.id, 0), "
        "COALESCE(l.owner_id, 0), COALESCE(l.criteria_version_id, 0), l.stage, COALESCE(r.furthest, 0) "
        f"FROM ({_per_lead('l.*', 'rollup_lead', 'leads_lead l', 'l.id = a.lead_id')}) l "
        "LEFT JOIN campaigns_campaign c ON l.utm_campaign <> '' AND c.utm_campaign = LOWER(l.utm_campaign) "
        f"LEFT JOIN (SELECT ev.lead_id, MAX({rank}) AS furthest FROM rollup_event ev GROUP BY ev.lead_id) r "
        "ON r.lead_id = l.id"
    )
    dims_differ = " OR ".join(f"o.{c} <> f.{c}" for c in DIMS)
    w.scratch(
        "INSERT INTO rollup_moved (lead_id) SELECT a.lead_id FROM rollup_lead a "
        "LEFT JOIN rollup_old_fact o ON o.lead_id = a.lead_id LEFT JOIN rollup_new_fact f ON f.lead_id = a.lead_id "
        f"WHERE o.lead_id IS NULL OR f.lead_id IS NULL OR {dims_differ}"
    )
    if analyze:
        w.scratch("ANALYZE rollup_event, rollup_old_fact, rollup_new_fact, rollup_moved")


def _refresh_stage_entries(w: _Writer, since: int) -> None:
    """StageDaily and its grains: the new events under the leads' facts; for a moved lead, all its
    events under the new fact less its earlier events under the old one. Summed per key first."""
    day = _day("ev.occurred_at")
    dims = ", ".join(DIMS)
    w.scratch(
        f"INSERT INTO rollup_stage_delta (day, stage, {dims}, n) "
        f"SELECT x.day, x.stage, {_columns('x', DIMS)}, SUM(x.n) FROM ("
        f"  SELECT {day} AS day, ev.stage, {_columns('f', DIMS)}, 1 AS n "
        "  FROM rollup_event ev JOIN rollup_new_fact f ON f.lead_id = ev.lead_id "
        "  WHERE ev.id > %s OR ev.lead_id IN (SELECT m.lead_id FROM rollup_moved m) "
        "  UNION ALL "
        f"  SELECT {day}, ev.stage, {_columns('o', DIMS)}, -1 "
        "  FROM rollup_event ev JOIN rollup_old_fact o ON o.lead_id = ev.lead_id "
        "  WHERE ev.id <= %s AND ev.lead_id IN (SELECT m.lead_id FROM rollup_moved m)"
        f") x GROUP BY x.day, x.stage, {_columns('x', DIMS)} HAVING SUM(x.n) <> 0",
        [since, since],
    )
    # WHERE 1 = 1: SQLite needs a WHERE before ON CONFLICT to tell the upsert from a join's ON.
    w.write(
        f"INSERT INTO reporting_stagedaily (day, stage, {dims}, entries) "
        f"SELECT day, stage, {dims}, n FROM rollup_stage_delta WHERE 1 = 1 "
        f"ON CONFLICT (day, stage, {dims}) DO UPDATE SET entries = reporting_stagedaily.entries + excluded.entries"
    )
    w.write(_grains_sql("stagedaily", f"SELECT day, stage, {dims}, n FROM rollup_stage_delta"))


def _refresh_facts(w: _Writer) -> None:
    """LeadFact rows that changed, and CohortDaily by the net change of the facts counted."""
    keys = ", ".join(GRAIN_TABLES["cohort"][1])
    dims = ", ".join(DIMS)
    w.write(
        _grains_sql(
            "cohort",
            f"SELECT {keys}, {dims}, SUM(n) AS n FROM ("
            f"  SELECT {keys}, {dims}, 1 AS n FROM rollup_new_fact "
            f"  UNION ALL SELECT {keys}, {dims}, -1 FROM rollup_old_fact"
            f") x GROUP BY {keys}, {dims} HAVING SUM(n) <> 0",
        )
    )
    w.write(
        "DELETE FROM reporting_leadfact WHERE lead_id IN (SELECT o.lead_id FROM rollup_old_fact o "
        "WHERE NOT EXISTS (SELECT 1 FROM rollup_new_fact f WHERE f.lead_id = o.lead_id))"
    )
    updates = ", ".join(f"{c} = excluded.{c}" for c in FACT_COLUMNS[1:])
    w.write(
        f"INSERT INTO reporting_leadfact ({', '.join(FACT_COLUMNS)}) SELECT {_columns('f', FACT_COLUMNS)} "
        "FROM rollup_new_fact f WHERE NOT EXISTS "
        f"(SELECT 1 FROM rollup_old_fact o WHERE {_same('o', 'f', FACT_COLUMNS)}) "
        f"ON CONFLICT (lead_id) DO UPDATE SET {updates}"
    )


def _refresh_stays(w: _Writer, since: int) -> None:
    """StageSpan rows of the leads whose stays may have changed, as a multiset difference (identical
    stays paired by their number), and StayDaily by the net change."""
    span = tuple(c for c in SPAN_COLUMNS)
    span_list = ", ".join(span)
    w.scratch(
        "INSERT INTO rollup_span_lead (lead_id) SELECT ev.lead_id FROM rollup_event ev WHERE ev.id > %s "
        "UNION SELECT m.lead_id FROM rollup_moved m",
        [since],
    )
    if connection.vendor == "postgresql":
        w.scratch("ANALYZE rollup_span_lead")
    w.scratch(
        f"INSERT INTO rollup_old_span (id, {span_list}, rn) SELECT s.id, {_columns('s', span)}, "
        f"ROW_NUMBER() OVER (PARTITION BY {_columns('s', span)} ORDER BY s.id) FROM ("
        + _per_lead("s.*", "rollup_span_lead", "reporting_stagespan s", "s.lead_id = a.lead_id")
        + ") s"
    )
    seconds = _dialect().seconds.format(a="s.occurred_at", b="s.next_at")
    w.scratch(
        f"INSERT INTO rollup_new_span ({span_list}, rn) SELECT {_columns('x', span)}, "
        f"ROW_NUMBER() OVER (PARTITION BY {_columns('x', span)}) FROM ("
        f"  SELECT s.lead_id, s.stage, s.occurred_at AS entered_at, {_day('s.next_at')} AS exited_day, "
        f"  {seconds} AS seconds, {_columns('f', DIMS)} FROM ("
        "    SELECT ev.lead_id, ev.stage, ev.occurred_at, "
        "    LEAD(ev.occurred_at) OVER (PARTITION BY ev.lead_id ORDER BY ev.occurred_at, ev.id) AS next_at "
        "    FROM rollup_span_lead a JOIN rollup_event ev ON ev.lead_id = a.lead_id) s "
        "  JOIN rollup_new_fact f ON f.lead_id = s.lead_id WHERE s.next_at IS NOT NULL"
        ") x"
    )
    keys = "exited_day, stage, days"
    dims = ", ".join(DIMS)
    w.write(
        _grains_sql(
            "stays",
            f"SELECT {keys}, {dims}, SUM(n) AS n FROM ("
            f"  SELECT exited_day, stage, seconds / 86400 AS days, {dims}, 1 AS n FROM rollup_new_span "
            f"  UNION ALL SELECT exited_day, stage, seconds / 86400, {dims}, -1 FROM rollup_old_span"
            f") x GROUP BY {keys}, {dims} HAVING SUM(n) <> 0",
        )
    )
    paired = f"{_same('n', 'o', span)} AND n.rn = o.rn"
    w.write(
        "DELETE FROM reporting_stagespan WHERE id IN (SELECT o.id FROM rollup_old_span o "
        f"WHERE NOT EXISTS (SELECT 1 FROM rollup_new_span n WHERE {paired}))"
    )
    w.write(
        f"INSERT INTO reporting_stagespan ({span_list}) SELECT {_columns('n', span)} FROM rollup_new_span n "
        f"WHERE NOT EXISTS (SELECT 1 FROM rollup_old_span o WHERE {paired})"
    )


@dataclass(frozen=True)
class RollupRefresh:
    """What one ``rollups_refresh`` did."""

    events: int  # event ids taken in (the watermark moved by this much)
    leads: int  # leads with new events (0 when nothing was new or the tables were rebuilt)
    rebuilt: bool  # the pending batch was large, so the tables were rebuilt instead
    rows_written: int  # rollup rows inserted, updated or deleted (scratch tables not counted)


@transaction.atomic
def rollups_refresh(*, rebuild_share: float = REBUILD_SHARE) -> RollupRefresh:
    """Bring the rollups up to the newest event. Touches only the leads with new events; rebuilds
    instead when there are none yet or the pending batch is more than ``rebuild_share`` of the log
    (1 never rebuilds a built log: the benchmark measures refreshes that way)."""
    state = _state()
    since = state.event_watermark
    upto = _max_event_id()
    if upto <= since:
        return RollupRefresh(events=0, leads=0, rebuilt=False, rows_written=0)
    if since == 0 or upto - since > rebuild_share * (upto - _min_event_id() + 1):
        rollups_rebuild()
        return RollupRefresh(events=upto - since, leads=0, rebuilt=True, rows_written=0)
    with connection.cursor() as cursor:
        w = _Writer(cursor)
        _scratch_prepare(cursor)
        _refresh_collect(w, since, upto)
        _refresh_stage_entries(w, since)
        _refresh_facts(w)
        _refresh_stays(w, since)
        # Rows whose count fell to 0 (partial indexes find them without scanning the tables).
        w.write("DELETE FROM reporting_stagedaily WHERE entries = 0")
        for table, _keys, measure in GRAIN_TABLES.values():
            w.write(f"DELETE FROM {table} WHERE {measure} = 0")
        w.write(_decisions_sql(), [since, upto])
        cursor.execute("SELECT COUNT(*) FROM rollup_lead")
        leads = int(cursor.fetchone()[0])
        for table in _scratch_tables():
            cursor.execute(f"DELETE FROM {table}")
    state.event_watermark = upto
    state.refreshed_at = timezone.now()
    state.save()
    return RollupRefresh(events=upto - since, leads=leads, rebuilt=False, rows_written=w.rows_written)


def rollups_lag() -> tuple[int, RollupState | None]:
    """How many event ids the rollups are behind, and the state row (None before the first refresh)."""
    state = RollupState.objects.filter(pk=1).first()
    return _max_event_id() - (state.event_watermark if state else 0), state
