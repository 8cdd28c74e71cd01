"""Benchmark: the CSV lead import against a raw insert of the same rows.

    .venv/bin/python benchmarks/import_bench.py --rows 100000 --db sqlite
    .venv/bin/python benchmarks/import_bench.py --rows 100000 --db postgresql --runs 3
    .venv/bin/python benchmarks/import_bench.py --rows 1000000 --db both --runs 1

For every run: a fresh, migrated database (SQLite in a temporary directory; PostgreSQL: a throwaway
database created and dropped, server from BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432),
an active criteria set of 20 rules, then in one child process:

1. the real import path (``accord.intake.importing.engine.leads_import``) over the generated CSV, timed;
   peak memory is the child's ``ru_maxrss`` right after it;
2. the baseline: the leads the import stored, re-inserted with the same writer technique the
   import uses at its best (SQLite ``executemany`` in one transaction; PostgreSQL ``COPY``, and
   ``executemany`` for reference) into a table with the same columns and indexes as the lead table.

The CSV is generated from a fixed seed: corporate and free-mail addresses, companies that repeat
(so account matching has work), about 1% bad rows and 2% in-file duplicates. Figures are printed
as JSON lines and as a table; medians over ``--runs``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"  # git-ignored
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")

FIRST = [
    "Ada",
    "Bob",
    "Carla",
    "Dev",
    "Emma",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jon",
    "Kemal",
    "Lena",
    "Mia",
    "Noor",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wei",
    "Xena",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Lovelace",
    "Smith",
    "García",
    "Müller",
    "Nguyen",
    "Okafor",
    "Rossi",
    "Kowalski",
    "Tanaka",
    "Dubois",
    "Johansson",
    "Silva",
    "Novak",
    "Haddad",
    "Khan",
    "O'Brien",
    "Schmidt",
    "Costa",
    "Larsen",
    "Ivanova",
]
TITLES = [
    "VP Sales",
    "Head of Marketing",
    "Director of IT",
    "Chief Technology Officer",
    "Engineer",
    "Analyst",
    "Student",
    "Office Manager",
    "VP Engineering",
    "Product Manager",
    "Consultant",
    "CEO",
    "Intern",
    "",
]
INDUSTRIES = [
    "Healthcare",
    "Financial services",
    "Software",
    "Retail",
    "Manufacturing",
    "Education",
    "Energy",
    "",
]
COUNTRIES = [
    "US",
    "United Kingdom",
    "Germany",
    "France",
    "Netherlands",
    "Spain",
    "Canada",
    "Japan",
    "Brazil",
    "",
]
FREE = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "gmx.de", "icloud.com"]
SUFFIX = ["Inc", "Ltd", "GmbH", "LLC", "Group", "SA", "", "", ""]
WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Gringotts",
    "Oscorp",
    "Massive",
    "Dynamic",
    "Blue",
    "North",
    "Quantum",
    "Apex",
]
HEADER = [
    "Email",
    "First Name",
    "Last Name",
    "Company",
    "Title",
    "Employees",
    "Phone",
    "Country",
    "Industry",
    "Lead Source",
    "utm_source",
    "utm_campaign",
    "Activity",
    "Favourite Product",
]

RULES = [
    {"kind": "fit", "field": "title", "operator": "contains", "value": "VP", "points": 20},
    {"kind": "fit", "field": "title", "operator": "regex", "value": "^(head|director|chief)", "points": 20},
    {"kind": "fit", "field": "title", "operator": "equals", "value": "CEO", "points": 25},
    {"kind": "fit", "field": "company_size", "operator": "gte", "value": 200, "points": 15},
    {"kind": "fit", "field": "company_size", "operator": "gte", "value": 1000, "points": 10},
    {
        "kind": "fit",
        "field": "industry",
        "operator": "in",
        "value": ["Healthcare", "Financial services"],
        "points": 10,
    },
    {
        "kind": "fit",
        "field": "country",
        "operator": "in",
        "value": ["US", "United Kingdom", "Germany"],
        "points": 5,
    },
    {"kind": "fit", "field": "email_domain", "operator": "present", "value": "", "points": 1},
    {"kind": "fit", "field": "account.name", "operator": "present", "value": "", "points": 5},
    {"kind": "fit", "field": "account.size", "operator": "gte", "value": 500, "points": 5},
    {"kind": "fit", "field": "phone", "operator": "present", "value": "", "points": 3},
    {"kind": "fit", "field": "utm_source", "operator": "equals", "value": "linkedin", "points": 4},
    {
        "kind": "fit",
        "field": "lead_source",
        "operator": "in",
        "value": ["Webinar", "Trade show"],
        "points": 6,
    },
    {
        "kind": "fit",
        "field": "custom.favourite_product",
        "operator": "equals",
        "value": "Ledger",
        "points": 3,
    },
    {
        "kind": "engagement",
        "field": "activity",
        "operator": "equals",
        "value": "demo_request",
        "points": 30,
        "half_life_days": 30,
    },
    {
        "kind": "engagement",
        "field": "activity",
        "operator": "equals",
        "value": "webinar",
        "points": 10,
        "half_life_days": 60,
    },
    {"kind": "engagement", "field": "activity", "operator": "present", "value": "", "points": 2},
    {"kind": "engagement", "field": "channel", "operator": "equals", "value": "import", "points": 1},
    {
        "kind": "disqualifier",
        "field": "email_domain",
        "operator": "in",
        "value": ["competitor.com"],
        "points": 0,
    },
    {"kind": "disqualifier", "field": "title", "operator": "contains", "value": "student", "points": 0},
]


# --- the file ------------------------------------------------------------------------------------------


def generate(rows: int, seed: int = 2026) -> Path:
    """A reproducible CSV of ``rows`` data rows (cached under benchmarks/data)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"leads-{rows}-{seed}.csv"
    if path.exists():
        return path
    rng = random.Random(seed)
    syllables = [
        "ka",
        "lo",
        "ven",
        "tra",
        "mi",
        "zor",
        "bel",
        "qui",
        "dan",
        "ster",
        "ox",
        "ri",
        "nu",
        "pha",
        "gol",
        "tek",
        "sy",
        "mar",
        "ion",
        "vo",
        "ne",
        "cor",
        "lum",
        "dra",
        "fin",
        "pex",
        "sol",
        "ta",
    ]
    companies = []
    seen_names: set[str] = set()
    while len(companies) < max(200, rows // 40):
        # invented names (Zorvenka Tek GmbH): distinct enough that fuzzy matching rarely joins two
        words = [
            "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize()
            for _ in range(rng.randint(1, 2))
        ]
        base = " ".join(words)
        if base.lower() in seen_names:
            continue
        seen_names.add(base.lower())
        name = f"{base} {rng.choice(SUFFIX)}".strip()
        domain = "".join(words).lower() + rng.choice([".com", ".io", ".de", ".co.uk"])
        companies.append(
            (name, domain, rng.choice([5, 20, 80, 250, 600, 1200, 5000]), rng.choice(INDUSTRIES))
        )
    emitted: list[list[str]] = []
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            roll = rng.random()
            if roll < 0.02 and emitted:
                # an in-file duplicate: the same email again, some fields changed
                row = list(rng.choice(emitted[-5000:]))
                row[4] = rng.choice(TITLES)
                row[12] = rng.choice(["webinar", "demo_request", ""])
                writer.writerow(row)
                continue
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company, domain, size, industry = rng.choice(companies)
            corporate = rng.random() < 0.7
            email = f"{first.lower()}.{i}@{domain if corporate else rng.choice(FREE)}"
            row = [
                email,
                first,
                last,
                company,
                rng.choice(TITLES),
                str(size) if rng.random() < 0.6 else "",
                f"+1 555 {rng.randrange(1000000, 9999999)}" if rng.random() < 0.5 else "",
                rng.choice(COUNTRIES),
                industry,
                rng.choice(["Webinar", "Trade show", "Website", ""]),
                rng.choice(["linkedin", "google", "newsletter", ""]),
                rng.choice(["spring", "launch", ""]),
                rng.choice(["", "", "webinar", "demo_request"]),
                rng.choice(["", "Ledger", "Atlas", "Beacon"]),
            ]
            if roll > 0.99:  # about 1% bad rows: broken email, missing email, ragged, bad number
                kind = rng.randrange(4)
                if kind == 0:
                    row[0] = row[0].replace("@", " at ")
                elif kind == 1:
                    row[0] = ""
                elif kind == 2:
                    row = row[:5]
                else:
                    row[5] = "lots"
            elif len(emitted) < 100_000 or rng.random() < 0.05:
                emitted.append(row)
            writer.writerow(row)
    tmp.rename(path)
    return path


# --- one run in a child process ----------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["ACCORD_SECRET_KEY"] = "benchmark-only-" + "x" * 40
    os.environ["ACCORD_DEBUG"] = "false"
    os.environ["ACCORD_LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, models, transaction
    from django.utils import timezone

    from accord.intake.importing.engine import leads_import
    from accord.intake.importing.rows import RowWriter
    from accord.leads.models import Lead, Source
    from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus

    call_command("migrate", verbosity=0)
    criteria = CriteriaSet.objects.create(
        version=1, status=CriteriaStatus.ACTIVE, activated_at=timezone.now()
    )
    for i, rule in enumerate(RULES):
        CriteriaRule.objects.create(criteria_set=criteria, position=i, **rule)
    source = Source.objects.create(name="Benchmark", kind="import")

    counts_before = table_counts(connection)
    profile = None
    if args.profile:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    cpu_started = time.process_time()
    started = time.perf_counter()
    summary = leads_import(path=args.file, source=source, error_path=Path(args.tmp) / "errors.csv")
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    if profile is not None:
        import pstats

        profile.disable()
        if os.environ.get("BENCH_PROFILE_OUT"):
            profile.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The baseline: the same rows into a table with the lead table's columns and indexes.
    attrs = {
        "__module__": "accord.leads.models",
        "Meta": type(
            "Meta",
            (),
            {
                "db_table": "bench_raw_lead",
                "app_label": "leads",
                "indexes": [
                    models.Index(fields=["owner", "stage"], name="raw_owner_stage"),
                    models.Index(models.functions.Lower("last_name"), name="raw_last_name_ci"),
                ],
            },
        ),
    }
    for f in Lead._meta.local_fields:
        clone = f.clone()
        if f.name == "merged_into":
            clone.remote_field.model = Lead
        if f.name != "id":
            clone.remote_field and setattr(clone.remote_field, "related_name", "+")
        attrs[f.name] = clone
    raw_model = type("BenchRawLead", (models.Model,), attrs)
    with connection.schema_editor() as editor:
        editor.create_model(raw_model)
    columns = [f.column for f in Lead._meta.concrete_fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quoted} FROM leads_lead ORDER BY id")
        rows = cursor.fetchall()
    if connection.vendor == "postgresql":
        import json as _json

        json_at = columns.index("custom")
        rows = [(*r[:json_at], _json.dumps(r[json_at]), *r[json_at + 1 :]) for r in rows]
    writer = RowWriter(raw_model, columns)
    cpu_started = time.process_time()
    started = time.perf_counter()
    with transaction.atomic():
        writer.write(rows)
    raw_elapsed = time.perf_counter() - started
    raw_cpu = time.process_time() - cpu_started
    result = {
        "db": connection.vendor,
        "rows": summary["rows"],
        "leads": summary["created"],
        "import_s": round(elapsed, 3),
        "leads_per_s": round(summary["created"] / elapsed),
        "rows_per_s": round(summary["rows"] / elapsed),
        "peak_mb": round(peak_mb),
        "import_cpu_s": round(cpu, 3),
        "raw_s": round(raw_elapsed, 3),
        "raw_cpu_s": round(raw_cpu, 3),
        "raw_per_s": round(len(rows) / raw_elapsed),
        "summary": summary,
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_raw_lead")
        marks = ", ".join(["%s"] * len(columns))
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO bench_raw_lead ({quoted}) VALUES ({marks})", rows)
        result["raw_executemany_per_s"] = round(len(rows) / (time.perf_counter() - started))
    result["ratio"] = round(result["leads_per_s"] / result["raw_per_s"], 3)
    # The second baseline: every row the import wrote (leads, events, touchpoints, audit records,
    # accounts, domains, nurture tracks...), raw-inserted the same way into copies of their tables.
    # raw_s / all_rows_raw_s is the highest leads-only ratio any import writing these rows could
    # reach on one core; all_rows_raw_s / import_s is the import's cost over its own writes.
    written = [t for t, n in table_counts(connection).items() if n > counts_before.get(t, 0)]
    written = [t for t in written if not t.startswith("bench_")]
    all_s, all_cpu, all_rows, per_table = raw_insert_all(connection, transaction, written)
    result["all_rows"] = all_rows
    result["all_rows_raw_s"] = round(all_s, 3)
    result["all_rows_raw_cpu_s"] = round(all_cpu, 3)
    result["all_rows_tables"] = per_table
    result["ceiling"] = round(raw_elapsed / all_s, 3)
    result["ratio_all_rows"] = round(all_s / elapsed, 3)
    if connection.vendor == "sqlite":
        result["cpu_ceiling"] = round(raw_cpu / all_cpu, 3)
    if connection.vendor == "sqlite":
        # SQLite does all its work in this process, so CPU seconds compare the two paths without
        # the noise of a shared machine (PostgreSQL's server time is not in the process's CPU).
        result["cpu_ratio"] = round((summary["created"] / cpu) / (len(rows) / raw_cpu), 3)
    print("RESULT " + json.dumps(result), flush=True)


def table_counts(connection) -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
        return counts


def _copy_table(connection, cursor, table: str) -> str:
    """An empty copy of ``table`` with its columns, constraints, foreign keys and indexes."""
    copy = f"bench_copy_{table}"
    q = connection.ops.quote_name
    if connection.vendor == "sqlite":
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL", [table]
        )
        statements = cursor.fetchall()
        for kind, name, sql in sorted(statements, key=lambda s: s[0] != "table"):
            if kind == "table":
                sql = sql.replace(f"CREATE TABLE {q(table)}", f"CREATE TABLE {q(copy)}", 1)
            else:
                sql = sql.replace(q(name), q(f"bench_{name}"), 1).replace(
                    f"ON {q(table)}", f"ON {q(copy)}", 1
                )
            cursor.execute(sql)
    else:
        cursor.execute(f"CREATE TABLE {q(copy)} (LIKE {q(table)} INCLUDING ALL)")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {q(copy)} ADD {definition}")
    return copy


def raw_insert_all(connection, transaction, tables: list[str]) -> tuple[float, float, int, dict[str, int]]:
    """Every row of ``tables`` inserted into empty copies in one transaction, as the lead baseline
    does (SQLite executemany; PostgreSQL COPY of the rows as read). (wall s, CPU s, rows, per table)."""
    q = connection.ops.quote_name
    loaded = []
    with connection.cursor() as cursor:
        for table in tables:
            copy = _copy_table(connection, cursor, table)
            cursor.execute(f"SELECT * FROM {q(table)}")
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            if connection.vendor == "postgresql":
                rows = [tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in r) for r in rows]
            loaded.append((copy, columns, rows))
    # One transaction per table, as the lead baseline inserts its rows (one transaction holding all
    # 460k rows would overflow SQLite's page cache and understate the ceiling).
    elapsed = cpu = 0.0
    for copy, columns, rows in loaded:
        quoted = ", ".join(q(c) for c in columns)
        cpu_started = time.process_time()
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {q(copy)} ({quoted}) VALUES ({marks})", rows)
            else:
                with cursor.cursor.copy(f"COPY {q(copy)} ({quoted}) FROM STDIN") as pipe:
                    for row in rows:
                        pipe.write_row(row)
        elapsed += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    return (
        elapsed,
        cpu,
        sum(len(r) for _, _, r in loaded),
        {t: len(r) for t, (_, _, r) in zip(tables, loaded, strict=True)},
    )


def one_run(db: str, file: Path, profile: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        env["ACCORD_DATA_DIR"] = tmp
        dbname = ""
        if db == "sqlite" and os.environ.get("BENCH_SQLITE_TEMPLATE"):
            # A migrated database to start from (ratio_check.py migrates once for all its measurements).
            shutil.copyfile(os.environ["BENCH_SQLITE_TEMPLATE"], Path(tmp) / "accord.sqlite3")
        if db == "postgresql":
            import psycopg

            dbname = f"accord_bench_{os.getpid()}_{int(time.time())}"
            with psycopg.connect(PG_URL + "/postgres", autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{dbname}"')
            env["DATABASE_URL"] = f"{PG_URL}/{dbname}"
        try:
            command = [sys.executable, __file__, "--child", "--file", str(file), "--tmp", tmp]
            if profile:
                command.append("--profile")
            done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
            if profile:
                print(done.stdout[:40000])
            if done.returncode != 0:
                raise SystemExit(f"benchmark run failed:\n{done.stderr[-4000:]}")
            line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
            return json.loads(line[7:])
        finally:
            if dbname:
                import psycopg

                with psycopg.connect(PG_URL + "/postgres", autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--runs", type=int, default=0, help="default: 3 up to 200k rows, else 1")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the import (one run)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument(
        "--small", action="store_true", help="a quick run: 5,000 rows, SQLite and PostgreSQL, one run each"
    )
    args = parser.parse_args()
    if args.small:
        args.rows, args.db, args.runs = 5_000, "both", 1
    if args.child:
        child(args)
        return
    started = time.perf_counter()
    file = generate(args.rows, args.seed)
    print(
        f"file: {file.relative_to(ROOT)} ({file.stat().st_size / 1e6:.1f} MB, generated/cached in "
        f"{time.perf_counter() - started:.1f}s)"
    )
    runs = args.runs or (3 if args.rows <= 200_000 else 1)
    if args.profile:
        runs = 1
    for db in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        results = []
        for i in range(runs):
            result = one_run(db, file, args.profile)
            results.append(result)
            print(
                f"  {db} run {i + 1}: " + json.dumps({k: v for k, v in result.items() if k != "summary"}),
                flush=True,
            )
        keys = ["import_s", "leads_per_s", "rows_per_s", "peak_mb", "raw_per_s", "ratio", "import_cpu_s"]
        keys += ["raw_cpu_s"] + (["cpu_ratio"] if "cpu_ratio" in results[0] else [])
        med = {k: statistics.median(r[k] for r in results) for k in keys}
        s = results[0]["summary"]
        print(
            f"{db}: {args.rows} rows ({s['created']} created, {s['merged']} merged, "
            f"{s['rejected']} rejected, "
            f"{s['accounts_created']} accounts) median of {runs}: import {med['import_s']:.1f}s = "
            f"{med['leads_per_s']:,.0f} leads/s ({med['rows_per_s']:,.0f} rows/s), "
            f"peak {med['peak_mb']:.0f} MB; "
            f"raw insert {med['raw_per_s']:,.0f} rows/s; ratio {med['ratio']:.2f} "
            f"(runs: {', '.join(str(r['ratio']) for r in results)}); CPU import {med['import_cpu_s']:.1f}s / "
            f"raw {med['raw_cpu_s']:.1f}s"
            + (f"; CPU ratio {med['cpu_ratio']:.2f}" if "cpu_ratio" in med else ""),
            flush=True,
        )
        every = {
            k: statistics.median(r[k] for r in results)
            for k in ("all_rows_raw_s", "ceiling", "ratio_all_rows")
        }
        print(
            f"{db}: every row the import wrote ({results[0]['all_rows']:,} rows in "
            f"{len(results[0]['all_rows_tables'])} tables) raw-inserted in {every['all_rows_raw_s']:.1f}s: "
            f"ceiling of the leads-only ratio {every['ceiling']:.2f}; import against it {every['ratio_all_rows']:.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
