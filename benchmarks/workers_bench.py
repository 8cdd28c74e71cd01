"""Benchmark: the background work intake leaves behind, drained by 1 and by 2 task workers.

    .venv/bin/python benchmarks/workers_bench.py                          # SQLite and PostgreSQL, database backend
    .venv/bin/python benchmarks/workers_bench.py --db postgresql --backend both --leads 400 --rounds 3
    .venv/bin/python benchmarks/workers_bench.py --small                  # what `make bench` runs

Steps, per database and task backend (each in a child process of its own):
1. a throwaway database (SQLite file in a temporary directory; PostgreSQL ``accord_bench_wk_<pid>`` on
   BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432, dropped afterwards), migrated and
   loaded with the demo company (``--seed-leads`` leads, its criteria, routing rules and sources),
   and two outgoing webhook endpoints subscribed to ``lead.created``, ``lead.qualified`` and
   ``lead.assigned``, both pointing to a sink in this process that answers 200 at once;
2. per round, with no worker running: ``--leads`` submissions through ``lead_intake`` (the
   conductor every door calls; ``channel=api``, a mix of titles and company sizes so some leads
   become MQLs), then one ``rollups_refresh_task`` (what the periodic schedule enqueues each minute).
   Everything intake enqueues after commit waits in the queue: webhook deliveries, routing of new
   MQLs (which records assignments, notifies reps and enqueues their own webhook deliveries), and
   whatever else later versions of intake hand to the worker;
3. then ``--workers-list`` workers (``accord worker --no-periodic``, default 1 and 2, in alternating
   order round by round: 1, 2, 2, 1, 1, 2, ...) are started and the queue is watched until no task
   that is due is waiting or running. **Tasks/s** = tasks finished / (last task's end - first task's
   start), from the tasks' own timestamps (the database backend's ``started_at``/``finished_at``,
   RQ's job ``started_at``/``ended_at``), so the workers' start-up is not in it; "wall" is from
   starting the workers to the drained queue, start-up included. Deferred tasks (SLA deadlines,
   scheduled retries) are not due and not counted;
4. medians over ``--rounds`` rounds per worker count, and the ratio 2 workers ÷ 1 worker.

``--backend rq`` runs the same with ``ACCORD_TASK_BACKEND=rq`` on the Redis at BENCH_REDIS_URL
(default redis://127.0.0.1:6379), in a Redis database number that is empty when the run starts
(flushed again at the end). The workers, the sink and this script share the machine's cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def _order(worker_counts: list[int], rounds: int) -> list[int]:
    """Interleaved: 1, 2, 2, 1, 1, 2, ... so neither count always runs on the fuller database."""
    order: list[int] = []
    for r in range(rounds):
        order += worker_counts if r % 2 == 0 else list(reversed(worker_counts))
    return order


# --- the webhook sink ----------------------------------------------------------------------------------
class _Sink(BaseHTTPRequestHandler):
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Sink.lock:
            _Sink.received += 1
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def _sink_start() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return int(server.server_address[1])


# --- the child: one database, one backend ---------------------------------------------------------------
def _setup(seed_leads: int, sink_port: int) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accord.demo.services import demo_build
    from accord.people.models import User
    from accord.webhooks.services import webhook_endpoint_create

    demo_build(leads=seed_leads)
    admin = User.objects.filter(is_superuser=True).first()
    for n in (1, 2):
        webhook_endpoint_create(
            actor=admin,
            name=f"Benchmark sink {n}",
            url=f"http://127.0.0.1:{sink_port}/hook/{n}",
            event_types=["lead.created", "lead.qualified", "lead.assigned"],
            allow_private=True,
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


TITLES = (
    "VP of Marketing",
    "Director of Operations",
    "Head of IT",
    "Chief Financial Officer",
    "Student",
    "Engineer",
)
SIZES = ("5000", "1200", "300", "40", "8")
INDUSTRIES = ("Healthcare", "Banking", "Retail", "Hospitals")


def _fill(round_no: int, leads: int) -> float:
    """Submit ``leads`` leads through the intake, then enqueue a rollup refresh; seconds it took."""
    from accord.core.models import Channel
    from accord.intake.services import lead_intake
    from accord.leads.models import Source
    from accord.reporting.tasks import rollups_refresh_task

    source = Source.objects.filter(is_active=True).order_by("id").first()
    started = time.perf_counter()
    for n in range(leads):
        data = {
            "email": f"wk{round_no}.{n}@company{n % 97}.example",
            "first_name": "Pat",
            "last_name": f"Worker {n}",
            "company": f"Company {n % 97}",
            "title": TITLES[n % len(TITLES)],
            "company_size": SIZES[(n // len(TITLES)) % len(SIZES)],
            "industry": INDUSTRIES[n % len(INDUSTRIES)],
            "country": "United States",
            "phone": f"+1 555 01{n % 100:02d} {n % 10000:04d}",
        }
        lead_intake(data=data, channel=Channel.API, source=source)
    rollups_refresh_task.enqueue()
    return time.perf_counter() - started


class _DbQueue:
    """The database backend's queue, read through its model."""

    def due_or_running(self) -> int:
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        return (
            DBTaskResult.objects.ready().count()
            + DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).count()
        )

    def finished_since(self, since) -> tuple[int, float | None, dict[str, int], int]:  # type: ignore[no-untyped-def]
        from django.db.models import Count, Max, Min
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        done = DBTaskResult.objects.filter(
            enqueued_at__gte=since, status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
        )
        span = done.aggregate(first=Min("started_at"), last=Max("finished_at"), n=Count("id"))
        seconds = (span["last"] - span["first"]).total_seconds() if span["n"] else None
        kinds = {
            row["task_path"].rsplit(".", 1)[-1]: row["n"]
            for row in done.values("task_path").annotate(n=Count("id"))
        }
        failed = done.filter(status=TaskResultStatus.FAILED).count()
        return span["n"], seconds, kinds, failed


