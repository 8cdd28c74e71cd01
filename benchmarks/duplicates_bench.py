"""Benchmark: the possible-duplicates page against a bare indexed query, in the same run, on SQLite and
PostgreSQL.

    .venv/bin/python benchmarks/duplicates_bench.py                       # 100k leads, both databases
    .venv/bin/python benchmarks/duplicates_bench.py --leads 1000000 --db sqlite --runs 9
    .venv/bin/python benchmarks/duplicates_bench.py --profile --db sqlite  # cProfile of one page

Per database, in a child process (Django configured once): a throwaway database (SQLite file in a
temporary directory; PostgreSQL ``accord_bench_dups_<pid>`` on BENCH_PG_URL, default
postgresql://postgres@127.0.0.1:5432, dropped afterwards) is migrated and loaded with plain SQL:
``--leads`` leads, one open possible-duplicate pair per 50 leads and as many resolved ones, 1% of the
leads merged away and 0.5% in the trash (pairs naming them must not show). Then, each ``--runs``
times: the page ``/leads/duplicates/`` (the first page, and the 20th by its keyset cursor) through Django's test client as a
marketing user, and the bare query: the page's 50 pairs straight from the table by its index, with
both leads' names (one SQL statement, no access rules, no template). Output: medians, the page's
query count, and ratio = page / bare query.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
BARE_SQL = """
SELECT d.id, d.similarity, d.reason, d.created_at,
       a.id, a.first_name, a.last_name, a.email, a.company,
       b.id, b.first_name, b.last_name, b.email, b.company
