"""The rollups equal a from-scratch computation, however the events arrive, and an incremental
refresh costs what its new events cost."""

from __future__ import annotations

import random
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.models import Event
from accord.leads.models import Lead
from accord.reporting.models import LeadFact, RollupState, StageDaily, StageSpan
from accord.reporting.rollups import REBUILD_SHARE, rollups_lag, rollups_rebuild, rollups_refresh
from accord.reporting.tests import dataset
from accord.reporting.tests.test_grains import snapshot as grain_snapshot


def snapshot():
    daily = sorted(
        StageDaily.objects.values_list(
            "day", "stage", "source_id", "campaign_id", "owner_id", "criteria_id", "entries"
        )
    )
    facts = sorted(
        LeadFact.objects.values_list(
            "lead_id", "created_day", "source_id", "campaign_id", "owner_id", "current_stage", "furthest_rank"
        )
    )
    spans = sorted(
        StageSpan.objects.values_list("lead_id", "stage", "entered_at", "exited_day", "seconds", "owner_id")
    )
    return daily, facts, spans, grain_snapshot()


def test_daily_rollup_equals_the_raw_stage_events(data):
    rollups_rebuild()
    raw: dict = {}
    leads = dataset.leads_by_id()
    for e in dataset.stage_events():
        lead = leads[e.subject_id]
        key = (e.occurred_at.date(), e.stage, lead.source_id or 0, lead.owner_id or 0)
        raw[key] = raw.get(key, 0) + 1
    rolled: dict = {}
    for day, stage, source, owner, n in StageDaily.objects.values_list(
        "day", "stage", "source_id", "owner_id", "entries"
    ):
        rolled[(day, stage, source, owner)] = rolled.get((day, stage, source, owner), 0) + n
    assert rolled == raw


def test_incremental_refresh_equals_a_full_rebuild(data):
    p = data["personas"]
    rollups_refresh()  # first refresh from an empty state
    # New events: a lead moves on, another changes owner (moving all its history to the new rep).
    lead = Lead.objects.order_by("pk").first()
    last = Event.objects.filter(subject_id=lead.pk).order_by("-occurred_at").first()
    Event.objects.create(
        type="lead.stage_changed",
        subject_type="lead",
        subject_id=lead.pk,
        stage="sql",
        occurred_at=last.occurred_at + timedelta(hours=3),
    )
    other = Lead.objects.order_by("-pk").first()
    Lead.objects.filter(pk=other.pk).update(owner=p.charlie)
    Event.objects.create(
        type="lead.assigned",
        subject_type="lead",
        subject_id=other.pk,
        occurred_at=dataset.NOW,
        payload={"owner_id": p.charlie.pk},
    )
    Event.objects.create(
        type="lead.accepted",
        subject_type="lead",
        subject_id=other.pk,
        actor=p.charlie,
        occurred_at=dataset.NOW,
    )
    done = rollups_refresh()
    assert (done.events, done.leads, done.rebuilt) == (3, 2, False)
    incremental = snapshot()
    rollups_rebuild()
    assert snapshot() == incremental
    assert rollups_refresh().events == 0


# --- an incremental refresh costs what the new events cost ---------------------------------------

ROLLUP_TABLES_WRITTEN = (
    "reporting_stagedaily",
    "reporting_stagespan",
    "reporting_leadfact",
    "reporting_stagedailycut",
    "reporting_cohortdaily",
    "reporting_staydaily",
    "reporting_decisiondaily",
)


def rollup_rows() -> Counter:
    """Every rollup row as a value tuple (without its id), counted: a multiset to diff."""
    rows: Counter = Counter()
    with connection.cursor() as cursor:
        for table in ROLLUP_TABLES_WRITTEN:
            cursor.execute(f"SELECT * FROM {table}")
            names = [c[0] for c in cursor.description]
            keep = [i for i, name in enumerate(names) if name != "id"]
            rows.update((table, *(row[i] for i in keep)) for row in cursor.fetchall())
    return rows