class _RqQueue:
    """The RQ backend's queue in Redis: waiting jobs, started jobs, and due scheduled ones."""

    def __init__(self) -> None:
        import django_rq

        self.queue = django_rq.get_queue("default")

    def due_or_running(self) -> int:
        from datetime import UTC, datetime

        from rq.registry import ScheduledJobRegistry, StartedJobRegistry

        scheduled = ScheduledJobRegistry(queue=self.queue)
        due = scheduled.get_jobs_to_schedule(int(datetime.now(UTC).timestamp()))
        return len(self.queue) + StartedJobRegistry(queue=self.queue).count + len(due)

    def finished_since(self, since) -> tuple[int, float | None, dict[str, int], int]:  # type: ignore[no-untyped-def]
        from rq.job import Job
        from rq.registry import FailedJobRegistry, FinishedJobRegistry

        jobs = []
        failed = 0
        for registry in (FinishedJobRegistry(queue=self.queue), FailedJobRegistry(queue=self.queue)):
            ids = registry.get_job_ids()
            for job in Job.fetch_many(ids, connection=self.queue.connection):
                if job is None or job.enqueued_at is None or job.started_at is None or job.ended_at is None:
                    continue
                if job.enqueued_at.timestamp() >= since.timestamp():
                    jobs.append(job)
                    failed += isinstance(registry, FailedJobRegistry)
        if not jobs:
            return 0, None, {}, 0
        first = min(job.started_at for job in jobs)
        last = max(job.ended_at for job in jobs)
        kinds: dict[str, int] = {}
        for job in jobs:
            name = str(job.func_name).rsplit(".", 1)[-1]  # the task's function
            kinds[name] = kinds.get(name, 0) + 1
        return len(jobs), (last - first).total_seconds(), kinds, failed


