"""Benchmark: one lead per request through the API and the public form, served by gunicorn as
``accord run`` starts it, next to a bare view that inserts one row, measured in the same run.

    .venv/bin/python benchmarks/intake_throughput_bench.py                      # SQLite and PostgreSQL
    .venv/bin/python benchmarks/intake_throughput_bench.py --db sqlite --sequential 300 --seconds 20
    .venv/bin/python benchmarks/intake_throughput_bench.py --small              # what `make bench` runs

Steps, per database:
1. a throwaway database (SQLite file in a temporary directory; PostgreSQL ``accord_bench_tp_<pid>`` on
   BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432, dropped afterwards), migrated and
   loaded with the demo company (``--seed-leads`` leads, its criteria, routing rules and sources),
   an API token, the web form's rate limit lifted, and a table ``bench_bare`` for the bare view;
2. gunicorn with ``accord run``'s arguments (``benchmarks/bench_wsgi.py``: Accord with ``benchmarks/bench_site.py``,
   which adds ``POST /bench/bare``: parse the JSON body, insert one row, answer 201);
3. a sequential client (one request at a time) posts ``--sequential`` leads to each target in turn
   (bare, API, form, bare, ...): median and p99 latency, and the **server CPU per request** — the
   user + system CPU time of gunicorn's worker processes (read from /proc before and after), divided
   by the requests (on PostgreSQL the database server's own CPU is not in it);
4. for each concurrency in ``--concurrency`` (default 16 and 32), ``--seconds`` of load per target,
   targets interleaved, ``--rounds`` rounds: requests/s, p50 and p99; afterwards the rows stored
   are compared with the 2xx answers (``lost`` must be 0);
5. the ratios: target req/s ÷ bare req/s, target p99 ÷ bare p99.

The queued doors (``api_queued``: ``POST /api/v1/submissions``; ``form_queued``: ``POST /f/<key>`` of a
source with ``queue_submissions`` on) answer once the submission is stored; the task worker (``accord
worker``, started beside gunicorn as ``accord run`` does) makes the leads in batches. After each
target's sequential run the benchmark waits until the worker has drained the queue, and reports the
worker's CPU per request beside the web workers' (for the direct doors it is the routing of the new
leads), and their sum.

The client is asyncio on the same 2-core machine, so it takes CPU from the server; the same client
drives every target, which is why only the ratios are compared.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
TARGETS = ("bare", "api", "form", "api_queued", "form_queued")
QUEUED = ("api_queued", "form_queued")


# --- the load generator ------------------------------------------------------------------------------
async def _post(
    port: int, path: str, body: bytes, content_type: str, headers: dict[str, str]
) -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()  # the server closes the connection after the answer (sync workers)
    writer.close()
    try:
        status = int(status_line.split()[1])
    except (IndexError, ValueError):
        status = 0
    return status, time.perf_counter() - started


class Client:
    def __init__(self, port: int, token: str, form_key: str, queued_form_key: str = "") -> None:
        self.port, self.token, self.form_key, self.queued_form_key = port, token, form_key, queued_form_key
        self.sequence = 0

    async def drained(self, timeout: float = 300.0) -> float:
        """Wait until the worker has made every queued submission's lead: hand in one more and poll it
        (the queue is worked oldest first). Returns the seconds waited."""
        started = time.perf_counter()
        path, body, content_type, headers = self.request("api_queued")
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Type: {content_type}",
                f"Content-Length: {len(body)}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        answer = (await reader.read()).split(b"\r\n\r\n", 1)[1]
        writer.close()
        status_url = json.loads(answer)["status_url"]
        while time.perf_counter() - started < timeout:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            head = [f"GET {status_url} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
                    f"Authorization: Bearer {self.token}"]  # fmt: skip
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
            state = json.loads((await reader.read()).split(b"\r\n\r\n", 1)[1])["state"]
            writer.close()
            if state != "queued":
                return time.perf_counter() - started
            await asyncio.sleep(0.2)
        raise SystemExit("the worker did not drain the submission queue in time")

    def request(self, target: str) -> tuple[str, bytes, str, dict[str, str]]:
        self.sequence += 1
        n = self.sequence
        email = f"bench{n}.{os.getpid()}@company{n % 500}.example"
        if target == "bare":
            return "/bench/bare", json.dumps({"email": email}).encode(), "application/json", {}
        if target in ("api", "api_queued"):
            body = {"email": email, "first_name": "Pat", "last_name": f"Bench {n}", "company": f"Company {n % 500}",
                    "title": "Director of Operations", "country": "US"}  # fmt: skip
            return (
                "/api/v1/leads" if target == "api" else "/api/v1/submissions",
                json.dumps(body).encode(),
                "application/json",
                {"Authorization": f"Bearer {self.token}"},
            )
        form = f"email={email}&first_name=Pat&last_name=Bench+{n}&company=Company+{n % 500}&title=Director&country=US"
        return (
            f"/f/{self.queued_form_key if target == 'form_queued' else self.form_key}",
            form.encode(),
            "application/x-www-form-urlencoded",
            {"Accept": "application/json"},
        )

    async def one(self, target: str) -> tuple[int, float]:
        return await _post(self.port, *self.request(target))

    async def sequential(self, target: str, count: int) -> list[tuple[int, float]]:
        return [await self.one(target) for _ in range(count)]

    async def load(self, target: str, connections: int, seconds: float) -> list[tuple[int, float]]:
        results: list[tuple[int, float]] = []
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                results.append(await self.one(target))

        await asyncio.gather(*(worker() for _ in range(connections)))
        return results


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def _cpu_of_children(master_pid: int) -> float:
    """User + system CPU seconds of the gunicorn master's worker processes (and their dead children)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    return total


