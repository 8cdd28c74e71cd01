"""Keeping the rollup tables (``reporting.models``) in step with the event log.

The log is append-only, so the rollups advance by a watermark on ``Event.id``. A refresh takes the
leads that have events above the watermark and recomputes *their* contribution: it subtracts what
they added before (under the dimensions recorded in ``LeadFact`` at the time), deletes their fact and
span rows, and adds everything back from all their stage events under their current dimensions.
So a lead that changed owner or campaign moves wholly to its new cut, and the tables always equal
a from-scratch computation over the same events (``tests/test_rollups.py`` proves it).

Everything is set-based SQL (``INSERT ... SELECT ... GROUP BY``, upserts): no Python loop per lead
or per event. Two dialect pieces differ between SQLite and PostgreSQL: the UTC day of a timestamp
and the seconds between two timestamps.

Known limit: a change to a lead that leaves no event (an admin edit of its source) or a rep moving
team is picked up by the next full ``rollups_rebuild`` (declare it nightly); teams are joined at
read time from the owner, so a team move is visible at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accord.reporting.models import RollupState

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
DIMS = ("source_id", "campaign_id", "owner_id", "criteria_id")


@dataclass(frozen=True)
class Dialect:
    day: str  # a SQL template with {col}
    seconds: str  # with {a} and {b}


DIALECTS = {
    "sqlite": Dialect(
        day="date({col})", seconds="CAST(ROUND((julianday({b}) - julianday({a})) * 86400) AS INTEGER)"
    ),
    "postgresql": Dialect(
        day="(({col}) AT TIME ZONE 'UTC')::date",
        seconds="CAST(ROUND(EXTRACT(EPOCH FROM ({b} - {a}))) AS BIGINT)",
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


def _stage_events(lead_filter: str) -> str:
    return f"core_event e WHERE e.subject_type = 'lead' AND e.stage <> '' AND e.id <= %s AND {lead_filter}"


def _add_daily(lead_filter: str, sign: int, upto: int, params: list[int]) -> None:
    """Add (sign 1) or take away (sign -1) the daily entries of the filtered leads' stage events."""
    sql = (
        "INSERT INTO reporting_stagedaily (day, stage, source_id, campaign_id, owner_id, criteria_id, entries) "
        f"SELECT {_day('e.occurred_at')}, e.stage, f.source_id, f.campaign_id, f.owner_id, f.criteria_id, "
        f"{sign} * COUNT(*) FROM core_event e JOIN reporting_leadfact f ON f.lead_id = e.subject_id "
        f"WHERE e.subject_type = 'lead' AND e.stage <> '' AND e.id <= %s AND {lead_filter} "
        f"GROUP BY {_day('e.occurred_at')}, e.stage, f.source_id, f.campaign_id, f.owner_id, f.criteria_id "
        "ON CONFLICT (day, stage, source_id, campaign_id, owner_id, criteria_id) "
        "DO UPDATE SET entries = reporting_stagedaily.entries + excluded.entries"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [upto, *params])


def _insert_facts(lead_filter: str, upto: int, params: list[int]) -> None:
    sql = (
        "INSERT INTO reporting_leadfact (lead_id, created_day, source_id, campaign_id, owner_id, criteria_id, "
        "current_stage, furthest_rank) "
        f"SELECT l.id, {_day('l.created_at')}, COALESCE(l.source_id, 0), COALESCE(c.id, 0), "
        "COALESCE(l.owner_id, 0), COALESCE(l.criteria_version_id, 0), l.stage, COALESCE(r.furthest, 0) "
        f"FROM {LEAD_DIMS_FROM} LEFT JOIN ("
        f"  SELECT e.subject_id AS lead_id, MAX({RANK_CASE}) AS furthest FROM {_stage_events(lead_filter)} "
        "  GROUP BY e.subject_id) r ON r.lead_id = l.id "
        f"WHERE {lead_filter.replace('e.subject_id', 'l.id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [upto, *params, *params])


def _insert_spans(lead_filter: str, upto: int, params: list[int]) -> None:
    seconds = _dialect().seconds.format(a="s.occurred_at", b="s.next_at")
    sql = (
        "INSERT INTO reporting_stagespan (lead_id, stage, entered_at, exited_day, seconds, source_id, "
        "campaign_id, owner_id, criteria_id) "
        f"SELECT s.subject_id, s.stage, s.occurred_at, {_day('s.next_at')}, {seconds}, "
        "f.source_id, f.campaign_id, f.owner_id, f.criteria_id FROM ("
        "  SELECT e.subject_id, e.stage, e.occurred_at, "
        "  LEAD(e.occurred_at) OVER (PARTITION BY e.subject_id ORDER BY e.occurred_at, e.id) AS next_at "
        f"  FROM {_stage_events(lead_filter)}) s "
        "JOIN reporting_leadfact f ON f.lead_id = s.subject_id WHERE s.next_at IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [upto, *params])


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


@transaction.atomic
def rollups_rebuild() -> int:
    """Recompute every rollup from the whole event log; returns the new watermark."""
    state = _state()
    upto = _max_event_id()
    with connection.cursor() as cursor:
        for table in ("reporting_stagedaily", "reporting_stagespan", "reporting_leadfact"):
            cursor.execute(f"DELETE FROM {table}")
    everything = "1 = 1"
    _insert_facts(everything, upto, [])
    _add_daily(everything, 1, upto, [])
    _insert_spans(everything, upto, [])
    state.event_watermark = upto
    state.refreshed_at = state.rebuilt_at = timezone.now()
    state.save()
    return upto


@transaction.atomic
def rollups_refresh() -> int:
    """Bring the rollups up to the newest event, touching only leads with new events; returns the lag
    that was processed (number of event ids)."""
    state = _state()
    since = state.event_watermark
    upto = _max_event_id()
    if upto <= since:
        return 0
    affected = (
        "e.subject_id IN (SELECT n.subject_id FROM core_event n "
        "WHERE n.subject_type = 'lead' AND n.id > %s AND n.id <= %s)"
    )
    window = [since, upto]
    # 1. Take away what these leads added before, under the dimensions they were added with.
    _add_daily(affected, -1, since, window)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM reporting_stagedaily WHERE entries = 0")
        for table in ("reporting_stagespan", "reporting_leadfact"):
            cursor.execute(
                f"DELETE FROM {table} WHERE lead_id IN (SELECT n.subject_id FROM core_event n "
                "WHERE n.subject_type = 'lead' AND n.id > %s AND n.id <= %s)",
                window,
            )
    # 2. Add them back, from all their stage events, under their current dimensions.
    _insert_facts(affected, upto, window)
    _add_daily(affected, 1, upto, window)
    _insert_spans(affected, upto, window)
    state.event_watermark = upto
    state.refreshed_at = timezone.now()
    state.save()
    return upto - since


def rollups_lag() -> tuple[int, RollupState | None]:
    """How many event ids the rollups are behind, and the state row (None before the first refresh)."""
    state = RollupState.objects.filter(pk=1).first()
    return _max_event_id() - (state.event_watermark if state else 0), state
