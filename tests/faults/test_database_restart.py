"""PostgreSQL restarted while leads flow in: the intake answers 503 JSON (never a 500 page) only
while the database is down, works again once it is back, and loses no lead it acknowledged.

Runs a private, throwaway PostgreSQL cluster (initdb in a temporary directory, its own port and
socket directory), never the shared server, and Accord's own server (`accord run`) against it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

import pytest

from tests.faults.conftest import ROOT, accord, accord_env, free_port, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.slow]
RUN = [sys.executable, "-m", "accord.cli", "run", "--no-worker", "--skip-migrate"]


@dataclass
class Answer:
    path: str
    email: str
    sent: float
    status: int
    content_type: str
    retry_after: str
    body: bytes


def send(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str, str, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), "", response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.headers.get("Retry-After", ""), exc.read()


def test_a_database_restart_gives_503_json_while_down_and_no_acknowledged_lead_is_lost(cluster, tmp_path):
    import psycopg

    env = accord_env(
        tmp_path,
        DATABASE_URL=cluster.url,
        ACCORD_DEBUG="false",
        ACCORD_SECRET_KEY="fault-test-" + "k" * 40,
        ACCORD_CONN_MAX_AGE="600",  # persistent connections: the restart breaks them under the server
    )
    migrated = accord("migrate", "--noinput", env=env)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    made = accord("-m", "tests.faults.child", "setup-intake", env=env)
    assert made.returncode == 0, made.stderr[-3000:]
    keys = json.loads(made.stdout.strip().splitlines()[-1])

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [*RUN, "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    answers: list[Answer] = []
    lock = threading.Lock()
    stop = threading.Event()

    def traffic(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            email = f"w{worker}-n{n}@restart.example"
            if n % 2:
                path = f"/f/{keys['form_key']}"
                data = urllib.parse.urlencode({"email": email, "first_name": "Ada"}).encode()
                headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
            else:
                path = "/api/v1/leads"
                data = json.dumps({"email": email, "first_name": "Ada"}).encode()
                headers = {"Authorization": f"Bearer {keys['token']}", "Content-Type": "application/json"}
            sent = time.monotonic()
            status, kind, retry_after, body = send(base + path, data, headers)
            with lock:
                answers.append(Answer(path, email, sent, status, kind, retry_after, body))
            time.sleep(0.02)

    try:
        wait_for(lambda: _up(base), timeout=60, what="the server")
        threads = [threading.Thread(target=traffic, args=(i,), daemon=True) for i in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        stopping_at = time.monotonic()
        cluster.stop("immediate")
        down_at = time.monotonic()  # from here until start() is called it is certainly down
        time.sleep(3)
        starting_at = time.monotonic()
        cluster.start()
        up_at = time.monotonic()
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join(90)
    finally:
        stop.set()
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    server_log = (tmp_path / "server.log").read_text(errors="replace")[-3000:]

    before = [a for a in answers if a.sent < stopping_at - 0.5]
    during = [a for a in answers if down_at < a.sent < starting_at - 0.2]
    after = [a for a in answers if a.sent > up_at + 1.0]
    assert before and during and after, (len(before), len(during), len(after))
    assert all(a.status in (200, 201) for a in before), [
        (a.path, a.status) for a in before if a.status >= 300
    ]
    # While it is down: 503 with a JSON message and Retry-After, never a 500 (or an HTML page).
    statuses = {a.status for a in answers}
    assert 500 not in statuses, server_log
    failed = [a for a in answers if a.status not in (200, 201)]
    assert failed, "no request failed while the database was down"
    for a in failed:
        assert a.status == 503, (a.path, a.status, a.body[:300], server_log)
        assert a.content_type.startswith("application/json"), (a.path, a.content_type, a.body[:300])
        body = json.loads(a.body)
        assert body["message"] and body["detail"]["database"] == "unavailable"
        assert int(a.retry_after) > 0
    assert all(a.status == 503 for a in during), sorted({(a.path, a.status) for a in during})
    assert {a.path.split("/")[1] for a in during} == {"f", "api"}
    # Back up: requests succeed again.
    assert all(a.status in (200, 201) for a in after), [(a.path, a.status, a.body[:200]) for a in after]
    # Every lead acknowledged with a 2xx is stored.
    with psycopg.connect(cluster.url) as conn:
        stored = {row[0] for row in conn.execute("SELECT email FROM leads_lead")}
    acknowledged = {a.email for a in answers if a.status in (200, 201)}
    assert acknowledged <= stored, sorted(acknowledged - stored)[:10]


def _up(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
            return response.status < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False
