"""Benchmark: the incremental rollup refresh against a full rebuild, in the same run, on SQLite and
PostgreSQL.

    .venv/bin/python benchmarks/rollup_refresh_bench.py                      # 10k leads, 100k events
    .venv/bin/python benchmarks/rollup_refresh_bench.py --batches 1000,10000 --db sqlite
    .venv/bin/python benchmarks/rollup_refresh_bench.py --leads 100000 --events 1000000 --batches 10000

Steps, per database (each in a child process, Django configured once per process):
1. the seeded leads and events of ``dashboards_bench.py`` (generated once into
   ``benchmarks/data/dashboards-<leads>-<events>-<seed>/``), bulk-loaded into a throwaway database
   (SQLite file in a temporary directory; PostgreSQL ``accord_bench_refresh_<pid>`` on BENCH_PG_URL,
   default postgresql://postgres@127.0.0.1:5432, dropped afterwards), then ``ANALYZE`` (PostgreSQL)
   and ``rollups_rebuild()``;
2. per batch size: that many new events appended as a day of activity would bring them (25% new
   leads with their inquiry event, 45% stage moves of existing leads spread over the table, 25%
   notes and accept/reject decisions, 5% owner changes with their assignment event), then the
   incremental ``rollups_refresh()`` timed (``rebuild_share=1`` so that it never falls back to a
   rebuild here), then ``rollups_rebuild()`` over the same log timed: the ratio refresh / rebuild;
3. ``--shares`` (optional): batches of that share of the log, to see where a rebuild gets cheaper
   than a refresh (``REBUILD_SHARE`` in ``accord/reporting/rollups.py``).

Output: one JSON line per database, then a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import dashboards_bench as data_set  # noqa: E402  (the same seeded rows as the dashboards benchmark)

FUNNEL = data_set.FUNNEL
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)


def append_batch(connection, n: int, rng: random.Random) -> dict[str, int]:
    """Append ``n`` new events (and the leads some of them create) with plain SQL."""
    with connection.cursor() as c:
        c.execute("SELECT MAX(id) FROM leads_lead")
        top_lead = c.fetchone()[0]
        c.execute("SELECT MAX(id) FROM core_event")
        top_event = c.fetchone()[0]
    lead_cols, defaults = data_set._lead_columns(_lead_model())
    fixed = [col for col in lead_cols if col not in data_set.EXPLICIT_LEAD_COLUMNS]
    new_leads, events, owner_changes = [], [], []
    kinds = {"new_lead": 0, "stage": 0, "other": 0, "owner": 0}
    for i in range(n):
        at = NOW + timedelta(seconds=i)
        r = rng.random()
        event_id = top_event + 1 + i
        if r < 0.25:
            top_lead += 1
            email = f"new{top_lead}@example.com"
            new_leads.append(
                [top_lead, at, at, rng.randrange(1, data_set.N_REPS + 1), rng.randrange(1, data_set.N_SOURCES + 1),
                 f"c{rng.randrange(1, data_set.N_CAMPAIGNS + 1)}", "inquiry", email, email,
                 *[defaults[col] for col in fixed]]
            )  # fmt: skip
            events.append((event_id, "lead.stage_changed", top_lead, None, at, "inquiry"))
            kinds["new_lead"] += 1
        elif r < 0.70:
            lead = rng.randrange(1, top_lead + 1)
            events.append((event_id, "lead.stage_changed", lead, None, at, rng.choice(FUNNEL[1:])))
            kinds["stage"] += 1
        elif r < 0.95:
            lead = rng.randrange(1, top_lead + 1)
            kind = rng.choice(("lead.note", "lead.accepted", "lead.rejected"))
            actor = rng.randrange(1, data_set.N_REPS + 1) if kind != "lead.note" else None
            events.append((event_id, kind, lead, actor, at, ""))
            kinds["other"] += 1
        else:
            lead = rng.randrange(1, top_lead + 1)
            owner = rng.randrange(1, data_set.N_REPS + 1)
            owner_changes.append((owner, lead))
            events.append((event_id, "lead.assigned", lead, None, at, ""))
            kinds["owner"] += 1
    cols = [*data_set.EXPLICIT_LEAD_COLUMNS, *fixed]
    with connection.cursor() as c:
        if new_leads:
            c.executemany(
                f"INSERT INTO leads_lead ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
                new_leads,
            )
        c.executemany("UPDATE leads_lead SET owner_id = %s WHERE id = %s", owner_changes)
        c.executemany(
            "INSERT INTO core_event (id, type, subject_type, subject_id, actor_id, channel, occurred_at, stage, "
            "payload) VALUES (%s, %s, 'lead', %s, %s, 'system', %s, %s, '{}')",
            events,
        )
        if connection.vendor == "postgresql":
            c.execute(
                "SELECT setval(pg_get_serial_sequence('core_event', 'id'), (SELECT MAX(id) FROM core_event))"
            )
    return kinds


def _lead_model():
    from accord.leads.models import Lead

    return Lead


def child(db_url: str, data: Path, batches: list[int], shares: list[float], seed: int) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("ACCORD_DEBUG", "true")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from accord.reporting import rollups

    call_command("migrate", verbosity=0)
    result: dict = {"db": connection.vendor}
    t0 = time.perf_counter()
    data_set._seed_dimensions()
    lead_cols, defaults = data_set._lead_columns(_lead_model())
    data_set._bulk_load(connection, data, lead_cols, defaults)
    result["load_s"] = round(time.perf_counter() - t0, 1)
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    t0 = time.perf_counter()
    rollups.rollups_rebuild()
    result["first_rebuild_s"] = round(time.perf_counter() - t0, 2)
    rng = random.Random(seed)

    def log_size() -> int:
        with connection.cursor() as c:
            c.execute("SELECT COUNT(*) FROM core_event")
            return c.fetchone()[0]

    def measure(n: int) -> dict:
        with transaction.atomic():
            kinds = append_batch(connection, n, rng)
        t, cpu = time.perf_counter(), time.process_time()
        done = rollups.rollups_refresh(rebuild_share=1.0)
        refresh_s, refresh_cpu = time.perf_counter() - t, time.process_time() - cpu
        t, cpu = time.perf_counter(), time.process_time()
        rollups.rollups_rebuild()
        rebuild_s, rebuild_cpu = time.perf_counter() - t, time.process_time() - cpu
        return {
            "new_events": n,
            "log_events": log_size(),
            "leads_touched": done.leads,
            "rows_written": done.rows_written,
            "mix": kinds,
            "refresh_s": round(refresh_s, 3),
            "rebuild_s": round(rebuild_s, 3),
            "refresh_over_rebuild": round(refresh_s / rebuild_s, 3),
            # SQLite works in this process, so its CPU seconds are the steadiest figure on a shared
            # machine; PostgreSQL's work is in the server (wall time only).
            **(
                {
                    "refresh_cpu_s": round(refresh_cpu, 3),
                    "rebuild_cpu_s": round(rebuild_cpu, 3),
                    "cpu_ratio": round(refresh_cpu / rebuild_cpu, 3),
                }
                if connection.vendor == "sqlite"
                else {}
            ),
        }

    result["batches"] = [measure(n) for n in batches]
    result["shares"] = [dict(share=share, **measure(int(share * log_size()))) for share in shares]
    print(json.dumps(result), flush=True)


def _psql(pg_base: str, sql: str) -> None:
    subprocess.run(["psql", f"{pg_base}/postgres", "-qAtc", sql], check=True, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batches", default="1000,10000", help="comma-separated numbers of new events")
    parser.add_argument("--shares", default="", help="comma-separated shares of the log, e.g. 0.1,0.2,0.3")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", nargs=2, metavar=("DB_URL", "DATA"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--small",
        action="store_true",
        help="a quick run: 2,000 leads, 20,000 events, batches of 200 and 2,000",
    )
    args = parser.parse_args()
    if args.small:
        args.leads, args.events, args.batches, args.shares = 2_000, 20_000, "200,2000", ""
    batches = [int(b) for b in args.batches.split(",") if b]
    shares = [float(s) for s in args.shares.split(",") if s]
    if args.child:
        child(args.child[0], Path(args.child[1]), batches, shares, args.seed)
        return
    tag = f"{args.leads}-{args.events}-{args.seed}"
    data = ROOT / "benchmarks" / "data" / f"dashboards-{tag}"
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "done").exists():
        gen = data_set.generate(args.leads, args.events, args.seed, data)
        (data / "done").write_text(json.dumps(gen))
    pg_base = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
    engines = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = []
    with tempfile.TemporaryDirectory(prefix="accord-refresh-bench-") as tmp:
        for engine in engines:
            name = f"accord_bench_refresh_{os.getpid()}"
            if engine == "sqlite":
                url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            else:
                _psql(pg_base, f"CREATE DATABASE {name}")
                url = f"{pg_base}/{name}"
            try:
                proc = subprocess.run(
                    [sys.executable, __file__, "--batches", args.batches, "--shares", args.shares,
                     "--seed", str(args.seed), "--child", url, str(data)],
                    capture_output=True, text=True, cwd=ROOT,
                )  # fmt: skip
            finally:
                if engine == "postgresql":
                    _psql(pg_base, f"DROP DATABASE IF EXISTS {name}")
            if proc.returncode:
                print(proc.stderr[-3000:], file=sys.stderr)
                raise SystemExit(proc.returncode)
            line = proc.stdout.strip().splitlines()[-1]
            print(line, flush=True)
            results.append(json.loads(line))
    print(
        f"\n{'db':<11} {'new events':>10} {'log':>9} {'leads':>7} {'refresh':>9} {'rebuild':>9} {'ratio':>7} "
        f"{'CPU ratio':>9}"
    )
    for r in results:
        for b in r["batches"] + r["shares"]:
            print(
                f"{r['db']:<11} {b['new_events']:>10} {b['log_events']:>9} {b['leads_touched']:>7} "
                f"{b['refresh_s']:>8.2f}s {b['rebuild_s']:>8.2f}s {b['refresh_over_rebuild']:>7.3f} "
                f"{b.get('cpu_ratio', '-'):>9}"
            )


if __name__ == "__main__":
    main()
