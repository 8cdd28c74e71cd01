"""Benchmark: the dashboards' queries at scale on SQLite and PostgreSQL, with DuckDB as reference.

    .venv/bin/python benchmarks/dashboards_bench.py --leads 100000 --events 1000000 --db both
    .venv/bin/python benchmarks/dashboards_bench.py --leads 1000000 --events 10000000 --db both --runs 3
    # load once, then re-run against copies of the loaded databases (minutes instead of an hour):
    .venv/bin/python benchmarks/dashboards_bench.py --leads 1000000 --events 10000000 --reuse-load

Steps, each timed:
1. generate seeded leads and events (stage histories through the funnel plus non-stage events up
   to ``--events``) into CSV files once, kept in ``--data`` (default
   ``benchmarks/data/dashboards-<leads>-<events>-<seed>/``, git-ignored) and reused by later runs,
   so every engine and every run gets the very same rows;
2. per database: a throwaway database (SQLite file in a temporary directory; PostgreSQL database
   ``accord_bench_<pid>`` on BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432, dropped
   afterwards unless ``--keep``), migrated; rows bulk-loaded (SQLite ``executemany`` in one
   transaction, PostgreSQL ``COPY``); then ``rollups_rebuild()`` (the same code the app runs).
   With ``--reuse-load`` the first run keeps a copy of each loaded database (``loaded.sqlite3`` in
   the data directory; PostgreSQL database ``accord_bench_<leads>_<events>_<seed>``, drop it by hand
   when done) and later runs start from a copy of it: migrations, the rollup rebuild and the
   measurements run again, the load does not;
3. per dashboard: every SQL statement it issues (the ``accord.reporting.metrics`` builders), run
   ``--runs`` times; the median of the summed time is the dashboard's query time; also the whole
   ``dashboard_build`` (Python included, attribution over no deals), uncut and with one cut each
   (rep, team, source, campaign, channel);
4. DuckDB: the tables those statements read copied from the first database (PostgreSQL when it
   runs) into an in-memory DuckDB, and the SAME SQL statements timed there; the ratio engine /
   DuckDB is reported.

Each database runs in a child process (Django is configured once per process). Output: JSON lines.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FUNNEL = ["inquiry", "mql", "sal", "sql", "opportunity", "customer"]
# Chance to go on to the next stage from each stage.
GO_ON = [0.55, 0.5, 0.7, 0.55, 0.35]
N_REPS, N_TEAMS, N_SOURCES, N_CAMPAIGNS = 40, 6, 8, 30
START = datetime(2024, 7, 1, tzinfo=UTC)
SPAN_DAYS = 730


def generate(leads: int, events: int, seed: int, out: Path) -> dict[str, float]:
    rng = random.Random(seed)
    t0 = time.perf_counter()
    n_events = 0
    with open(out / "leads.csv", "w", newline="") as lf, open(out / "events.csv", "w", newline="") as ef:
        lw, ew = csv.writer(lf), csv.writer(ef)
        expected_stages, reach = 1.0, 1.0  # stage events per lead, on average
        for chance in GO_ON:
            reach *= chance
            expected_stages += reach
        # The rest are non-stage events (touches, scores, assignments, decisions).
        per_lead_extra = max(0.0, events / leads - expected_stages)
        for lead in range(1, leads + 1):
            created = START + timedelta(seconds=rng.randrange(SPAN_DAYS * 86400))
            owner = rng.randrange(1, N_REPS + 1) if rng.random() < 0.8 else ""
            source = rng.randrange(1, N_SOURCES + 1)
            campaign = f"c{rng.randrange(1, N_CAMPAIGNS + 1)}" if rng.random() < 0.7 else ""
            at, stage = created, "inquiry"
            for i, stage in enumerate(FUNNEL):
                n_events += 1
                ew.writerow([n_events, "lead.stage_changed", lead, at.isoformat(sep=" "), stage, ""])
                if i == len(GO_ON) or rng.random() > GO_ON[i]:
                    break
                at += timedelta(seconds=rng.randrange(3600, 30 * 86400))
            extra = int(per_lead_extra) + (1 if rng.random() < per_lead_extra % 1 else 0)
            for _ in range(extra):
                n_events += 1
                kind = rng.choice(
                    ("lead.touched", "lead.scored", "lead.assigned", "lead.accepted", "lead.rejected")
                )
                actor = owner if kind in ("lead.accepted", "lead.rejected", "lead.touched") else ""
                ew.writerow(
                    [
                        n_events,
                        kind,
                        lead,
                        (created + timedelta(seconds=rng.randrange(40 * 86400))).isoformat(sep=" "),
                        "",
                        actor,
                    ]
                )
            lw.writerow([lead, created.isoformat(sep=" "), owner, source, campaign, stage])
    return {"generate_s": round(time.perf_counter() - t0, 1), "events": n_events}


# --- child: load, roll up, measure -----------------------------------------------------------------


def child(db_url: str, data: Path, runs: int, duck_dir: Path | None, preloaded: bool) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("ACCORD_DEBUG", "true")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from accord.leads.models import Lead

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    result: dict = {"db": vendor}
    if preloaded:
        result["load_s"] = "reused"
    else:
        t0 = time.perf_counter()
        _seed_dimensions()
        lead_cols, lead_defaults = _lead_columns(Lead)
        _bulk_load(connection, data, lead_cols, lead_defaults)
        result["load_s"] = round(time.perf_counter() - t0, 1)
    if vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    from accord.reporting.rollups import rollups_rebuild

    t0 = time.perf_counter()
    rollups_rebuild()
    result["rollup_rebuild_s"] = round(time.perf_counter() - t0, 1)
    if vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    from accord.reporting.metrics import run as query

    statements = dashboard_statements(query)
    result["dashboards"] = {}
    for kind, stmts in statements.items():
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            for sql, params in stmts:
                with connection.cursor() as c:
                    c.execute(sql, params)
                    c.fetchall()
            times.append(time.perf_counter() - t)
        result["dashboards"][kind] = {"queries": len(stmts), "median_s": round(statistics.median(times), 3)}
    from accord.reporting.metrics import Period
    from accord.reporting.selectors import dashboard_build

    for kind in statements:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            dashboard_build(kind, period=PERIOD())
            times.append(time.perf_counter() - t)
        result["dashboards"][kind]["whole_build_median_s"] = round(statistics.median(times), 3)
    # The same dashboards narrowed by one cut each (whole build): a breakdown by another dimension than
    # the cut's (e.g. the marketing page's by-source table for a team) reads the fine rollup tables.
    result["cuts"] = {}
    for cut in bench_cuts():
        result["cuts"][f"{cut.kind}={cut.value}"] = found = {}
        for kind in statements:
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                dashboard_build(kind, period=PERIOD(), cut=cut)
                times.append(time.perf_counter() - t)
            found[kind] = round(statistics.median(times), 3)
    with connection.cursor() as c:
        for table in (
            "stagedaily",
            "stagespan",
            "stagedailycut",
            "cohortdaily",
            "staydaily",
            "decisiondaily",
        ):
            c.execute(f"SELECT COUNT(*) FROM reporting_{table}")
            result[f"{table}_rows"] = c.fetchone()[0]
    if duck_dir is not None:
        _export_for_duckdb(connection, duck_dir)
        (duck_dir / "statements.json").write_text(json.dumps(statements, default=_encode))
    result["refresh_1000_events_s"] = _time_refresh(connection, 1000)
    print(json.dumps(result, default=str), flush=True)
    _ = Period


def _time_refresh(connection, n: int) -> float:
    """Append ``n`` stage events for ``n`` leads spread over the table (a minute's worth of activity at
    a busy site) and time the incremental ``rollups_refresh()`` that takes them in (run last: it
    changes the data)."""
    from accord.reporting.rollups import rollups_refresh

    with connection.cursor() as c:
        c.execute("SELECT MAX(id), COUNT(*) FROM leads_lead")
        top_lead, leads = c.fetchone()
        c.execute("SELECT MAX(id) FROM core_event")
        top = c.fetchone()[0]
        step = max(1, leads // n)
        c.executemany(
            "INSERT INTO core_event (id, type, subject_type, subject_id, channel, occurred_at, stage, payload) "
            "VALUES (%s, 'lead.stage_changed', 'lead', %s, 'system', %s, 'mql', '{}')",
            [
                (top + 1 + i, min(top_lead, 1 + i * step), datetime(2026, 6, 30, 12, tzinfo=UTC))
                for i in range(n)
            ],
        )
    t = time.perf_counter()
    rollups_refresh()
    return round(time.perf_counter() - t, 2)


def PERIOD():
    from accord.reporting.metrics import Period

    return Period(date(2026, 4, 1), date(2026, 7, 1), "FY2026 Q2")


def bench_cuts():
    from accord.people.models import Team
    from accord.reporting.metrics import Cut

    team = Team.objects.order_by("pk").values_list("pk", flat=True).first()
    return [
        Cut("rep", "1"),
        Cut("team", str(team)),
        Cut("source", "1"),
        Cut("campaign", "1"),
        Cut("channel", "email"),
    ]


def _encode(value):
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    raise TypeError(f"cannot encode {value!r}")


def _decode(value):
    if isinstance(value, dict):
        if "datetime" in value:
            return datetime.fromisoformat(value["datetime"])
        return date.fromisoformat(value["date"])
    return value


def dashboard_statements(query) -> dict[str, list[tuple[str, list]]]:
    """The SQL each dashboard issues (costs and names aside: they read a few small tables).

    The velocity percentiles take two statements, the second built from the first's rows, so
    ``query`` (run a statement, return its rows) runs the first on the database being measured; the
    DuckDB run gets the statements the PostgreSQL run used."""
    from accord.reporting import metrics as m
    from accord.reporting.selectors import months_before

    p, cut = PERIOD(), m.Cut()
    periods = [p, p.previous(), p.last_year()]
    now = datetime(2026, 7, 1, tzinfo=UTC)
    months = months_before(p.end)
    year = m.Period(months[0].start, months[-1].end)
    headline = [m.flow_sql(x, cut) for x in periods] + [m.cohort_sql(x, cut) for x in periods]
    velocity_buckets = m.velocity_buckets_sql(p, cut)
    _, picks, _ = m.velocity_picks(query(*velocity_buckets))
    return {
        "marketing": [*headline, m.flow_by_sql("source", p, cut), m.flow_by_sql("campaign", p, cut)],
        "sales": [
            m.flow_sql(p, cut),
            m.cohort_sql(p, cut),
            m.flow_by_sql("team", p, cut),
            m.flow_by_sql("rep", p, cut),
            m.acceptance_sql(p),
            m.sla_sql(p, now),
            velocity_buckets,
            *([m.velocity_pick_sql(p, cut, picks)] if picks else []),
        ],
        "executive": [*headline, m.daily_sql(year, cut), m.sla_sql(p, now)],
    }


def _seed_dimensions() -> None:
    from decimal import Decimal

    from accord.campaigns.models import Campaign, CostLine
    from accord.leads.models import Source
    from accord.people.models import Team, User

    teams = [Team.objects.create(name=f"Team {i}") for i in range(N_TEAMS)]
    User.objects.bulk_create(
        [User(id=i, username=f"rep{i}", team=teams[i % N_TEAMS]) for i in range(1, N_REPS + 1)]
    )
    Source.objects.bulk_create(
        [Source(id=i, name=f"Source {i}", public_key=f"k{i}") for i in range(1, N_SOURCES + 1)]
    )
    for i in range(1, N_CAMPAIGNS + 1):
        c = Campaign.objects.create(id=i, name=f"Campaign {i}", utm_campaign=f"c{i}", channel="email")
        CostLine.objects.create(
            campaign=c,
            amount=Decimal("12345.67"),
            period_start=date(2025, 1, 1),
            period_end=date(2026, 12, 31),
        )


def _lead_columns(model) -> tuple[list[str], dict[str, object]]:
    defaults = {}
    for f in model._meta.concrete_fields:
        if f.null or f.primary_key:
            continue
        value = f.get_default()
        if f.get_internal_type() == "JSONField":
            value = json.dumps(value)
        defaults[f.column] = value
    return list(defaults), defaults


# The lead columns the generated data sets per row; every other column takes its default.
EXPLICIT_LEAD_COLUMNS = (
    "id",
    "created_at",
    "updated_at",
    "owner_id",
    "source_id",
    "utm_campaign",
    "stage",
    "email",
    "email_key",
)


def _bulk_load(connection, data: Path, lead_cols: list[str], defaults: dict) -> None:
    fixed = [c for c in lead_cols if c not in EXPLICIT_LEAD_COLUMNS]
    cols = [*EXPLICIT_LEAD_COLUMNS, *fixed]
    rest = [defaults[c] for c in fixed]

    def lead_rows():
        with open(data / "leads.csv", newline="") as f:
            for lid, created, owner, source, campaign, stage in csv.reader(f):
                yield [
                    int(lid),
                    created,
                    created,
                    int(owner) if owner else None,
                    int(source),
                    campaign,
                    stage,
                    f"p{lid}@example.com",
                    f"p{lid}@example.com",
                    *rest,
                ]

    def event_rows():
        with open(data / "events.csv", newline="") as f:
            for eid, kind, lead, at, stage, actor in csv.reader(f):
                yield [
                    int(eid),
                    kind,
                    "lead",
                    int(lead),
                    int(actor) if actor else None,
                    "system",
                    at,
                    stage,
                    "{}",
                ]

    ecols = [
        "id",
        "type",
        "subject_type",
        "subject_id",
        "actor_id",
        "channel",
        "occurred_at",
        "stage",
        "payload",
    ]
    if connection.vendor == "sqlite":
        raw = connection.connection
        raw.execute("PRAGMA cache_size=-262144")
        raw.execute("BEGIN")
        raw.executemany(
            f"INSERT INTO leads_lead ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", lead_rows()
        )
        raw.executemany(
            f"INSERT INTO core_event ({', '.join(ecols)}) VALUES ({', '.join('?' * len(ecols))})",
            event_rows(),
        )
        raw.execute("COMMIT")
    else:
        with connection.cursor() as c:
            with c.cursor.copy(f"COPY leads_lead ({', '.join(cols)}) FROM STDIN") as copy:
                for row in lead_rows():
                    copy.write_row(row)
            with c.cursor.copy(f"COPY core_event ({', '.join(ecols)}) FROM STDIN") as copy:
                for row in event_rows():
                    copy.write_row(row)
            c.execute(
                "SELECT setval(pg_get_serial_sequence('core_event', 'id'), (SELECT MAX(id) FROM core_event))"
            )


# The tables the dashboards' statements read (the fine daily and fact tables and the raw events are
# not read by the uncut dashboards any more).
DUCK_TABLES = {
    "reporting_stagedailycut": "*",
    "reporting_cohortdaily": "*",
    "reporting_staydaily": "*",
    "reporting_decisiondaily": "*",
    "reporting_stagespan": "*",
    "people_user": "id, team_id",
    "campaigns_campaign": "id, channel",
    "sla_slaclock": "id, owner_id, due_at, met_at, breached_at, stopped_at",
}
DUCK_DATES = (
    ("reporting_stagedailycut", "day"),
    ("reporting_cohortdaily", "created_day"),
    ("reporting_staydaily", "exited_day"),
    ("reporting_decisiondaily", "day"),
    ("reporting_stagespan", "exited_day"),
)


def _export_for_duckdb(connection, out: Path) -> None:
    for table, cols in DUCK_TABLES.items():
        path = out / f"{table}.csv"
        with connection.cursor() as c:
            if connection.vendor == "postgresql":
                with (
                    open(path, "wb") as f,
                    c.cursor.copy(f"COPY (SELECT {cols} FROM {table}) TO STDOUT WITH CSV HEADER") as copy,
                ):
                    for chunk in copy:
                        f.write(chunk)
            else:
                c.execute(f"SELECT {cols} FROM {table}")
                with open(path, "w", newline="") as f:
                    w = csv.writer(f)
                    w.writerow([d[0] for d in c.description])
                    while rows := c.fetchmany(50000):
                        w.writerows(rows)


def duck(data: Path, runs: int) -> dict:
    import duckdb

    os.environ.setdefault("ACCORD_DEBUG", "true")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    con = duckdb.connect()
    t0 = time.perf_counter()
    for table in DUCK_TABLES:
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_csv_auto('{data / (table + '.csv')}', header=true)"
        )
    for table, col in DUCK_DATES:
        con.execute(f"ALTER TABLE {table} ALTER {col} TYPE DATE")
    for table in ("reporting_stagedailycut", "reporting_cohortdaily", "reporting_staydaily"):
        # The CSV reader takes the empty grain ("no dimension") for NULL.
        con.execute(f"ALTER TABLE {table} ALTER grain TYPE VARCHAR")
        con.execute(f"UPDATE {table} SET grain = '' WHERE grain IS NULL")
    for table, col in (
        ("sla_slaclock", "due_at"),
        ("sla_slaclock", "met_at"),
        ("sla_slaclock", "breached_at"),
        ("sla_slaclock", "stopped_at"),
    ):
        con.execute(f"ALTER TABLE {table} ALTER {col} TYPE TIMESTAMPTZ")
    out = {"db": "duckdb", "load_s": round(time.perf_counter() - t0, 1), "dashboards": {}}
    statements = json.loads((data / "statements.json").read_text())
    for kind, stmts in statements.items():
        stmts = [(sql.replace("%s", "?"), [_decode(v) for v in params]) for sql, params in stmts]
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            for sql, params in stmts:
                con.execute(sql, params).fetchall()
            times.append(time.perf_counter() - t)
        out["dashboards"][kind] = {"queries": len(stmts), "median_s": round(statistics.median(times), 3)}
    return out


def _psql(pg_base: str, sql: str, check: bool = True) -> str:
    out = subprocess.run(
        ["psql", f"{pg_base}/postgres", "-qAtc", sql], check=check, capture_output=True, text=True
    )
    return out.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--data",
        type=Path,
        help="directory for the generated CSVs and loaded copies "
        "(default benchmarks/data/dashboards-<leads>-<events>-<seed>)",
    )
    parser.add_argument(
        "--reuse-load",
        action="store_true",
        help="keep a copy of each loaded database (SQLite file in --data, PostgreSQL database "
        "accord_bench_<leads>_<events>_<seed>) and start later runs from it instead of loading again",
    )
    parser.add_argument(
        "--keep", action="store_true", help="do not drop the run's databases; print where they are"
    )
    parser.add_argument(
        "--child", nargs=4, metavar=("DB_URL", "DATA", "DUCK_DIR", "PRELOADED"), help=argparse.SUPPRESS
    )
    parser.add_argument("--duck", metavar="DIR", help=argparse.SUPPRESS)
    parser.add_argument(
        "--small", action="store_true", help="a quick run: 5,000 leads, 50,000 events, one run"
    )
    args = parser.parse_args()
    if args.small:
        args.leads, args.events, args.runs = 5_000, 50_000, 1
    if args.child:
        url, data, duck_dir, preloaded = args.child
        child(url, Path(data), args.runs, Path(duck_dir) if duck_dir != "-" else None, preloaded == "1")
        return
    if args.duck:
        print(json.dumps(duck(Path(args.duck), args.runs)), flush=True)
        return
    pg_base = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
    tag = f"{args.leads}_{args.events}_{args.seed}"
    data = args.data or ROOT / "benchmarks" / "data" / f"dashboards-{tag.replace('_', '-')}"
    data.mkdir(parents=True, exist_ok=True)
    if (data / "done").exists():
        print(json.dumps({"leads": args.leads, "generate_s": "reused", "data": str(data)}), flush=True)
    else:
        gen = generate(args.leads, args.events, args.seed, data)
        (data / "done").write_text(json.dumps(gen))
        print(json.dumps({"leads": args.leads, **gen}), flush=True)
    # PostgreSQL first: the DuckDB reference is exported from it when it runs.
    engines = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    results = []
    with tempfile.TemporaryDirectory(prefix="accord-dash-bench-") as tmp:
        tmpdir = Path(tmp)
        run_dir = Path(tempfile.mkdtemp(prefix="accord-dash-bench-db-")) if args.keep else tmpdir
        for engine in engines:
            duck_dir = str(tmpdir) if engine == engines[0] else "-"
            preloaded = False
            if engine == "sqlite":
                path = run_dir / "bench.sqlite3"
                cached = data / "loaded.sqlite3"
                if args.reuse_load and cached.exists():
                    shutil.copyfile(cached, path)
                    preloaded = True
                url = f"sqlite:///{path}"
            else:
                name = f"accord_bench_{os.getpid()}"
                cached_db = f"accord_bench_{tag}"
                exists = _psql(pg_base, f"SELECT 1 FROM pg_database WHERE datname = '{cached_db}'")
                if args.reuse_load and exists:
                    _psql(pg_base, f"CREATE DATABASE {name} TEMPLATE {cached_db}")
                    preloaded = True
                else:
                    _psql(pg_base, f"CREATE DATABASE {name}")
                url = f"{pg_base}/{name}"
            try:
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--runs",
                        str(args.runs),
                        "--child",
                        url,
                        str(data),
                        duck_dir,
                        "1" if preloaded else "0",
                    ],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                if proc.returncode:
                    print(proc.stderr[-3000:], file=sys.stderr)
                    raise SystemExit(proc.returncode)
                line = proc.stdout.strip().splitlines()[-1]
                print(line, flush=True)
                results.append(json.loads(line))
                if args.reuse_load and not preloaded:
                    # The copy keeps the loaded rows; the next run migrates it and rebuilds the rollups.
                    if engine == "sqlite":
                        shutil.copyfile(path, data / "loaded.sqlite3")
                    else:
                        _psql(pg_base, f"CREATE DATABASE {cached_db} TEMPLATE {name}")
            finally:
                if args.keep:
                    print(json.dumps({"kept": url}), flush=True)
                elif engine == "postgresql":
                    _psql(pg_base, f"DROP DATABASE IF EXISTS {name}", check=False)
        proc = subprocess.run(
            [sys.executable, __file__, "--runs", str(args.runs), "--duck", str(tmpdir)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if proc.returncode:
            print(proc.stderr[-3000:], file=sys.stderr)
            raise SystemExit(proc.returncode)
        duck_result = json.loads(proc.stdout.strip().splitlines()[-1])
        print(json.dumps(duck_result), flush=True)
        print(f"\n{'dashboard':<10} " + " ".join(f"{r['db']:>22}" for r in results) + f" {'duckdb':>10}")
        for kind in duck_result["dashboards"]:
            d = duck_result["dashboards"][kind]["median_s"]
            cells = [
                f"{r['dashboards'][kind]['median_s']:>8.3f}s (x{r['dashboards'][kind]['median_s'] / max(d, 1e-6):>6.1f})"
                for r in results
            ]
            print(f"{kind:<10} " + " ".join(f"{c:>22}" for c in cells) + f" {d:>9.3f}s")


if __name__ == "__main__":
    main()
