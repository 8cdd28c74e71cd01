"""Fault-test helpers: Accord instances in temporary directories, driven as separate processes."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow fault tests run when asked for (`make faults`: -m faults), not in every test run."""
    expression = config.getoption("markexpr") or ""
    if "faults" in expression or "slow" in expression:
        return
    skip = pytest.mark.skip(
        reason="a slow fault test: run it with `make faults` (pytest -m faults tests/faults)"
    )
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(skip)


def accord_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of an Accord process using ``data_dir`` (its SQLite database, media, outbox)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ACCORD_DATABASE_URL")}
    env.update(
        ACCORD_DEBUG="true",
        ACCORD_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def accord(*args: str, env: dict[str, str], timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """Run ``accord ARGS`` (or ``-m MODULE ARGS`` when args start with -m) and wait for it."""
    command = [sys.executable, *args] if args[0] == "-m" else [sys.executable, "-m", "accord.cli", *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, **kw)


def wait_for(check: Callable[[], object], *, timeout: float, every: float = 0.2, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or check}")
        time.sleep(every)


def query(db: Path, sql: str, *params) -> list[tuple]:
    """Read the instance's SQLite database directly (the test process has no Django connection to it)."""
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A freshly migrated SQLite database, made once per session; tests copy it."""
    data = tmp_path_factory.mktemp("template")
    done = accord("migrate", "--noinput", env=accord_env(data))
    assert done.returncode == 0, done.stderr[-3000:]
    return data / "accord.sqlite3"


@pytest.fixture
def sqlite_instance(migrated_sqlite, tmp_path) -> Path:
    """A data directory holding a copy of the migrated database; returns the directory."""
    data = tmp_path / "instance"
    data.mkdir()
    shutil.copy(migrated_sqlite, data / "accord.sqlite3")
    return data


@pytest.fixture
def http_server(transactional_db):
    """Django's live server with a listen backlog for 50 clients connecting at once (the test
    server's default of 10 resets the rest, which no production server does). Yields its URL."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class Server(ThreadedWSGIServer):
        request_queue_size = 256

    class Thread(LiveServerThread):
        server_class = Server

    thread = Thread("127.0.0.1", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()


# --- a private PostgreSQL cluster ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of our own; run as the 'postgres' user when we are root."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="accord-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            import pwd

            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root with no 'postgres' user to run initdb as")
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self.dir.chmod(0o755)
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def run(self, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout[-2000:]} {done.stderr[-2000:]}"

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def destroy(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


def initdb_dir() -> Path:
    """The directory of PostgreSQL's server binaries; skips the test when they are not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or (
        [shutil.which("initdb")] if shutil.which("initdb") else []
    )
    if not found:
        pytest.skip("initdb is not installed: this test needs PostgreSQL's server binaries")
    return Path(found[-1]).parent


@pytest.fixture
def cluster():
    """A private PostgreSQL cluster, started; destroyed after the test."""
    cluster = Cluster(initdb_dir())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