def _cpu_of(pid: int | None) -> float:
    """User + system CPU seconds of one process (all its threads) and its waited-for children."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


# --- setting a database up -----------------------------------------------------------------------------
def _env(db_url: str, data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DATABASE_URL=db_url, ACCORD_DATA_DIR=data_dir, ACCORD_DEBUG="false", ACCORD_SECRET_KEY="b" * 64,
               ACCORD_ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE="bench_site",
               PYTHONPATH=f"{ROOT / 'benchmarks'}{os.pathsep}{ROOT}", ACCORD_TASK_BACKEND="db")  # fmt: skip
    return env


SETUP = """
import json, django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
from accord.demo.services import demo_build
demo_build(leads={leads})
from accord.leads.models import Source
from accord.people.models import ApiToken, User
source = Source.objects.filter(kind="web_form", is_active=True).first() or Source.objects.filter(is_active=True).first()
Source.objects.filter(pk=source.pk).update(rate_limit_per_minute=1_000_000_000)
admin = User.objects.filter(is_superuser=True).first()
raw, key_hash = ApiToken.generate()
ApiToken.objects.create(user=admin, prefix=raw[:8], key_hash=key_hash, name="benchmark")
with connection.cursor() as c:
    c.execute("CREATE TABLE bench_bare (id {pk}, email varchar(254) NOT NULL, created_at timestamp NOT NULL)")
    if connection.vendor == "postgresql":
        c.execute("ANALYZE")
from accord.leads.services import source_create
queued = source_create(name="Benchmark busy form", queue_submissions=True)
Source.objects.filter(pk=queued.pk).update(rate_limit_per_minute=1_000_000_000)
print(json.dumps({{"token": raw, "form_key": source.public_key, "queued_form_key": queued.public_key}}))
"""

COUNT = """
import django, json
django.setup()
from django.db import connection
from accord.leads.models import Lead
with connection.cursor() as c:
    c.execute("SELECT COUNT(*) FROM bench_bare")
    bare = c.fetchone()[0]
from accord.leads.models import QueuedSubmission
print(json.dumps({"bare": bare, "leads": Lead.objects.filter(email__startswith="bench").count(),
                  "submissions_waiting": QueuedSubmission.objects.exclude(state="done").count()}))