@contextmanager
def rollup_writes_counted():
    """Counts the rows inserted, updated or deleted in the rollup tables inside the block, as the
    database sees them (SQLite: temporary triggers; PostgreSQL: the transaction's statistics)."""
    found = {"rows": 0}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("CREATE TEMP TABLE rollup_writes_seen (n integer)")
            for table in ROLLUP_TABLES_WRITTEN:
                for action in ("INSERT", "UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TEMP TRIGGER count_{table}_{action.lower()} AFTER {action} ON main.{table} "
                        "BEGIN INSERT INTO rollup_writes_seen VALUES (1); END"
                    )
            yield found
            cursor.execute("SELECT COUNT(*) FROM rollup_writes_seen")
            found["rows"] = cursor.fetchone()[0]
            for table in ROLLUP_TABLES_WRITTEN:
                for action in ("insert", "update", "delete"):
                    cursor.execute(f"DROP TRIGGER temp.count_{table}_{action}")
            cursor.execute("DROP TABLE temp.rollup_writes_seen")
        else:
            names = ", ".join(f"'{t}'" for t in ROLLUP_TABLES_WRITTEN)
            count = (
                "SELECT COALESCE(SUM(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables "
                f"WHERE relname IN ({names})"
            )
            cursor.execute(count)
            before = cursor.fetchone()[0]
            yield found
            cursor.execute(count)
            found["rows"] = cursor.fetchone()[0] - before


def add_stage_event(lead_id: int, stage: str, hours_after_last: float = 3) -> None:
    last = Event.objects.filter(subject_id=lead_id, subject_type="lead").order_by("-occurred_at").first()
    Event.objects.create(
        type="lead.stage_changed",
        subject_type="lead",
        subject_id=lead_id,
        stage=stage,
        occurred_at=last.occurred_at + timedelta(hours=hours_after_last),
    )


