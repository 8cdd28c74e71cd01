"""A quick check for large performance regressions, for CI: ratios measured within one run, never times.

    .venv/bin/python benchmarks/ratio_check.py                 # measure on SQLite, compare with ratios.json
    .venv/bin/python benchmarks/ratio_check.py --db postgresql
    .venv/bin/python benchmarks/ratio_check.py --record        # measure and write the new baselines

Each figure divides two things measured in the same run on the same machine, so the machine's load
cancels out (mostly): an absolute time would fail CI whenever the machine is busy, a ratio fails only
when one side got slower than the other. The check fails when a ratio is worse than its baseline in
``benchmarks/ratios.json`` (one set per database) by more than the file's ``factor`` (3 by default): only a large regression
(a scan where an index was, a query per row, work moved back into the request), never load noise.

The ratios (each a few seconds of measurement after setting a database up):

- ``import_vs_every_row_raw``: the CSV import of 5,000 rows against a raw insert of every row it wrote
  (``import_bench.py``'s ``ratio_all_rows``; higher is better);
- ``intake_api_cpu_vs_bare``: server CPU per request of ``POST /api/v1/leads`` against the bare one-row
  insert view, gunicorn with one worker, a sequential client (``intake_throughput_bench.py``; lower is
  better);
- ``lead_list_20k_vs_1k``: the first page of ``GET /api/v1/leads`` (through Django's test client,
  middleware and access included) at 20,000 leads against the same page at 1,000 leads, in one
  database, medians of 15 (lower is better; 1 means the list does not grow with the table). A
  bare indexed query of the same 50 rows was tried first as the yardstick (one run: the page took
  1,295 times as long): a query of a few hundredths of a millisecond is mostly interpreter and
  timer overhead, a poor thing to divide by; the same page at a twentieth of the rows is not.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINES = Path(__file__).with_name("ratios.json")


# --- the comparison (unit-tested in tests/test_bench_ratio_check.py) --------------------------------------
@dataclass(frozen=True)
class Verdict:
    name: str
    measured: float
    baseline: float
    worse_by: float  # how many times worse than the baseline (below 1: better)
    failed: bool

    def line(self) -> str:
        state = "FAIL" if self.failed else "ok"
        change = f"{self.worse_by:.2f}× worse" if self.worse_by >= 1 else f"{1 / self.worse_by:.2f}× better"
        return f"{state:<4} {self.name}: {self.measured:g} (baseline {self.baseline:g}; {change})"


def compare(measured: dict[str, float], baselines: dict) -> list[Verdict]:
    """Each measured ratio against its baseline; failed when worse by more than ``baselines['factor']``.

    ``baselines`` is ratios.json: ``{"factor": 3, "ratios": {name: {"value": v, "better": "higher"|"lower"}}}``.
    A ratio without a baseline, or a baseline without a measurement, is an error: the file and the
    check must name the same ratios.
    """
    factor = float(baselines.get("factor", 3.0))
    if factor <= 1:
        raise ValueError(f"factor must be above 1, not {factor}")
    known = baselines["ratios"]
    if set(measured) != set(known):
        raise ValueError(
            f"measured {sorted(measured)} but ratios.json has {sorted(known)}: record the baselines again"
        )
    verdicts = []
    for name, value in sorted(measured.items()):
        base = float(known[name]["value"])
        better = known[name]["better"]
        if better not in ("higher", "lower"):
            raise ValueError(f"{name}: 'better' must be 'higher' or 'lower', not {better!r}")
        if base <= 0 or value <= 0:
            raise ValueError(f"{name}: ratios must be positive (measured {value}, baseline {base})")
        worse_by = base / value if better == "higher" else value / base
        verdicts.append(Verdict(name, value, base, worse_by, worse_by > factor))
    return verdicts


# --- the measurements --------------------------------------------------------------------------------------
def _benchmarks_importable() -> None:
    """The measurements reuse the benchmark scripts beside this one."""
    if str(Path(__file__).parent) not in sys.path:
        sys.path.insert(0, str(Path(__file__).parent))


def measure_import(db: str) -> float:
    _benchmarks_importable()
    import import_bench

    file = import_bench.generate(5_000, 2026)
    return float(import_bench.one_run(db, file, False)["ratio_all_rows"])


def measure_intake(db: str) -> float:
    _benchmarks_importable()
    import intake_throughput_bench as tp

    args = argparse.Namespace(
        seed_leads=100,
        sequential=40,
        concurrency=[],
        seconds=0.0,
        rounds=1,
        workers=1,
        targets=("bare", "api", "form"),
    )
    result = tp.run_db(db, args)
    seq = result["sequential"]
    if seq["api"]["ok"] != seq["api"]["requests"] or seq["bare"]["ok"] != seq["bare"]["requests"]:
        raise SystemExit(f"intake requests failed: {seq}")
    return round(seq["api"]["server_cpu_ms"] / max(seq["bare"]["server_cpu_ms"], 0.1), 2)


LIST_CHILD = """
import json, statistics, time, django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from datetime import timedelta
call_command("migrate", verbosity=0)
from accord.leads.models import Lead
from accord.people.models import ApiToken, User
admin = User.objects.create_superuser("ratio", "ratio@example.com", "x" * 20)
raw, key_hash = ApiToken.generate()
ApiToken.objects.create(user=admin, prefix=raw[:8], key_hash=key_hash, name="ratio check")
now = timezone.now()
client = Client(HTTP_AUTHORIZATION=f"Bearer {{raw}}")
def grow(upto):
    have = Lead.objects.count()
    for start in range(have, upto, 5000):
        Lead.objects.bulk_create([
            Lead(email=f"l{{n}}@c{{n % 300}}.example", email_key=f"l{{n}}@c{{n % 300}}.example",
                 last_name=f"Lead {{n}}", stage="inquiry", stage_changed_at=now - timedelta(minutes=n))
            for n in range(start, min(start + 5000, upto))
        ])
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
def page():
    started = time.perf_counter()
    response = client.get("/api/v1/leads")
    assert response.status_code == 200, response.content[:500]
    return time.perf_counter() - started