"""


IDLE = """
import django, json
django.setup()
from django_tasks_db.models import DBTaskResult
tasks = DBTaskResult.objects
print(json.dumps({"due": tasks.ready().count() + tasks.running().count()}))
"""


def _worker_idle(env: dict[str, str], timeout: float = 300.0) -> None:
    """Wait until the worker has run every task that is due (the demo data's own, from the setup)."""
    deadline = time.monotonic() + timeout
    while _python(IDLE, env)["due"] and time.monotonic() < deadline:
        time.sleep(1.0)


def _python(code: str, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"setup failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_db(db: str, args: argparse.Namespace) -> dict:
    data_dir = tempfile.mkdtemp(prefix="accord-tp-")
    name = f"accord_bench_tp_{os.getpid()}"
    if db == "sqlite":
        url, pk = f"sqlite:///{data_dir}/bench.sqlite3", "integer PRIMARY KEY AUTOINCREMENT"
        if os.environ.get("BENCH_SQLITE_TEMPLATE"):
            # A migrated database to start from (ratio_check.py migrates once for all its measurements).
            shutil.copyfile(os.environ["BENCH_SQLITE_TEMPLATE"], f"{data_dir}/bench.sqlite3")
    else:
        subprocess.run(["psql", PG_BASE + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", PG_BASE + "/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
        url, pk = f"{PG_BASE}/{name}", "bigserial PRIMARY KEY"
    env = _env(url, data_dir)
    try:
        keys = _python(SETUP.format(leads=args.seed_leads, pk=pk), env)
        port = 18000 + os.getpid() % 1000
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "bench_wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--access-logfile", "/dev/null", "--graceful-timeout", "10",
             "--backlog", "2048", *_control_socket()],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        targets = getattr(args, "targets", TARGETS)
        # The task worker, as `accord run` starts it beside the web server: it makes the queued
        # submissions' leads and routes every new lead; its CPU is counted per lead too.
        worker = (
            subprocess.Popen(
                [sys.executable, "manage.py", "worker", "--nice", str(args.worker_nice)],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if any(t in QUEUED for t in targets)
            else None
        )
        try:
            if worker is not None:
                _worker_idle(env)
            result = asyncio.run(_measure(server.pid, port, keys, args, worker.pid if worker else None))
        finally:
            server.terminate()
            server.wait(timeout=30)
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=60)
        stored = _python(COUNT, env)
        answered = result.pop("answered")
        result["lost"] = {"bare": answered["bare"] - stored["bare"],
                          "leads": sum(n for t, n in answered.items() if t != "bare") - stored["leads"],
                          "submissions_not_done": stored["submissions_waiting"]}  # fmt: skip
        result["db"] = db
        return result
    finally:
        if db == "postgresql":
            subprocess.run(
                ["psql", PG_BASE + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=False
            )
        shutil.rmtree(data_dir, ignore_errors=True)


def _control_socket() -> list[str]:
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


async def _wait_for(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("gunicorn did not start")


async def _measure(
    master: int, port: int, keys: dict, args: argparse.Namespace, worker: int | None = None
) -> dict:
    await _wait_for(port)
    targets = getattr(args, "targets", TARGETS)
    client = Client(port, keys["token"], keys["form_key"], keys.get("queued_form_key", ""))
    answered = dict.fromkeys(TARGETS, 0)
    for target in targets:  # warm every worker up (imports, connections, caches)
        for status, _ in await client.load(target, args.workers * 2, 1.0):
            answered[target] += 200 <= status < 300
    if worker is not None:
        await client.drained()
        answered["api_queued"] += 1
    sequential: dict[str, dict] = {}
    for target in targets:
        cpu, worker_cpu = _cpu_of_children(master), _cpu_of(worker)
        started = time.perf_counter()
        results = await client.sequential(target, args.sequential)
        elapsed = time.perf_counter() - started
        cpu = _cpu_of_children(master) - cpu
        ok = [seconds for status, seconds in results if 200 <= status < 300]
        answered[target] += len(ok)
        drain_s = 0.0
        if worker is not None:
            # Everything the worker did for these requests (making queued leads, routing new ones),
            # waited for to the end; the one extra submission handed in to wait is in it too.
            drain_s = await client.drained()
            answered["api_queued"] += 1
            worker_cpu = _cpu_of(worker) - worker_cpu
        else:
            worker_cpu = 0.0
        sequential[target] = {
            "requests": len(results), "ok": len(ok), "per_s": round(len(results) / elapsed, 1),
            "p50_ms": round(_pct(ok, 50) * 1000, 1), "p99_ms": round(_pct(ok, 99) * 1000, 1),
            "server_cpu_ms": round(cpu / max(len(results), 1) * 1000, 1),
            "worker_cpu_ms": round(worker_cpu / max(len(results), 1) * 1000, 1),
            "total_cpu_ms": round((cpu + worker_cpu) / max(len(results), 1) * 1000, 1),
            "drain_wait_s": round(drain_s, 2),
            "statuses": sorted({status for status, _ in results}),
        }  # fmt: skip
    loaded: dict[str, dict[str, dict]] = {}
    for connections in args.concurrency:
        runs: dict[str, list[dict]] = {t: [] for t in targets}
        for _ in range(args.rounds):
            for target in targets:
                results = await client.load(target, connections, args.seconds)
                ok = [seconds for status, seconds in results if 200 <= status < 300]
                answered[target] += len(ok)
                catch_up = 0.0
                if worker is not None:
                    # Every round starts with the queue empty and the worker idle: after a queued
                    # target's round, wait for the worker to make the burst's leads (how long it
                    # took is reported), so the next target's round does not share the CPU with it.
                    catch_up = await client.drained()
                    answered["api_queued"] += 1
                runs[target].append({"per_s": len(ok) / args.seconds, "p50": _pct(ok, 50), "p99": _pct(ok, 99),
                                     "errors": len(results) - len(ok), "catch_up": catch_up})  # fmt: skip
        loaded[str(connections)] = {
            target: {
                "per_s": round(statistics.median(r["per_s"] for r in rs), 1),
                "p50_ms": round(statistics.median(r["p50"] for r in rs) * 1000, 1),
                "p99_ms": round(statistics.median(r["p99"] for r in rs) * 1000, 1),
                "errors": sum(r["errors"] for r in rs),
                "catch_up_s": round(statistics.median(r["catch_up"] for r in rs), 1),
            }
            for target, rs in runs.items()
        }
        bare = loaded[str(connections)]["bare"]
        for target in (t for t in targets if t != "bare"):
            row = loaded[str(connections)][target]
            row["throughput_ratio"] = round(row["per_s"] / bare["per_s"], 2) if bare["per_s"] else None
            row["p99_ratio"] = round(row["p99_ms"] / bare["p99_ms"], 2) if bare["p99_ms"] else None
    if worker is not None:
        await client.drained()
        answered["api_queued"] += 1
    return {"sequential": sequential, "load": loaded, "answered": answered}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed-leads", type=int, default=1500, help="demo leads loaded first")
    parser.add_argument("--sequential", type=int, default=300, help="requests per target, one at a time")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[16, 32])
    parser.add_argument("--seconds", type=float, default=15.0, help="load per target and round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--targets",
        type=lambda text: tuple(t for t in text.split(",") if t),
        default=TARGETS,
        help=f"comma-separated, of {','.join(TARGETS)} (bare is always measured)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (accord run's default)")
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="the task worker's nice value (accord run's default, ACCORD_WORKER_NICE; 0 as before it)",
    )
    parser.add_argument(
        "--small", action="store_true", help="a quick run: 60 sequential, 32 connections, 5 s"
    )
    args = parser.parse_args()
    args.targets = ("bare", *(t for t in TARGETS if t in args.targets and t != "bare"))
    if args.small:
        args.seed_leads, args.sequential, args.concurrency, args.seconds, args.rounds = 300, 60, [32], 5.0, 1
    dbs = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for db in dbs:
        result = run_db(db, args)
        print(json.dumps(result))
        seq = result["sequential"]
        print(f"\n{db}: sequential client, {args.sequential} requests per target")
        print(
            "| target | req/s | p50 ms | p99 ms | web CPU ms/request | worker CPU ms/request | total |\n"
            "|---|---|---|---|---|---|---|"
        )
        for target in args.targets:
            s = seq[target]
            print(f"| {target} | {s['per_s']} | {s['p50_ms']} | {s['p99_ms']} | {s['server_cpu_ms']} | "
                  f"{s['worker_cpu_ms']} | {s['total_cpu_ms']} |")  # fmt: skip
        for connections, rows in result["load"].items():
            print(
                f"\n{db}: {connections} connections, {args.seconds:g} s per target, median of {args.rounds}"
            )
            print(
                "| target | req/s | p50 ms | p99 ms | errors | req/s ÷ bare | p99 ÷ bare | worker catch-up s |\n"
                "|---|---|---|---|---|---|---|---|"
            )
            for target in args.targets:
                r = rows[target]
                print(f"| {target} | {r['per_s']} | {r['p50_ms']} | {r['p99_ms']} | {r['errors']} | "
                      f"{r.get('throughput_ratio', 1.0)} | {r.get('p99_ratio', 1.0)} | {r['catch_up_s']} |")  # fmt: skip
        print(f"\nlost (2xx answered but not stored): {result['lost']}")


if __name__ == "__main__":
    main()