def longest_histories(n: int) -> list[int]:
    counts = Counter(
        Event.objects.filter(subject_type="lead").exclude(stage="").values_list("subject_id", flat=True)
    )
    # Ties go to the lowest id: the same leads whatever order the database returns the events in.
    return [lead for lead, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def test_an_incremental_refresh_writes_only_rollup_rows_that_change(data):
    rollups_rebuild()
    # Leads with the longest histories: a refresh that redoes a lead's history would show here.
    first, second = longest_histories(2)
    add_stage_event(first, "sql")
    Event.objects.create(type="lead.note", subject_type="lead", subject_id=second, occurred_at=dataset.NOW)
    before = rollup_rows()
    with rollup_writes_counted() as written:
        done = rollups_refresh()
    after = rollup_rows()
    changed = sum(((before - after) + (after - before)).values())
    assert (done.leads, done.rebuilt) == (2, False)
    assert changed > 0
    # Each row that changes is written at most twice (a count that falls to 0: its upsert and its
    # delete); rows that stay as they were are not written at all.
    assert written["rows"] <= 2 * changed, (written["rows"], changed)
    assert done.rows_written == written["rows"]
    incremental = snapshot()
    rollups_rebuild()
    assert snapshot() == incremental


def test_a_refresh_runs_the_same_statements_for_one_new_event_or_many(data, django_assert_num_queries):
    rollups_rebuild()
    add_stage_event(longest_histories(1)[0], "sql")
    with CaptureQueriesContext(connection) as one:
        assert rollups_refresh().events == 1
    for lead in longest_histories(12):
        add_stage_event(lead, "opportunity")
        Event.objects.create(type="lead.note", subject_type="lead", subject_id=lead, occurred_at=dataset.NOW)
    with CaptureQueriesContext(connection) as many:
        assert rollups_refresh().events == 24
    assert len(many.captured_queries) == len(one.captured_queries)


def test_a_refresh_reads_as_much_whatever_the_size_of_the_rest_of_the_log(data):
    """The same new events cost the same database work with 10 times as many other leads and events."""
    rollups_rebuild()
    leads = longest_histories(3)
    for lead in leads:
        add_stage_event(lead, "sql")
    small = refresh_work()
    small_statements = REFRESH_STATEMENTS[:5]
    more_leads_and_events(8 * Lead.objects.count())
    rollups_rebuild()
    for lead in leads:
        add_stage_event(lead, "opportunity")
    large = refresh_work()
    assert large <= 1.25 * small + 50, (small, large, small_statements, REFRESH_STATEMENTS[:5])


def test_a_refresh_reads_each_leads_events_by_its_subject_whatever_the_statistics_say(personas):
    """Statistics taken when the log had one subject (left by an earlier import or test) made PostgreSQL
    read every event up to the watermark once per lead with new events."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner: SQLite reads the window and the leads' events in a fixed order")
    Event.objects.bulk_create(
        Event(type="lead.note", subject_type="lead", subject_id=1, stage="mql", occurred_at=dataset.NOW)
        for _ in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_event, leads_lead")
    Event.objects.all().delete()
    dataset.build(personas)
    rollups_rebuild()
    leads = longest_histories(3)
    for lead in leads:
        add_stage_event(lead, "sql")
    their_events = Event.objects.filter(subject_type="lead", subject_id__in=leads).count()
    work = refresh_work(analyze=False)
    assert work <= 4 * their_events + 50, (work, their_events, REFRESH_STATEMENTS[:3])


def refresh_work(*, analyze: bool = True) -> int:
    """Database work of one refresh: SQLite virtual-machine steps (in thousands), or rows PostgreSQL
    read from the log, the leads and the rollup tables (index scans only, as at scale).

    ``analyze``: on PostgreSQL, fresh statistics of the log and the leads first, as autovacuum keeps
    them. Other tests leave the planner statistics of a few rows (this database runs without
    autovacuum, and ANALYZE's row counts outlive a rolled-back test), and at this test's size a
    planner so misled reads a whole small table for a MAX(id) or an id range."""
    if connection.vendor == "sqlite":
        steps = {"n": 0}

        def tick() -> int:
            steps["n"] += 1
            return 0

        connection.ensure_connection()
        connection.connection.set_progress_handler(tick, 1000)
        try:
            rollups_refresh()
        finally:
            connection.connection.set_progress_handler(None, 1000)
        return steps["n"]
    read = (
        "SELECT relname, COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
        "WHERE relname LIKE 'reporting\\_%%' OR relname IN ('core_event', 'leads_lead')"
    )

    def rows_read(cursor) -> dict[str, int]:
        cursor.execute(read)
        return dict(cursor.fetchall())

    def count(execute, sql, params, many, context):
        with connection.connection.cursor() as cursor:
            before = rows_read(cursor)
            result = execute(sql, params, many, context)
            after = rows_read(cursor)
        delta = {t: n - before.get(t, 0) for t, n in after.items() if n != before.get(t, 0)}
        if delta:
            statements.append((sum(delta.values()), delta, sql[:160]))
        return result

    statements: list = []
    with connection.cursor() as cursor:
        if analyze:
            cursor.execute("ANALYZE core_event, leads_lead")
        # At scale the planner reads a few leads' rows through indexes; with a few hundred rows it
        # would scan instead, which says nothing about the statements.
        cursor.execute("SET LOCAL enable_seqscan = off")
        with connection.execute_wrapper(count):
            rollups_refresh()
        cursor.execute("SET LOCAL enable_seqscan = on")
    REFRESH_STATEMENTS[:] = sorted(statements, key=lambda s: s[0], reverse=True)
    return sum(s[0] for s in statements)


# The last PostgreSQL refresh_work's statements, most rows read first (an assertion shows them).
REFRESH_STATEMENTS: list = []


def more_leads_and_events(count: int) -> None:
    """``count`` more leads, each with an inquiry, an MQL and a note event, in bulk."""
    start = Lead.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    Lead.objects.bulk_create(
        [Lead(email=f"more{i}@example.com", email_key=f"more{i}@example.com") for i in range(count)]
    )
    moment = dataset.NOW - timedelta(days=100)
    Event.objects.bulk_create(
        [
            Event(
                type=kind,
                subject_type="lead",
                subject_id=lead,
                stage=stage,
                occurred_at=moment + timedelta(hours=h),
            )
            for lead in Lead.objects.filter(pk__gte=start).values_list("pk", flat=True)
            for kind, stage, h in (
                ("lead.stage_changed", "inquiry", 0),
                ("lead.stage_changed", "mql", 30),
                ("lead.note", "", 31),
            )
        ]
    )


def test_a_large_pending_batch_is_rebuilt_instead(data):
    rollups_rebuild()
    state = RollupState.objects.get()
    rebuilt_before = state.rebuilt_at
    first, last = Event.objects.order_by("pk").first().pk, Event.objects.order_by("-pk").first().pk
    total = last - first + 1
    leads = list(Lead.objects.values_list("pk", flat=True))
    Event.objects.bulk_create(
        [
            Event(
                type="lead.note",
                subject_type="lead",
                subject_id=leads[i % len(leads)],
                occurred_at=dataset.NOW,
            )
            for i in range(int(total * REBUILD_SHARE / (1 - REBUILD_SHARE)) + 10)
        ]
    )
    done = rollups_refresh()
    assert done.rebuilt
    assert RollupState.objects.get().rebuilt_at > rebuilt_before
    assert rollups_lag()[0] == 0


def test_the_first_refresh_builds_everything(data):
    done = rollups_refresh()
    assert done.rebuilt and done.events == Event.objects.order_by("-pk").first().pk
    built = snapshot()
    rollups_rebuild()
    assert snapshot() == built


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_refreshes_equal_a_rebuild_whatever_the_new_events(data, seed):
    """Rounds of random new events: stage moves in and out of time order, ties, duplicates, owner,
    campaign and source changes, new leads, decisions; after each round refresh == rebuild."""
    p = data["personas"]
    rng = random.Random(seed)
    owners = [p.bob, p.carol, p.charlie, None]
    sources = [data["web"], data["partner"], None]
    campaigns = ["spring", "Search", "", "other"]
    rollups_rebuild()
    for _round in range(4):
        lead_ids = list(Lead.objects.values_list("pk", flat=True))
        for _ in range(rng.randint(1, 25)):
            lead_id = rng.choice(lead_ids)
            kind = rng.choice(
                [
                    "later",
                    "later",
                    "earlier",
                    "tie",
                    "duplicate",
                    "owner",
                    "campaign",
                    "source",
                    "new",
                    "decision",
                ]
            )
            history = list(Event.objects.filter(subject_type="lead", subject_id=lead_id).exclude(stage=""))
            if kind in ("later", "earlier", "tie", "duplicate") and history:
                some = rng.choice(history)
                at = {
                    "later": max(e.occurred_at for e in history) + timedelta(hours=rng.randint(1, 900)),
                    "earlier": min(e.occurred_at for e in history) - timedelta(hours=rng.randint(1, 900)),
                    "tie": some.occurred_at,
                    "duplicate": some.occurred_at,
                }[kind]
                stage = some.stage if kind == "duplicate" else rng.choice([*dataset.ORDER, "nurture"])
                Event.objects.create(
                    type="lead.stage_changed",
                    subject_type="lead",
                    subject_id=lead_id,
                    stage=stage,
                    occurred_at=at,
                )
                Lead.objects.filter(pk=lead_id).update(stage=stage)
            elif kind in ("owner", "campaign", "source"):
                field, value = {
                    "owner": ("owner", rng.choice(owners)),
                    "campaign": ("utm_campaign", rng.choice(campaigns)),
                    "source": ("source", rng.choice(sources)),
                }[kind]
                Lead.objects.filter(pk=lead_id).update(**{field: value})
                Event.objects.create(
                    type="lead.updated", subject_type="lead", subject_id=lead_id, occurred_at=dataset.NOW
                )
            elif kind == "new":
                lead = Lead.objects.create(
                    email=f"new{_round}.{lead_id}@example.com",
                    email_key=f"new{_round}.{lead_id}@example.com",
                    owner=rng.choice(owners),
                    utm_campaign="spring",
                )
                for hours, stage in enumerate(dataset.ORDER[: rng.randint(1, 4)]):
                    Event.objects.create(
                        type="lead.stage_changed",
                        subject_type="lead",
                        subject_id=lead.pk,
                        stage=stage,
                        occurred_at=dataset.NOW - timedelta(hours=100 - hours),
                    )
            else:
                Event.objects.create(
                    type=rng.choice(["lead.accepted", "lead.rejected"]),
                    subject_type="lead",
                    subject_id=lead_id,
                    actor=rng.choice(owners[:3]),
                    occurred_at=dataset.NOW - timedelta(days=rng.randint(0, 60)),
                )
        done = rollups_refresh(rebuild_share=1.0)  # the incremental path, however large the round
        assert not done.rebuilt
        incremental = snapshot()
        rollups_rebuild()
        assert snapshot() == incremental, f"round {_round}"
