"""The real `accord run`, its task worker included, through the two faults that used to take the
whole instance down: the worker killed with SIGKILL, and PostgreSQL stopped and started again.

Throughout, form posts and API posts flow from four clients. Neither fault may refuse a connection;
while the database is down the answer is 503 JSON with Retry-After; every post answered 2xx is
stored exactly once; and the worker comes back (a new process, or the same one after the outage)
and runs the deadlines and imports that fell due meanwhile.

Runs a private PostgreSQL cluster (initdb in a temporary directory, its own port), migrated once for
the module; each test works in its own copy of the migrated database. A third test (on SQLite) kills
the web server instead: `accord run` starts it again and the worker is left alone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from tests.faults.conftest import ROOT, Cluster, accord, accord_env, free_port, initdb_dir, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]

TEMPLATE = "accord_migrated"
RUN = [sys.executable, "-m", "accord.cli", "run", "--skip-migrate"]


@pytest.fixture(scope="module")
def migrated_cluster(tmp_path_factory):
    """A private cluster holding a migrated database to copy (CREATE DATABASE ... TEMPLATE)."""
    cluster = Cluster(initdb_dir())
    try:
        cluster.init()
        cluster.start()
        psql(cluster, f"CREATE DATABASE {TEMPLATE}")
        env = instance_env(cluster, TEMPLATE, tmp_path_factory.mktemp("template"))
        done = accord("migrate", "--noinput", env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        yield cluster
    finally:
        cluster.destroy()


def psql(cluster: Cluster, sql: str, database: str = "postgres") -> list[tuple]:
    import psycopg

    with psycopg.connect(cluster.url.rsplit("/", 1)[0] + f"/{database}", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def instance_env(cluster: Cluster, database: str, data_dir: Path) -> dict[str, str]:
    return accord_env(
        data_dir,
        DATABASE_URL=cluster.url.rsplit("/", 1)[0] + f"/{database}",
        ACCORD_DEBUG="false",
        ACCORD_SECRET_KEY="fault-test-" + "k" * 40,
        ACCORD_CONN_MAX_AGE="600",  # persistent connections: an outage breaks them under the server
        ACCORD_EMAIL_CONSOLE="true",
        ACCORD_IMPORT_CHUNK_ROWS="500",
        ACCORD_IMPORT_STALE_SECONDS="2",
    )


@dataclass
class Answer:
    path: str
    email: str
    sent: float
    answered: float
    status: int  # 0: no HTTP answer at all (refused, reset)
    content_type: str = ""
    retry_after: str = ""
    body: bytes = b""
    error: str = ""


def post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str, str, bytes, str]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), "", response.read(), ""
    except urllib.error.HTTPError as exc:
        return (
            exc.code,
            exc.headers.get("Content-Type", ""),
            exc.headers.get("Retry-After", ""),
            exc.read(),
            "",
        )
    except OSError as exc:  # URLError(ConnectionRefusedError), a reset, a dropped connection
        return 0, "", "", b"", repr(exc)


def health(base: str) -> dict | None:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read()) if exc.code == 503 else None
    except OSError:
        return None


@dataclass
class Instance:
    """`accord run` with its worker against one database of the cluster, and clients posting to it."""

    cluster: Cluster
    database: str
    data_dir: Path
    env: dict[str, str] = field(init=False)
    keys: dict[str, str] = field(init=False)
    base: str = field(init=False)
    server: subprocess.Popen | None = None
    answers: list[Answer] = field(default_factory=list)
    stop_traffic: threading.Event = field(default_factory=threading.Event)
    queued: bool = False  # a third of the posts go to a form whose leads the worker makes
    threads: list[threading.Thread] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env = instance_env(self.cluster, self.database, self.data_dir)
        made = accord("-m", "tests.faults.child", "setup-intake", env=self.env)
        assert made.returncode == 0, made.stderr[-3000:]
        self.keys = json.loads(made.stdout.strip().splitlines()[-1])
        self.base = f"http://127.0.0.1:{free_port()}"

    def child(self, *args: str) -> str:
        return self.children(args)[0]

    def children(self, *commands: tuple[str, ...]) -> list[str]:
        """Run ``tests.faults.child`` commands side by side; returns the last line each printed."""
        running = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.faults.child", *args],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args in commands
        ]
        lines = []
        for process in running:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-3000:]
            lines.append(out.strip().splitlines()[-1])
        return lines

    def sql(self, query: str) -> list[tuple]:
        return psql(self.cluster, query, self.database)

    def start(self) -> None:
        self.log = open(self.data_dir / "run.log", "w")  # noqa: SIM115
        bind = self.base.removeprefix("http://")
        self.server = subprocess.Popen(
            [*RUN, "--bind", bind, "--workers", "2"],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: (health(self.base) or {}).get("worker", {}).get("ok"), timeout=60, what="the worker")

    def worker_pid(self) -> int:
        """The pid of the worker that wrote the newest heartbeat (a child of `accord run`)."""
        (pid,) = self.sql("SELECT pid FROM core_workerheartbeat ORDER BY seen_at DESC LIMIT 1")[0]
        return pid

    def traffic(self, clients: int = 4) -> None:
        def client(number: int) -> None:
            n = 0
            while not self.stop_traffic.is_set():
                n += 1
                email = f"c{number}-n{n}@supervised.example"
                if n % 3 == 0 and self.queued:
                    # A busy form: answered once stored, its lead made by the worker.
                    path = f"/f/{self.keys['queued_form_key']}"
                    data = urllib.parse.urlencode({"email": email, "first_name": "Ada"}).encode()
                    headers = {
                        "Accept": "application/json",
                        "Content-Type": "application/x-www-form-urlencoded",
                    }
                elif n % 2:
                    path = f"/f/{self.keys['form_key']}"
                    data = urllib.parse.urlencode({"email": email, "first_name": "Ada"}).encode()
                    headers = {
                        "Accept": "application/json",
                        "Content-Type": "application/x-www-form-urlencoded",
                    }
                else:
                    path = "/api/v1/leads"
                    data = json.dumps({"email": email, "first_name": "Ada"}).encode()
                    headers = {
                        "Authorization": f"Bearer {self.keys['token']}",
                        "Content-Type": "application/json",
                    }
                sent = time.monotonic()
                status, kind, retry_after, body, error = post(self.base + path, data, headers)
                answer = Answer(path, email, sent, time.monotonic(), status, kind, retry_after, body, error)
                self.answers.append(answer)
                time.sleep(0.02)

        self.threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
        for thread in self.threads:
            thread.start()

    def stop(self) -> tuple[int | None, str]:
        self.stop_traffic.set()
        for thread in self.threads:
            thread.join(90)
        if self.server is not None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()
            self.log.close()
        return (self.server.returncode if self.server else None), (self.data_dir / "run.log").read_text(
            errors="replace"
        )

    def queue_drained(self) -> bool:
        return self.sql("SELECT COUNT(*) FROM leads_queuedsubmission WHERE state <> 'done'")[0][0] == 0

    def assert_every_acknowledged_post_stored_once(self) -> None:
        acknowledged = [a.email for a in self.answers if a.status in (200, 201)]
        assert len(acknowledged) == len(set(acknowledged))
        stored = dict(
            self.sql(
                "SELECT email, COUNT(*) FROM leads_lead WHERE email LIKE '%@supervised.example' GROUP BY email"
            )
        )
        missing = [email for email in acknowledged if email not in stored]
        assert not missing, missing[:10]
        assert all(count == 1 for count in stored.values()), {e: c for e, c in stored.items() if c > 1}


@pytest.fixture
def instance(migrated_cluster, tmp_path, request):
    database = f"run_{request.node.name[5:30].lower()}"
    psql(migrated_cluster, f"CREATE DATABASE {database} TEMPLATE {TEMPLATE}")
    made = Instance(migrated_cluster, database, tmp_path)
    try:
        yield made
    finally:
        made.stop()


def write_csv(path: Path, rows: int, tag: str) -> set[str]:
    emails = [f"{tag}{n}@import{n % 50}.example" for n in range(rows)]
    lines = ["email,first_name,company"] + [f"{e},Name{n},Company {n % 50}" for n, e in enumerate(emails)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return set(emails)


def import_state(instance: Instance, job_id: int) -> tuple[str, int]:
    return instance.sql(f"SELECT status, rows_done FROM leads_importjob WHERE id = {job_id}")[0]


def imported_once(instance: Instance, emails: set[str], tag: str) -> bool:
    stored = dict(
        instance.sql(f"SELECT email, COUNT(*) FROM leads_lead WHERE email LIKE '{tag}%' GROUP BY email")
    )
    return set(stored) == emails and all(count == 1 for count in stored.values())


def test_a_worker_killed_with_sigkill_is_restarted_while_the_web_keeps_serving(instance, tmp_path):
    instance.queued = True  # posts to a busy form wait for the worker and are made once it is back
    instance.start()
    first_pid = instance.worker_pid()
    instance.traffic()
    time.sleep(2)
    os.kill(first_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    # Work queued after the kill: a small import and a deadline due in two seconds.
    emails = write_csv(tmp_path / "after-kill.csv", 300, "afterkill")
    job, due = instance.children(("create-job", str(tmp_path / "after-kill.csv")), ("deadline", "2"))
    job_id, deadline = int(job), json.loads(due)

    new_pid = wait_for(
        lambda: (pid := instance.worker_pid()) != first_pid and pid,
        timeout=20,
        what="a new worker's heartbeat",
    )
    assert health(instance.base)["worker"]["ok"] is True
    assert new_pid in children_of(instance.server.pid)  # started by `accord run`
    wait_for(
        lambda: import_state(instance, job_id)[0] == "done",
        timeout=30,
        what="the import queued after the kill",
    )
    wait_for(
        lambda: instance.sql(f"SELECT breached_at FROM sla_slaclock WHERE id = {deadline['clock']}")[0][0],
        timeout=20,
        what="the deadline queued after the kill",
    )
    time.sleep(1)  # traffic goes on after the worker is back
    instance.stop_traffic.set()
    for thread in instance.threads:
        thread.join(90)
    wait_for(instance.queue_drained, timeout=30, what="the new worker to drain the busy form's posts")
    code, log = instance.stop()

    assert new_pid != first_pid
    assert f"(pid {first_pid}) was killed by SIGKILL" in log, log[-3000:]
    assert "The task worker is running again" in log
    assert code == 0 and "Accord stopped." in log, log[-3000:]
    assert imported_once(instance, emails, "afterkill")
    refused = [a for a in instance.answers if a.status == 0]
    assert not refused, refused[:5]
    during = [a for a in instance.answers if a.sent > killed_at]
    assert len(during) > 20
    assert any(a.path.endswith(instance.keys["queued_form_key"]) for a in during)
    assert all(a.status in (200, 201) for a in instance.answers), sorted({a.status for a in instance.answers})
    instance.assert_every_acknowledged_post_stored_once()
    assert health(instance.base) is None  # both children stopped with it


def test_a_postgresql_stop_and_start_leaves_only_503s_and_the_worker_catches_up(instance, tmp_path):
    cluster = instance.cluster
    instance.start()
    first_pid = instance.worker_pid()
    emails = write_csv(tmp_path / "through-outage.csv", 10_000, "outage")
    instance.traffic()
    # The import starts two seconds before the database goes down; the deadline falls due two
    # seconds after, in the middle of the four seconds it stays down.
    job, due = instance.children(
        ("create-job", str(tmp_path / "through-outage.csv"), "--run-after", "10"), ("deadline", "14")
    )
    job_id, deadline = int(job), json.loads(due)
    due_at = datetime.fromisoformat(deadline["due_at"]).timestamp()
    assert time.time() < due_at - 2.5, "too slow to stop the database before the deadline"
    time.sleep(due_at - 2 - time.time())
    at_stop = import_state(instance, job_id)

    stopping_at = time.monotonic()
    cluster.stop("fast")
    down_at = time.monotonic()
    time.sleep(4)
    starting_at = time.monotonic()
    cluster.start()
    up_at = time.monotonic()

    wait_for(
        lambda: import_state(instance, job_id)[0] == "done",
        timeout=40,
        what="the import to resume and finish",
    )
    wait_for(
        lambda: instance.sql(f"SELECT breached_at FROM sla_slaclock WHERE id = {deadline['clock']}")[0][0],
        timeout=20,
        what="the deadline that fell due during the outage",
    )
    wait_for(
        lambda: (health(instance.base) or {}).get("worker", {}).get("ok"), timeout=20, what="worker health"
    )
    last_pid = instance.worker_pid()
    code, log = instance.stop()

    answers = instance.answers
    refused = [a for a in answers if a.status == 0]
    assert not refused, (refused[:5], log[-3000:])
    before = [a for a in answers if a.answered < stopping_at]  # answered before the stop began
    during = [a for a in answers if down_at < a.sent < starting_at - 0.2]
    after = [a for a in answers if a.sent > up_at + 1.0]
    assert before and during and after, (len(before), len(during), len(after))
    assert all(a.status in (200, 201) for a in before), sorted(
        {(a.path[:4], a.status, a.body[:200]) for a in before if a.status not in (200, 201)}
    )
    for a in answers:
        if a.status in (200, 201):
            continue
        assert a.status == 503, (a.path, a.status, a.body[:300])
        assert a.content_type.startswith("application/json")
        assert json.loads(a.body)["detail"]["database"] == "unavailable"
        assert int(a.retry_after) > 0
    assert all(a.status == 503 for a in during)
    assert all(a.status in (200, 201) for a in after), [(a.path, a.status, a.body[:200]) for a in after]
    instance.assert_every_acknowledged_post_stored_once()

    # The worker waited the outage out instead of exiting (or, at worst, was restarted).
    assert "the database is unavailable" in log and "the database is back" in log, log[-3000:]
    assert last_pid == first_pid or "running again" in log
    assert imported_once(instance, emails, "outage")
    if at_stop[0] == "running":  # the outage cut the import off: it went on after its committed rows
        assert f"after row {at_stop[1]}" in log or "goes on after the rows" in log, (at_stop, log[-3000:])
    assert code == 0, log[-3000:]


def children_of(pid: int) -> dict[int, str]:
    """The live child processes of ``pid`` and their command lines (read from /proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(stat.parent.name)] = command
    return found


