"""Fault-test helpers: Accord instances in temporary directories, driven as separate processes."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
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
