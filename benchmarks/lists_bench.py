"""Benchmark: the record lists at scale: lead list page, a saved view, the API list, the inbox and the
top bar's search, each against a bare indexed query measured in the same run.

    .venv/bin/python benchmarks/lists_bench.py --leads 100000 --db both
    .venv/bin/python benchmarks/lists_bench.py --leads 1000000 --db both --runs 15

Steps:
1. the leads (and their stage events) come from the dashboards benchmark's seeded generator
   (``dashboards_bench.generate``, cached in ``benchmarks/data/lists-<leads>-<seed>/``), bulk-loaded by
   its loader into a throwaway migrated database (SQLite file in a temporary directory; PostgreSQL
   ``accord_bench_lists_<pid>`` on BENCH_PG_URL, dropped afterwards); names, companies, scores and the
   stage date are then filled in with one UPDATE, one account per 40 leads is created and indexed for
   the full-text search, and ``ANALYZE`` runs (as after an import);
2. in one process, Django's test client signed in as a marketer (who sees every lead) and as a rep
   (who sees their own and their team's), each request is made ``--runs`` times after two warm-up
   requests; the median time and the query count are reported, with the ratio to the bare query;
3. the bare query: ``SELECT id, email, created_at FROM leads_lead ORDER BY created_at DESC LIMIT 50``
   through the same connection (what any list of the newest 50 rows costs at least);
4. the plan of the slowest SQL statement of each request (``EXPLAIN`` on SQLite, ``EXPLAIN ANALYZE``
   on PostgreSQL), for benchmarks/README.md.

Output: JSON lines, then a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import dashboards_bench as dash  # noqa: E402  (the generator and loader of the generated data sets)

ACCOUNT_EVERY = 40


def _prepare(connection) -> dict[str, float]:
    """Names, companies, scores and stage dates; accounts every 40 leads, indexed; ANALYZE."""
    from django.utils import timezone

    from accord.core import fulltext
    from accord.leads.models import Account, Lead
    from accord.people.models import User, UserRole
    from accord.records.selectors import account_document

    t0 = time.perf_counter()
    n = Lead.objects.count()
    if connection.vendor == "postgresql":  # the generated rows came with their ids
        with connection.cursor() as c:
            for table in ("people_user", "leads_lead", "leads_source", "campaigns_campaign"):
                c.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
    with connection.cursor() as c:
        concat = "||"
        c.execute(
            f"UPDATE leads_lead SET first_name = 'First' {concat} (id % 997), "
            f"last_name = 'Last' {concat} (id % 4999), company = 'Company ' {concat} (id / {ACCOUNT_EVERY}), "
            "score = id % 100, stage_changed_at = created_at, explanation = 'Title contains VP +30'"
        )
    now = timezone.now()
    accounts = [
        Account(
            name=f"Company {i} Holdings", name_key=f"company {i} holdings", created_at=now, updated_at=now
        )
        for i in range(n // ACCOUNT_EVERY + 1)
    ]
    Account.objects.bulk_create(accounts, batch_size=5000)
    fulltext.index_documents(
        "account", (account_document(a) for a in Account.objects.iterator(chunk_size=5000))
    )
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute(
                "UPDATE leads_lead l SET account_id = a.id FROM leads_account a "
                f"WHERE a.name = 'Company ' || (l.id / {ACCOUNT_EVERY}) || ' Holdings'"
            )
        else:
            c.execute(
                "UPDATE leads_lead SET account_id = (SELECT a.id FROM leads_account a "
                f"WHERE a.name = 'Company ' || (leads_lead.id / {ACCOUNT_EVERY}) || ' Holdings')"
            )
    _seed_clocks(connection, now)
    marketer = User.objects.create(username="marketer", first_name="Mara")
    UserRole.objects.create(user=marketer, role="marketing")
    for rep in User.objects.filter(username__startswith="rep"):
        UserRole.objects.create(user=rep, role="sales_rep")
    prepared = time.perf_counter() - t0
    t1 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("ANALYZE")
    return {"prepare_s": round(prepared, 1), "analyze_s": round(time.perf_counter() - t1, 1)}


CLOCK_OPEN_EVERY = 10  # one owned lead in the inbox's stages in 10 has a running clock


def _seed_clocks(connection, now) -> None:
    """SLA clocks and touches, as the inbox reads them: every owned lead in the inbox's stages has a
    clock (accept for an MQL, first touch for an SAL, next touch later on); one in ten is still running,
    due from 60 hours ago to 36 hours ahead (overdue, due today, due later), and one in fifty MQLs has a
    second running clock (first touch, due later); the others were met two hours after the lead came in,
    with a touch by the owner then."""
    from accord.sla.models import SlaPolicy

    policy = SlaPolicy.objects.create(name="Default", is_default=True)
    stages = "('mql', 'sal', 'sql', 'opportunity')"
    kind = "CASE stage WHEN 'mql' THEN 'accept' WHEN 'sal' THEN 'first_touch' ELSE 'next_touch' END"
    if connection.vendor == "postgresql":
        hours = "(id %% 97 - 60) * interval '1 hour'"
        due_open, start_open = f"%s::timestamptz + {hours}", f"%s::timestamptz + {hours} - interval '8 hours'"
        plus = lambda col, h: f"{col} + interval '{h} hours'"  # noqa: E731
        stamp = now
    else:
        due_open = "datetime(%s, (id %% 97 - 60) || ' hours')"
        start_open = "datetime(%s, (id %% 97 - 68) || ' hours')"
        plus = lambda col, h: f"datetime({col}, '+{h} hours')"  # noqa: E731
        stamp = now.strftime("%Y-%m-%d %H:%M:%S")
    cols = (
        "created_at, updated_at, lead_id, kind, policy_id, owner_id, started_at, due_at, "
        "escalated_level, met_at, stop_reason"
    )
    owned = f"FROM leads_lead WHERE owner_id IS NOT NULL AND stage IN {stages}"
    with connection.cursor() as c:
        c.execute(
            f"INSERT INTO sla_slaclock ({cols}) SELECT created_at, created_at, id, {kind}, %s, owner_id, "
            f"{start_open}, {due_open}, 0, NULL, '' {owned} AND id %% {CLOCK_OPEN_EVERY} = 0",
            [policy.pk, stamp, stamp],
        )
        c.execute(
            f"INSERT INTO sla_slaclock ({cols}) SELECT created_at, created_at, id, 'first_touch', %s, "
            f"owner_id, %s, {plus('%s', 100)}, 0, NULL, '' {owned} AND stage = 'mql' AND id %% 50 = 0",
            [policy.pk, stamp, stamp],
        )
        c.execute(
            f"INSERT INTO sla_slaclock ({cols}) SELECT created_at, created_at, id, {kind}, %s, owner_id, "
            f"created_at, {plus('created_at', 8)}, 0, {plus('created_at', 2)}, '' {owned} "
            f"AND id %% {CLOCK_OPEN_EVERY} <> 0",
            [policy.pk],
        )
        c.execute(
            "INSERT INTO sla_touch (created_at, updated_at, lead_id, user_id, kind, outcome, note, "
            f"occurred_at, channel) SELECT created_at, created_at, id, owner_id, 'call', '', '', "
            f"{plus('created_at', 2)}, 'page' {owned} AND id %% {CLOCK_OPEN_EVERY} <> 0",
            [],
        )


def _median_ms(call, runs: int) -> float:
    for _ in range(2):
        call()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def _plan(connection, sql: str, params) -> str:
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        else:
            c.execute("EXPLAIN QUERY PLAN " + sql, params)
        rows = c.fetchall()
    return "\n".join(" | ".join(str(x) for x in row) for row in rows)


def child(db_url: str, data: Path, runs: int, preloaded: bool, only: str = "") -> None:
    os.environ["DATABASE_URL"] = db_url
    # Production mode, as `accord run` serves (DEBUG logs every query and renders templates slower).
    os.environ.setdefault("ACCORD_DEBUG", "false")
    os.environ.setdefault("ACCORD_SECRET_KEY", "lists-benchmark-" + "x" * 60)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accord.core.models import SavedView
    from accord.leads.models import Lead
    from accord.people.models import User
    from accord.people.services import api_token_create

    call_command("migrate", verbosity=0)
    result: dict = {"db": connection.vendor}
    if preloaded:  # --keep: the database of an earlier run, migrated to this code, analysed again
        with connection.cursor() as c:
            c.execute("ANALYZE")
    else:
        t0 = time.perf_counter()
        dash._seed_dimensions()
        lead_cols, lead_defaults = dash._lead_columns(Lead)
        dash._bulk_load(connection, data, lead_cols, lead_defaults)
        result["load_s"] = round(time.perf_counter() - t0, 1)
        result.update(_prepare(connection))
    result["leads"] = Lead.objects.count()

    marketer = User.objects.get(username="marketer")
    rep = User.objects.get(username="rep5")
    view, _ = SavedView.objects.get_or_create(
        owner=marketer,
        list_name="leads",
        name="MQLs older than 2 days, best first",
        query="sort=-score&ff=stage&fo=is&fv=mql&ff=stage_since&fo=older_than_days&fv=2",
        defaults={"shared": True},
    )
    as_marketer, as_rep = Client(), Client()
    as_marketer.force_login(marketer)
    as_rep.force_login(rep)
    raw, _ = api_token_create(user=marketer, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    def bare() -> None:
        with connection.cursor() as c:
            c.execute("SELECT id, email, created_at FROM leads_lead ORDER BY created_at DESC LIMIT 50")
            c.fetchall()

    requests = {
        "lead list page (marketing)": lambda: as_marketer.get("/leads/"),
        "lead list page, stage filter": lambda: as_marketer.get("/leads/?stage=mql"),
        "saved view (MQLs older than 2 days, best first)": lambda: as_marketer.get(
            f"/leads/?{view.query}&view={view.pk}"
        ),
        "saved view as a rep (my MQLs older than 2 days)": lambda: as_rep.get(
            "/leads/?ff=owner&fo=is&fv=me&ff=stage&fo=is&fv=mql&ff=stage_since&fo=older_than_days&fv=2"
        ),
        "lead list page (rep)": lambda: as_rep.get("/leads/"),
        "GET /api/v1/leads": lambda: api.get("/api/v1/leads"),
        "GET /api/v1/leads?filter=stage:is:mql&sort=-score": lambda: api.get(
            "/api/v1/leads", {"filter": "stage:is:mql", "sort": "-score"}
        ),
        "inbox (rep)": lambda: as_rep.get("/inbox/"),
        "search as you type 'company 123' (marketing)": lambda: as_marketer.get(
            "/search/", {"q": "company 123"}, headers={"HX-Request": "true"}
        ),
        "search as you type 'last12' (rep)": lambda: as_rep.get(
            "/search/", {"q": "last12"}, headers={"HX-Request": "true"}
        ),
    }
    if only:
        requests = {name: call for name, call in requests.items() if only in name}
    bare_ms = _median_ms(bare, runs * 3)
    result["bare_ms"] = bare_ms
    measured = {}
    for name, call in requests.items():
        response = call()
        assert response.status_code == 200, (name, response.status_code, response.content[:500])
        with CaptureQueriesContext(connection) as queries:  # logs the statements even with DEBUG off
            call()
        captured = list(queries.captured_queries)
        if name.startswith("inbox"):
            result["inbox_statements"] = [
                {
                    "ms": round(float(q["time"]) * 1000, 2),
                    "sql": q["sql"],
                    "plan": _plan(connection, q["sql"], None),
                }
                for q in captured
                if any(t in q["sql"] for t in ("leads_lead", "sla_slaclock", "sla_touch", "core_event"))
            ]
        slowest = max(captured, key=lambda q: float(q["time"]))
        reset_queries()
        ms = _median_ms(call, runs)
        measured[name] = {
            "median_ms": ms,
            "ratio_to_bare": round(ms / max(bare_ms, 0.001), 1),
            "queries": len(captured),
            "sql_ms": round(sum(float(q["time"]) for q in captured) * 1000, 2),
            "slowest_sql_ms": round(float(slowest["time"]) * 1000, 2),
            "slowest_sql": slowest["sql"][:3000],
        }
        if os.environ.get("LISTS_BENCH_PROFILE") == name:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.runcall(lambda call=call: [call() for _ in range(5)])
            pstats.Stats(profile, stream=sys.stderr).sort_stats(
                os.environ.get("LISTS_BENCH_SORT", "cumulative")
            ).print_stats(60)
    result["requests"] = measured
    if only:
        print(json.dumps(result), flush=True)
        return
    # Plans of the list's main statements, with the values bound by Django (re-built here).
    from accord.leads.listing import LEAD_LIST
    from accord.leads.selectors import LeadFilters, lead_list

    plans = {}
    lq = LEAD_LIST.parse(cols=None, sort=None, conditions=[])
    page = LEAD_LIST.apply(lead_list(user=marketer, filters=LeadFilters()), lq, user=marketer)[:51]
    sql, params = page.query.sql_with_params()
    plans["lead list page, first page (marketing)"] = _plan(connection, sql, params)
    view_q = LEAD_LIST.parse(
        sort="-score", conditions=[("stage", "is", "mql"), ("stage_since", "older_than_days", "2")]
    )
    vq = LEAD_LIST.apply(lead_list(user=marketer, filters=LeadFilters()), view_q, user=marketer)[:51]
    sql, params = vq.query.sql_with_params()
    plans["saved view, first page"] = _plan(connection, sql, params)
    rq = LEAD_LIST.apply(lead_list(user=rep, filters=LeadFilters()), lq, user=rep)[:51]
    sql, params = rq.query.sql_with_params()
    plans["lead list page, first page (rep)"] = _plan(connection, sql, params)
    capped = (
        lead_list(user=marketer, filters=LeadFilters()).filter(stage="mql").order_by().values("pk")[:1001]
    )
    sql, params = capped.query.sql_with_params()
    plans["capped count of one stage (up to 1,001 rows)"] = _plan(
        connection, f"SELECT COUNT(*) FROM ({sql}) AS capped", params
    )
    result["plans"] = plans
    print(json.dumps(result), flush=True)


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
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", nargs=3, metavar=("DB_URL", "DATA", "PRELOADED"), help=argparse.SUPPRESS)
    parser.add_argument("--small", action="store_true", help="a quick run: 5,000 leads, 5 runs")
    parser.add_argument("--only", default="", help="measure only the requests whose name contains this")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the loaded databases (SQLite in the data directory, PostgreSQL "
        "accord_bench_lists_keep_<leads>_<seed>) and start later runs from them, migrated, instead of loading",
    )
    args = parser.parse_args()
    if args.small:
        args.leads, args.runs = 5_000, 5
    if args.child:
        url, data, preloaded = args.child
        child(url, Path(data), args.runs, preloaded == "1", args.only)
        return
    pg_base = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
    data = ROOT / "benchmarks" / "data" / f"lists-{args.leads}-{args.seed}"
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "done").exists():
        gen = dash.generate(args.leads, 0, args.seed, data)
        (data / "done").write_text(json.dumps(gen))
    engines = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    results = []
    with tempfile.TemporaryDirectory(prefix="accord-lists-bench-") as tmp:
        for engine in engines:
            name = f"accord_bench_lists_{os.getpid()}"
            marker = data / f"kept-{engine}"
            if args.keep:
                name = f"accord_bench_lists_keep_{args.leads}_{args.seed}"
            preloaded = args.keep and marker.exists()
            if engine == "sqlite":
                url = f"sqlite:///{(data if args.keep else Path(tmp)) / 'bench.sqlite3'}"
                if args.keep and not preloaded:
                    (data / "bench.sqlite3").unlink(missing_ok=True)
            else:
                if args.keep and not preloaded:
                    _psql(pg_base, f"DROP DATABASE IF EXISTS {name}", check=False)
                if not preloaded:
                    _psql(pg_base, f"CREATE DATABASE {name}")
                url = f"{pg_base}/{name}"
            try:
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--runs",
                        str(args.runs),
                        "--only",
                        args.only,
                        "--child",
                        url,
                        str(data),
                        "1" if preloaded else "0",
                    ],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                )
                if proc.returncode:
                    print(proc.stderr[-4000:], file=sys.stderr)
                    raise SystemExit(proc.returncode)
                line = proc.stdout.strip().splitlines()[-1]
                print(line, flush=True)
                results.append(json.loads(line))
                if args.keep:
                    marker.write_text("loaded\n")
            finally:
                if engine == "postgresql" and not args.keep:
                    _psql(pg_base, f"DROP DATABASE IF EXISTS {name}", check=False)
    print()
    print(f"{'request':<52} " + " ".join(f"{r['db'] + ' (ms, x bare, queries)':>34}" for r in results))
    print(f"{'bare indexed query':<52} " + " ".join(f"{r['bare_ms']:>34.2f}" for r in results))
    for name in results[0]["requests"]:
        cells = []
        for r in results:
            m = r["requests"][name]
            cells.append(f"{m['median_ms']:>8.1f} x{m['ratio_to_bare']:>7.1f} {m['queries']:>4}")
        print(f"{name:<52} " + " ".join(f"{c:>34}" for c in cells))


if __name__ == "__main__":
    main()