medians = {{}}
for size in ({small}, {large}):
    grow(size)
    page(), page()
    medians[size] = statistics.median(page() for _ in range({repeats}))
print(json.dumps(medians))
"""


def measure_list(db: str, small: int = 1_000, large: int = 20_000, repeats: int = 15) -> float:
    pg_base = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
    name = f"accord_ratio_list_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="accord-ratio-") as tmp:
        env = dict(os.environ)
        env.update(ACCORD_DATA_DIR=tmp, ACCORD_DEBUG="false", ACCORD_SECRET_KEY="r" * 64,
                   ACCORD_ALLOWED_HOSTS="testserver,127.0.0.1", DJANGO_SETTINGS_MODULE="config.settings",
                   PYTHONPATH=str(ROOT), ACCORD_TASK_BACKEND="db")  # fmt: skip
        if db == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{tmp}/ratio.sqlite3"
            if os.environ.get("BENCH_SQLITE_TEMPLATE"):
                shutil.copyfile(os.environ["BENCH_SQLITE_TEMPLATE"], f"{tmp}/ratio.sqlite3")
        else:
            subprocess.run(["psql", f"{pg_base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
            env["DATABASE_URL"] = f"{pg_base}/{name}"
        try:
            code = LIST_CHILD.format(small=small, large=large, repeats=repeats)
            out = subprocess.run(
                [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False
            )
        finally:
            if db == "postgresql":
                subprocess.run(["psql", f"{pg_base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                               check=False)  # fmt: skip
    if out.returncode:
        raise SystemExit(f"the lead list measurement failed:\n{out.stderr[-3000:]}")
    medians = json.loads(out.stdout.strip().splitlines()[-1])
    return round(medians[str(large)] / medians[str(small)], 2)


def _migrated_sqlite(directory: Path) -> Path:
    path = directory / "template.sqlite3"
    env = dict(os.environ)
    env.update(DATABASE_URL=f"sqlite:///{path}", ACCORD_DATA_DIR=str(directory), ACCORD_DEBUG="false",
               ACCORD_SECRET_KEY="r" * 64, DJANGO_SETTINGS_MODULE="config.settings", PYTHONPATH=str(ROOT))  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the one file that is copied
    return path


MEASUREMENTS = {
    "import_vs_every_row_raw": measure_import,
    "intake_api_cpu_vs_bare": measure_intake,
    "lead_list_20k_vs_1k": measure_list,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--record", action="store_true", help="write the measured ratios as the new baselines"
    )
    parser.add_argument("--baselines", type=Path, default=BASELINES)
    args = parser.parse_args()
    started = time.perf_counter()
    template_dir = tempfile.TemporaryDirectory(prefix="accord-ratio-template-")
    if args.db == "sqlite":
        # Migrating takes most of a measurement's set-up: do it once, and let each one copy the file.
        template = _migrated_sqlite(Path(template_dir.name))
        os.environ["BENCH_SQLITE_TEMPLATE"] = str(template)
        print(f"migrated a template database ({time.perf_counter() - started:.0f} s)", flush=True)
    measured: dict[str, float] = {}
    for name, measure in MEASUREMENTS.items():
        began = time.perf_counter()
        measured[name] = measure(args.db)
        print(f"measured {name} = {measured[name]:g} ({time.perf_counter() - began:.0f} s)", flush=True)
    template_dir.cleanup()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    recorded = json.loads(args.baselines.read_text())
    # Each database has its own baselines: the same code divides differently on each (on SQLite the
    # bare view's write is in the web process's CPU, on PostgreSQL most of it is in the server's).
    entry = recorded["databases"][args.db]
    if args.record:
        for name, value in measured.items():
            entry["ratios"][name]["value"] = value
        entry["recorded"] = f"{time.strftime('%Y-%m-%d')}, one run, load average {load}"
        args.baselines.write_text(json.dumps(recorded, indent=2) + "\n")
        print(f"recorded in {args.baselines}")
        return
    baselines = {"factor": recorded.get("factor", 3.0), "ratios": entry["ratios"]}
    verdicts = compare(measured, baselines)
    for verdict in verdicts:
        print(verdict.line())
    print(f"{time.perf_counter() - started:.0f} s in all, load average {load}")
    failed = [v for v in verdicts if v.failed]
    if failed:
        raise SystemExit(
            f"{len(failed)} ratio(s) more than {baselines.get('factor', 3)}× worse than benchmarks/ratios.json: "
            + ", ".join(v.name for v in failed)
        )


if __name__ == "__main__":
    main()