FROM leads_possibleduplicate d
JOIN leads_lead a ON a.id = d.lead_id
JOIN leads_lead b ON b.id = d.other_id
WHERE d.status = 'open'
ORDER BY d.similarity DESC, d.created_at DESC, d.id DESC
LIMIT 50
"""


def _lead_columns(model) -> tuple[list[str], dict[str, object]]:
    defaults: dict[str, object] = {}
    for f in model._meta.concrete_fields:
        if f.null or f.primary_key:
            continue
        value = f.get_default()
        if f.get_internal_type() == "JSONField":
            value = json.dumps(value)
        defaults[f.column] = value
    return list(defaults), defaults


def load(connection, leads: int, seed: int) -> dict[str, int]:
    from accord.leads.models import Lead

    rng = random.Random(seed)
    cols, defaults = _lead_columns(Lead)
    explicit = [
        "id",
        "created_at",
        "updated_at",
        "stage",
        "email",
        "email_key",
        "first_name",
        "last_name",
        "company",
    ]
    fixed = [c for c in cols if c not in explicit]
    names = ["Ann", "Bob", "Cara", "Dev", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo"]
    rows = []
    for i in range(1, leads + 1):
        at = NOW - timedelta(minutes=i)
        email = f"p{i}@co{i % 5000}.example"
        rows.append(
            [i, at, at, rng.choice(["inquiry", "mql", "nurture", "sal"]), email, email,
             rng.choice(names), f"Last{i % 997}", f"Company {i % 5000}", *[defaults[c] for c in fixed]]
        )  # fmt: skip
    marks = ", ".join(["%s"] * (len(explicit) + len(fixed)))
    quoted = ", ".join(connection.ops.quote_name(c) for c in [*explicit, *fixed])
    pairs: list[tuple] = []
    seen: set[tuple[int, int]] = set()
    for n in range(leads // 25):
        a = rng.randrange(1, leads + 1)
        b = rng.randrange(1, leads + 1)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        at = NOW - timedelta(seconds=n)
        status = "open" if n % 2 == 0 else rng.choice(["merged", "dismissed"])
        pairs.append((at, at, a, b, "same phone, similar name", rng.randrange(60, 100), status))
    with connection.cursor() as c:
        c.executemany(f"INSERT INTO leads_lead ({quoted}) VALUES ({marks})", rows)
        merged = rng.sample(range(2, leads + 1), leads // 100)
        c.executemany("UPDATE leads_lead SET merged_into_id = 1 WHERE id = %s", [(m,) for m in merged])
        c.executemany(
            "INSERT INTO leads_possibleduplicate (created_at, updated_at, lead_id, other_id, reason, similarity, "
            "status) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            pairs,
        )
    trashed = rng.sample(range(2, leads + 1), leads // 200)
    with connection.cursor() as c:
        c.executemany(
            "INSERT INTO privacy_leadtrash (lead_id, created_at, updated_at, deleted_at, reason) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(t, NOW, NOW, NOW, "bench") for t in trashed],
        )
    with connection.cursor() as c:
        c.execute("ANALYZE")
    return {"leads": leads, "pairs": len(pairs), "open": sum(1 for p in pairs if p[-1] == "open")}


def child(db_url: str, leads: int, runs: int, seed: int, profile: bool) -> None:
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("ACCORD_DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from accord.people.models import Role, User, UserRole

    started = time.perf_counter()
    counts = load(connection, leads, seed)
    load_s = time.perf_counter() - started
    alice = User.objects.create(username="bench-marketing")
    UserRole.objects.create(user=alice, role=Role.MARKETING)
    client = Client()
    client.force_login(alice)

    def page(url: str) -> float:
        t = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, response.status_code
        return elapsed

    def bare() -> float:
        t = time.perf_counter()
        with connection.cursor() as c:
            c.execute(BARE_SQL)
            c.fetchall()
        return time.perf_counter() - t

    from accord.leads.selectors import duplicate_queue

    after = ""
    for _ in range(19):  # the cursor of the 20th page, as "Next" 19 times would give it
        after = duplicate_queue(user=alice, after=after).next_after or after
    later_url = f"/leads/duplicates/?after={after}"
    for url in ("/leads/duplicates/", later_url):
        page(url)  # warm
    bare()
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        page("/leads/duplicates/")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    with CaptureQueriesContext(connection) as ctx:
        page("/leads/duplicates/")
    slowest = sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:3]
    reset_queries()
    first = [page("/leads/duplicates/") for _ in range(runs)]
    later = [page(later_url) for _ in range(runs)]
    raw = [bare() for _ in range(runs)]
    result = {
        "db": connection.vendor,
        **counts,
        "load_s": round(load_s, 1),
        "page_ms": round(statistics.median(first) * 1000, 1),
        "page20_ms": round(statistics.median(later) * 1000, 1),
        "bare_ms": round(statistics.median(raw) * 1000, 2),
        "queries": len(ctx.captured_queries),
        "ratio": round(statistics.median(first) / statistics.median(raw), 1),
        "slowest_queries": [
            {"ms": round(float(q["time"]) * 1000, 1), "sql": q["sql"][:160]} for q in slowest
        ],
    }
    print(json.dumps(result))


def _psql(base: str, sql: str) -> None:
    subprocess.run(["psql", f"{base}/postgres", "-qAtc", sql], check=True, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("DB_URL", "UNUSED"), help=argparse.SUPPRESS)
    parser.add_argument("--small", action="store_true", help="a quick run: 5,000 leads, 3 runs")
    args = parser.parse_args()
    if args.small and not args.child:
        args.leads, args.runs = 5_000, 3
    if args.child:
        child(args.child[0], args.leads, args.runs, args.seed, args.profile)
        return
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    lines = []
    for db in databases:
        with tempfile.TemporaryDirectory() as tmp:
            if db == "sqlite":
                url = f"sqlite:///{tmp}/bench.sqlite3"
            else:
                base = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
                name = f"accord_bench_dups_{os.getpid()}"
                _psql(base, f"CREATE DATABASE {name}")
                url = f"{base}/{name}"
            try:
                command = [sys.executable, __file__, "--child", url, "-", "--leads", str(args.leads),
                           "--runs", str(args.runs), "--seed", str(args.seed)]  # fmt: skip
                if args.profile:
                    command.append("--profile")
                out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
                if args.profile:
                    print(out.stdout)
                lines.append(json.loads(out.stdout.strip().splitlines()[-1]))
            finally:
                if db == "postgresql":
                    _psql(base, f"DROP DATABASE IF EXISTS {name}")
    for line in lines:
        print(json.dumps(line))
    print("\n| db | leads | open pairs | page 1 | page 20 | queries | bare indexed query | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for r in lines:
        print(f"| {r['db']} | {r['leads']:,} | {r['open']:,} | {r['page_ms']} ms | {r['page20_ms']} ms | "
              f"{r['queries']} | {r['bare_ms']} ms | {r['ratio']} |")  # fmt: skip


if __name__ == "__main__":
    main()
