"""``accord run``: migrate, then serve the web app with gunicorn and run the task worker beside it.

The command supervises both: a child that exits (a crash, an out-of-memory kill, SIGKILL) is
started again after a pause that doubles from 1 s to at most 30 s, and goes back to 1 s once the
child has run for a minute; each exit is logged with its status. The web server keeps serving
while the worker is restarted, and the other way round. Ctrl-C or SIGTERM stops both (SIGTERM,
then SIGKILL after a grace period). Only a child that fails on its very first start (a port in
use, bad settings) stops Accord, since starting it again would fail the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.core.env import env_int, env_str

DEFAULT_BIND = "127.0.0.1:8000"
DEMO_LOGINS_FILE = "demo-logins.txt"
# The task worker as `accord run` starts it; it runs at a lower CPU priority (``--nice``,
# ACCORD_WORKER_NICE), so a burst of requests is answered first and the worker catches up after.
WORKER_COMMAND = [sys.executable, "-m", "accord.cli", "worker", "--no-startup-delay"]


def demo_logins_path() -> Path:
    """Where `accord demo` writes the demo users' logins."""
    return Path(settings.DATA_DIR) / DEMO_LOGINS_FILE


def _gunicorn_extra_args() -> list[str]:
    """Newer gunicorn opens a control socket in $HOME; two instances would fight over it."""
    from gunicorn.config import KNOWN_SETTINGS

    return ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []


def served_url(bind: str) -> str:
    """The address a browser on this machine opens for ``bind`` (host:port): 'http://127.0.0.1:8001/'."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):
        host = "127.0.0.1"
    return f"http://{host}:{port}/"


# A child that fails this soon after its first start has a setup problem, not a crash.
FIRST_START_SECONDS = 10.0
# Seconds between SIGTERM and SIGKILL when Accord stops.
STOP_GRACE_SECONDS = 15.0


@dataclass
class Backoff:
    """Pauses before a child is started again: 1 s, 2 s, 4 s ... at most 30 s. A child that ran
    for a minute before it exited was healthy, so its next pause starts over at 1 s."""

    first: float = 1.0
    longest: float = 30.0
    healthy_after: float = 60.0
    failures: int = 0

    def next_delay(self, *, ran_for: float) -> float:
        if ran_for >= self.healthy_after:
            self.failures = 0
        delay = min(self.longest, self.first * 2**self.failures)
        self.failures += 1
        return delay


class Process(Protocol):
    """What the supervisor needs of a child process (subprocess.Popen, or a fake in tests)."""

    pid: int

    def poll(self) -> int | None: ...

    def terminate(self) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


def exit_description(code: int) -> str:
    """'exited with status 1' or 'was killed by SIGKILL' (Popen reports a signal as -signum)."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


@dataclass
class Child:
    """One supervised process: its command, the process running it, and when to start it again."""

    name: str
    command: list[str]
    # In a process group of its own: what it leaves behind when it dies (gunicorn's workers keep the
    # port for up to 15 s after their master is killed) is killed with the group, and Ctrl-C in a
    # terminal reaches only the supervisor, which signals each child once (a worker that got both
    # the terminal's SIGINT and the supervisor's SIGTERM took the second for "abandon the task").
    own_group: bool = True
    spawn: Callable[..., Process] = subprocess.Popen
    clock: Callable[[], float] = time.monotonic
    backoff: Backoff = field(default_factory=Backoff)
    process: Process | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    starts: int = 0

    def start(self) -> None:
        self.process = self.spawn(self.command, **({"process_group": 0} if self.own_group else {}))
        self.started_at = self.clock()
        self.restart_at = None
        self.starts += 1

    def kill_leftovers(self) -> None:
        """SIGKILL whatever is left in the child's process group once the child itself is gone."""
        if self.own_group and self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check(self, say: Callable[[str], None]) -> int | None:
        """Notice an exit and schedule a restart, or restart once the pause is over.

        Returns the exit status when the child failed on its first start (Accord should stop
        then); None otherwise.
        """
        assert self.process is not None, "start() the child first"
        now = self.clock()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
                say(f"The {self.name} is running again (pid {self.process.pid}, start {self.starts}).")
            return None
        code = self.process.poll()
        if code is None:
            return None
        ran_for = now - self.started_at
        self.kill_leftovers()
        if self.starts == 1 and code > 0 and ran_for < FIRST_START_SECONDS:
            say(f"The {self.name} {exit_description(code)} as it started; stopping Accord.")
            return code
        delay = self.backoff.next_delay(ran_for=ran_for)
        self.restart_at = now + delay
        say(
            f"The {self.name} (pid {self.process.pid}) {exit_description(code)} after {ran_for:.1f} s; "
            f"starting it again in {delay:g} s."
        )
        return None