def alive() -> set[int]:
    """The pids of all live processes (zombies excluded)."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
                pids.add(int(stat.parent.name))
        except (OSError, IndexError):
            continue
    return pids


def test_a_web_server_killed_with_sigkill_is_started_again_and_the_worker_keeps_running(sqlite_instance):
    env = accord_env(sqlite_instance)
    base = f"http://127.0.0.1:{free_port()}"
    log_path = sqlite_instance / "run.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [*RUN, "--bind", base.removeprefix("http://"), "--workers", "1"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(
                lambda: (health(base) or {}).get("worker", {}).get("ok"), timeout=60, what="the instance"
            )
            (web_pid,) = [pid for pid, command in children_of(server.pid).items() if "gunicorn" in command]
            (worker_pid,) = [pid for pid, command in children_of(server.pid).items() if " worker" in command]
            old_web_workers = set(children_of(web_pid))
            os.kill(web_pid, signal.SIGKILL)
            # Its orphaned workers serve on until they notice; then the new master can bind the port.
            wait_for(lambda: not old_web_workers & alive(), timeout=30, what="the old web workers to go")
            new_web = wait_for(
                lambda: [
                    pid
                    for pid, cmd in children_of(server.pid).items()
                    if "gunicorn" in cmd and pid != web_pid
                ],
                timeout=60,
                what="a new web server",
            )
            wait_for(lambda: health(base), timeout=60, what="the new web server to answer")
            assert web_pid not in children_of(server.pid) and len(new_web) == 1
            assert worker_pid in children_of(server.pid)  # the worker was not touched
            assert health(base)["database"] == "ok"
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(40)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
    output = log_path.read_text(errors="replace")
    assert f"The web server (pid {web_pid}) was killed by SIGKILL" in output, output[-3000:]
    assert "The web server is running again" in output
    assert server.returncode == 0 and "Accord stopped." in output