def _drain(workers: int, env: dict[str, str], queue, timeout: float) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Start ``workers`` workers, wait until nothing due waits or runs, stop them; (wall seconds, sink hits)."""
    from django.db import connections

    connections.close_all()
    hits_before = _Sink.received
    # The workers' logs go to a file: a pipe nobody reads fills up and blocks them.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
    started = time.perf_counter()
    procs = []
    for i in range(workers):
        command = [sys.executable, "-m", "accord.cli", "worker", "--no-periodic", "--no-startup-delay",
                   "--interval", "0.1", "--worker-id", f"bench-{os.getpid()}-{i}"]  # fmt: skip
        procs.append(
            subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
            )
        )
    try:
        empty = 0
        while empty < 3:  # three empty looks in a row: a finishing task may still enqueue its follow-up
            time.sleep(0.2)
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"the queue was not drained within {timeout:.0f} s")
            for proc in procs:
                if proc.poll() is not None:
                    log.seek(0)
                    raise SystemExit(f"a worker stopped:\n{log.read().decode(errors='replace')[-3000:]}")
            empty = empty + 1 if queue.due_or_running() == 0 else 0
        wall = time.perf_counter() - started - 0.4  # the two confirming looks
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        connections.close_all()
    return wall, _Sink.received - hits_before


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.utils import timezone

    sink_port = int(os.environ["BENCH_SINK_PORT"])
    _setup(args.seed_leads, sink_port)
    queue = _RqQueue() if os.environ["ACCORD_TASK_BACKEND"] == "rq" else _DbQueue()
    # Whatever the demo load enqueued is drained first, by one worker, and not measured.
    _drain(1, dict(os.environ), queue, args.timeout)
    runs: list[dict] = []
    for round_no, workers in enumerate(_order(args.workers_list, args.rounds)):
        since = timezone.now()
        fill = _fill(round_no, args.leads)
        from django.db import connections

        connections.close_all()
        wall, hits = _drain(workers, dict(os.environ), queue, args.timeout)
        tasks, seconds, kinds, failed = queue.finished_since(since)
        runs.append({
            "workers": workers, "fill_s": round(fill, 2), "tasks": tasks, "failed": failed,
            "busy_s": round(seconds or 0.0, 2), "wall_s": round(wall, 2),
            "tasks_per_s": round(tasks / seconds, 1) if seconds else None,
            "webhook_posts": hits, "kinds": kinds,
        })  # fmt: skip
        print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
    print(json.dumps({"runs": runs}))


# --- the parent ------------------------------------------------------------------------------------------
def _redis_db() -> int:
    """A Redis database number that holds nothing now (the RQ run flushes it afterwards)."""
    import redis

    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{number}")
        if client.dbsize() == 0:
            client.set("accord-bench-workers", str(os.getpid()))  # claim it
            return number
    raise SystemExit("no empty Redis database (1-15) to run the RQ benchmark in")


def run_one(db: str, backend: str, args: argparse.Namespace) -> dict:
    data_dir = tempfile.mkdtemp(prefix="accord-wk-")
    name = f"accord_bench_wk_{os.getpid()}"
    if db == "sqlite":
        url = f"sqlite:///{data_dir}/bench.sqlite3"
    else:
        subprocess.run(["psql", PG_BASE + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", PG_BASE + "/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        url = f"{PG_BASE}/{name}"
    redis_db = _redis_db() if backend == "rq" else None
    env = dict(os.environ)
    env.update(DATABASE_URL=url, ACCORD_DATA_DIR=data_dir, ACCORD_DEBUG="false", ACCORD_SECRET_KEY="w" * 64,
               ACCORD_ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE="config.settings",
               PYTHONPATH=str(ROOT), ACCORD_TASK_BACKEND=backend, ACCORD_EMAIL_CONSOLE="true",
               ACCORD_CONN_MAX_AGE="60")  # fmt: skip
    if redis_db is not None:
        env["ACCORD_REDIS_URL"] = f"{REDIS_BASE}/{redis_db}"
    try:
        argv = [sys.executable, __file__, "--child", "--leads", str(args.leads), "--rounds", str(args.rounds),
                "--seed-leads", str(args.seed_leads), "--workers-list", ",".join(map(str, args.workers_list)),
                "--timeout", str(args.timeout)]  # fmt: skip
        out = subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False)
        if out.returncode:
            raise SystemExit(f"the {db}/{backend} run failed (exit {out.returncode})")
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        if db == "postgresql":
            subprocess.run(["psql", PG_BASE + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                           check=False)  # fmt: skip
        if redis_db is not None:
            import redis

            redis.Redis.from_url(f"{REDIS_BASE}/{redis_db}").flushdb()
        shutil.rmtree(data_dir, ignore_errors=True)
    result.update(db=db, backend=backend)
    by_count: dict[int, list[dict]] = {}
    for run in result["runs"]:
        by_count.setdefault(run["workers"], []).append(run)
    summary = {}
    for workers, runs in sorted(by_count.items()):
        rates = [r["tasks_per_s"] for r in runs if r["tasks_per_s"]]
        summary[workers] = {
            "tasks": statistics.median(r["tasks"] for r in runs),
            "tasks_per_s": round(statistics.median(rates), 1) if rates else None,
            "wall_s": round(statistics.median(r["wall_s"] for r in runs), 2),
            "leads_per_s_drained": round(args.leads / statistics.median(r["wall_s"] for r in runs), 1),
            "rates": rates,
        }
    result["summary"] = summary
    return result


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--backend", choices=("db", "rq", "both"), default="db")
    parser.add_argument("--leads", type=int, default=300, help="leads submitted before each drain")
    parser.add_argument("--rounds", type=int, default=3, help="drains per worker count")
    parser.add_argument("--seed-leads", type=int, default=1500, help="demo leads loaded first")
    parser.add_argument("--workers-list", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds a drain may take")
    parser.add_argument(
        "--small", action="store_true", help="a quick run: 100 leads, 1 round, SQLite and PostgreSQL"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.small:
        args.leads, args.rounds, args.seed_leads = 100, 1, 300
    if args.child:
        # The sink runs in the child, beside the queue it watches; the port is the child's own.
        os.environ["BENCH_SINK_PORT"] = str(_sink_start())
        child(args)
        return
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    backends = ("db", "rq") if args.backend == "both" else (args.backend,)
    print(f"load average before: {_load_average()}")
    results = []
    for db in dbs:
        for backend in backends:
            result = run_one(db, backend, args)
            results.append(result)
            print(json.dumps(result))
    print(f"load average after: {_load_average()}")
    print(f"\n{args.leads} leads per drain, median of {args.rounds} drains per worker count\n")
    print(
        "| database | backend | workers | tasks per drain | tasks/s (runs) | wall (with start-up) | ratio to 1 worker |"
    )
    print("|---|---|---|---|---|---|---|")
    for result in results:
        one = result["summary"].get(1, {}).get("tasks_per_s")
        for workers, row in result["summary"].items():
            ratio = f"{row['tasks_per_s'] / one:.2f}" if one and row["tasks_per_s"] else "–"
            rates = ", ".join(f"{r:g}" for r in row["rates"])
            print(f"| {result['db']} | {result['backend']} | {workers} | {row['tasks']:g} | "
                  f"{row['tasks_per_s']} ({rates}) | {row['wall_s']} s | {ratio} |")  # fmt: skip


if __name__ == "__main__":
    main()