def children_stop(children: list[Child], *, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM every running child, wait up to ``grace`` seconds in all, then SIGKILL what is left."""
    running = [child for child in children if child.process is not None and child.running]
    for child in running:
        child.process.terminate()  # type: ignore[union-attr]
    deadline = time.monotonic() + grace
    for child in running:
        process = child.process
        assert process is not None
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        child.kill_leftovers()


def children_supervise(
    children: list[Child],
    *,
    stopping: Callable[[], bool],
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
    tick: float = 0.2,
) -> int:
    """Keep the children running until ``stopping()`` says so. Returns 0, or the exit status of a
    child that failed on its first start. The children are left running: see children_stop."""
    while not stopping():
        for child in children:
            failed = child.check(say)
            if failed is not None:
                return failed
        sleep(tick)
    return 0


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
        parser.add_argument(
            "--worker-nice",
            type=int,
            choices=range(20),
            metavar="0-19",
            default=env_int("ACCORD_WORKER_NICE", 10, minimum=0, maximum=19),
            help="The task worker's lower CPU priority (env ACCORD_WORKER_NICE, default 10; 0 for none).",
        )
        parser.add_argument("--skip-migrate", action="store_true", help="Do not apply migrations first.")

    def handle(
        self,
        *args: Any,
        bind: str,
        workers: int,
        no_worker: bool,
        skip_migrate: bool,
        worker_nice: int = 10,
        **options: Any,
    ) -> None:
        Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
        # WhiteNoise serves vendored files through the finders; an existing root keeps it from warning.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        if not skip_migrate:
            call_command("migrate", interactive=False, verbosity=1)

        # Links in emails (one-click actions, password resets) are built from ACCORD_SITE_URL. Unset, it
        # becomes the address served here, so a run on another port does not mail links to :8000.
        if not os.environ.get("ACCORD_SITE_URL"):
            os.environ["ACCORD_SITE_URL"] = served_url(bind).rstrip("/")
        web = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", bind, "--workers", str(workers)]
        web += ["--access-logfile", "-", "--graceful-timeout", "10", *_gunicorn_extra_args()]
        children = [Child("web server", web)]
        if not no_worker:
            children.append(Child("task worker", [*WORKER_COMMAND, "--nice", str(worker_nice)]))

        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for child in children:
                child.start()
            self._announce(bind)
            code = children_supervise(children, stopping=lambda: stopping, say=self._say)
        finally:
            children_stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if code:
            raise CommandError(f"Accord stopped: a process exited with status {code}.", returncode=code)
        self.stdout.write("Accord stopped.")

    def _say(self, message: str) -> None:
        self.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} accord run: {message}")
        self.stderr.flush()

    def _announce(self, bind: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"Accord is running at {served_url(bind)}  (Ctrl-C stops it)"))
        site = os.environ.get("ACCORD_SITE_URL", "").rstrip("/")
        if site and site != served_url(bind).rstrip("/"):
            self.stdout.write(f"Links in emails point to {site}/ (ACCORD_SITE_URL).")
        logins = demo_logins_path()
        if logins.exists():
            self.stdout.write("Demo logins:")
            for line in logins.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    self.stdout.write(f"  {line}")
        self.stdout.flush()
