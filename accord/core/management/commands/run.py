"""``accord run``: migrate, then serve the web app with gunicorn and run the task worker beside it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.env import env_int, env_str

DEFAULT_BIND = "127.0.0.1:8000"
DEMO_LOGINS_FILE = "demo-logins.txt"


def demo_logins_path() -> Path:
    """Where `accord demo` writes the demo users' logins."""
    return Path(settings.DATA_DIR) / DEMO_LOGINS_FILE


def _gunicorn_extra_args() -> list[str]:
    """Newer gunicorn opens a control socket in $HOME; two instances would fight over it."""
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


class Command(BaseCommand):
    help = "Apply migrations, then run the web server (gunicorn) and a task worker until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=env_str("ACCORD_BIND") or DEFAULT_BIND,
            help="host:port (env ACCORD_BIND).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=env_int("ACCORD_WEB_WORKERS", 3, minimum=1),
            help="gunicorn worker processes (env ACCORD_WEB_WORKERS, default 3).",
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start the task worker.")
        parser.add_argument("--skip-migrate", action="store_true", help="Do not apply migrations first.")

    def handle(
        self, *args: Any, bind: str, workers: int, no_worker: bool, skip_migrate: bool, **options: Any
    ) -> None:
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
        # WhiteNoise serves vendored files through the finders; an existing root keeps it from warning.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        if not skip_migrate:
            call_command("migrate", interactive=False, verbosity=1)

        web = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", bind, "--workers", str(workers)]
        web += ["--access-logfile", "-", "--graceful-timeout", "10", *_gunicorn_extra_args()]
        children: dict[str, subprocess.Popen[bytes]] = {"web server": subprocess.Popen(web)}
        if not no_worker:
            worker = [sys.executable, "-m", "accord.cli", "worker", "--no-startup-delay"]
            children["task worker"] = subprocess.Popen(worker)

        self._announce(bind)
        code = self._supervise(children)
        if code:
            raise CommandError(f"Accord stopped: a process exited with status {code}.", returncode=code)

    def _announce(self, bind: str) -> None:
        host, _, port = bind.rpartition(":")
        if host in ("", "0.0.0.0", "[::]"):
            host = "127.0.0.1"
        self.stdout.write(
            self.style.SUCCESS(f"Accord is running at http://{host}:{port}/  (Ctrl-C stops it)")
        )
        logins = demo_logins_path()
        if logins.exists():
            self.stdout.write("Demo logins:")
            for line in logins.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self.stdout.write(f"  {line}")
        self.stdout.flush()

    def _supervise(self, children: dict[str, subprocess.Popen[bytes]]) -> int:
        """Wait until Ctrl-C/SIGTERM or until one child exits; then stop the others and reap them."""
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        code = 0
        try:
            while not stopping:
                exited = [(name, p) for name, p in children.items() if p.poll() is not None]
                if exited:
                    name, process = exited[0]
                    code = process.returncode
                    if code:
                        self.stderr.write(f"The {name} exited with status {code}; stopping Accord.")
                    break
                time.sleep(0.2)
        finally:
            for process in children.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 15
            for process in children.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if stopping:
            self.stdout.write("Accord stopped.")
            return 0
        return code
