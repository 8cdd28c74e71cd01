"""The ``accord`` command (accord/cli.py) and the ``run`` and ``worker`` management commands."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from accord import cli


@pytest.fixture
def clean_env(monkeypatch):
    for name in (*cli._CONFIGURED, "DJANGO_SETTINGS_MODULE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_secret_or_debug_it_falls_back_to_development_mode_with_a_warning(clean_env, capsys):
    cli._local_defaults()
    assert os.environ["ACCORD_DEBUG"] == "true"
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "config.settings"
    err = capsys.readouterr().err
    assert "ACCORD_SECRET_KEY is not set" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "configured", ["ACCORD_SECRET_KEY", "ACCORD_SECRET_KEY_FILE", "ACCORD_DEBUG", "ACCORD_ALLOW_INSECURE_KEY"]
)
def test_a_configured_instance_is_left_alone(clean_env, capsys, configured):
    clean_env.setenv(configured, "false" if configured == "ACCORD_DEBUG" else "x" * 50)
    cli._local_defaults()
    assert os.environ.get("ACCORD_DEBUG") == ("false" if configured == "ACCORD_DEBUG" else None)
    assert capsys.readouterr().err == ""


def test_main_passes_subcommands_to_management_commands(personas, capsys):
    cli.main(["users", "--role", "marketing_head", "--json"])
    assert [row["username"] for row in json.loads(capsys.readouterr().out)] == ["mona"]


def _subprocess_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ACCORD_DATABASE_URL")}
    for name in cli._CONFIGURED:
        env.pop(name, None)
    env["ACCORD_DATA_DIR"] = str(tmp_path)
    return env


def test_accord_help_lists_the_accord_commands(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli", "help"],
        env=_subprocess_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for command in ("createadmin", "run", "token", "users", "worker"):
        assert f"    {command}\n" in result.stdout
    assert "development mode" in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


def test_accord_run_migrates_serves_runs_the_worker_and_stops_on_ctrl_c(tmp_path):
    """The whole front door: a fresh data directory, migrate, gunicorn + worker, demo logins, SIGINT."""
    (tmp_path / "demo-logins.txt").write_text("alice / demo-password (marketing)\n", encoding="utf-8")
    port = _free_port()
    env = _subprocess_env(tmp_path) | {
        "ACCORD_BIND": f"127.0.0.1:{port}",
        "ACCORD_WEB_WORKERS": "1",
        "ACCORD_WORKER_NICE": "7",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.5)
        assert status == 200, "the web server did not answer /healthz"
        assert json.loads(body)["database"] == "ok"
        # The worker beside it writes its heartbeat as it starts.
        for _ in range(60):
            health = json.loads(_get(f"http://127.0.0.1:{port}/healthz")[1])
            if health["worker"]["ok"]:
                break
            time.sleep(0.5)
        assert health["status"] == "ok" and health["worker"]["seen_seconds_ago"] < 60, health
        # The worker runs at a lower CPU priority than the web server (ACCORD_WORKER_NICE).
        assert _nice_of(process.pid, "accord.cli worker") == os.getpriority(os.PRIO_PROCESS, 0) + 7
        assert _nice_of(process.pid, "gunicorn") == os.getpriority(os.PRIO_PROCESS, 0)
        assert (tmp_path / "accord.sqlite3").exists()
        login_status, login_page = _get(f"http://127.0.0.1:{port}/login/")
        assert login_status == 200 and b"Sign in to Accord" in login_page
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert f"Accord is running at http://127.0.0.1:{port}/" in output
    assert "alice / demo-password (marketing)" in output
    assert "Accord stopped." in output
    # Both children are gone: nothing listens on the port any more.
    with pytest.raises(OSError):
        _get(f"http://127.0.0.1:{port}/healthz")


def _nice_of(parent: int, word: str) -> int:
    """The nice value of ``parent``'s child process whose command line holds ``word``."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent and word in command:
            return int(fields[16])  # field 19 of /proc/<pid>/stat: nice
    raise AssertionError(f"no child of {parent} runs {word!r}")


def test_worker_serves_every_queue_and_does_not_reload_by_default():
    from accord.core.management.commands.worker import Command

    parser = Command().create_parser("accord", "worker")
    options = parser.parse_args([])
    assert options.queue_name == "*"
    assert options.reload is False
