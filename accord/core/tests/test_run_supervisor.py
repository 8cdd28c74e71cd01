"""The supervisor inside ``accord run``: children that exit are started again with backoff."""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accord.core.management.commands.run import (
    Backoff,
    Child,
    children_stop,
    children_supervise,
    exit_description,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeProcess:
    pids = iter(range(100, 10_000))

    def __init__(self, command: list[str], **options) -> None:
        self.command = command
        self.options = options
        self.pid = next(self.pids)
        self.returncode: int | None = None
        self.terminated = False

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.terminated = True
        self.returncode = -signal.SIGTERM

    def kill(self) -> None:
        self.returncode = -signal.SIGKILL

    def wait(self, timeout: float | None = None) -> int:
        assert self.returncode is not None
        return self.returncode


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def spawned() -> list[FakeProcess]:
    return []


@pytest.fixture
def make_child(clock, spawned):
    def make(name: str = "task worker") -> Child:
        def spawn(command: list[str], **options) -> FakeProcess:
            spawned.append(FakeProcess(command, **options))
            return spawned[-1]

        child = Child(name, ["accord", "worker"], spawn=spawn, clock=clock)
        child.start()
        return child

    return make


def test_backoff_doubles_from_one_second_up_to_thirty():
    backoff = Backoff()
    assert [backoff.next_delay(ran_for=0.5) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]


def test_backoff_starts_over_after_a_child_ran_fine_for_a_minute():
    backoff = Backoff()
    for _ in range(4):
        backoff.next_delay(ran_for=2)
    assert backoff.next_delay(ran_for=2) == 16
    assert backoff.next_delay(ran_for=60) == 1
    assert backoff.next_delay(ran_for=3) == 2


def test_exit_statuses_are_described_with_signal_names():
    assert exit_description(1) == "exited with status 1"
    assert exit_description(0) == "exited with status 0"
    assert exit_description(-signal.SIGKILL) == "was killed by SIGKILL"


def test_a_killed_worker_is_started_again_after_its_pause_and_each_restart_is_logged(
    make_child, clock, spawned
):
    child = make_child()
    said: list[str] = []
    clock.now += 30
    spawned[0].returncode = -signal.SIGKILL

    assert child.check(said.append) is None
    assert said == [
        f"The task worker (pid {spawned[0].pid}) was killed by SIGKILL after 30.0 s; starting it again in 1 s."
    ]
    assert len(spawned) == 1  # not yet: the pause is not over
    clock.now += 0.5
    child.check(said.append)
    assert len(spawned) == 1
    clock.now += 0.6
    child.check(said.append)
    assert len(spawned) == 2 and spawned[1].command == ["accord", "worker"]
    assert said[-1] == f"The task worker is running again (pid {spawned[1].pid}, start 2)."

    # It dies again at once: the pause doubles.
    spawned[1].returncode = 1
    clock.now += 0.2
    child.check(said.append)
    assert said[-1].endswith("exited with status 1 after 0.2 s; starting it again in 2 s.")
    clock.now += 2
    child.check(said.append)
    assert len(spawned) == 3 and child.running


def test_children_start_in_a_process_group_of_their_own_so_only_the_supervisor_signals_them(
    make_child, spawned
):
    make_child("web server")
    make_child("task worker")
    assert [process.options for process in spawned] == [{"process_group": 0}, {"process_group": 0}]


def test_a_child_that_fails_on_its_first_start_stops_accord_with_its_status(make_child, clock, spawned):
    child = make_child("web server")
    said: list[str] = []
    clock.now += 5  # gunicorn gives up on a port in use after about five seconds
    spawned[0].returncode = 1
    assert child.check(said.append) == 1
    assert said == ["The web server exited with status 1 as it started; stopping Accord."]
    assert len(spawned) == 1


def test_a_first_start_killed_by_a_signal_is_a_crash_and_is_restarted(make_child, clock, spawned):
    child = make_child()
    clock.now += 1
    spawned[0].returncode = -signal.SIGKILL
    assert child.check(lambda message: None) is None
    assert child.restart_at == clock.now + 1


def test_supervision_keeps_restarting_until_asked_to_stop(make_child, clock, spawned):
    web, worker = make_child("web server"), make_child("task worker")
    clock.now += 20
    ticks = iter(range(1000))

    def sleep(seconds: float) -> None:
        clock.now += seconds
        tick = next(ticks)
        if tick in (0, 20, 40):  # the worker dies three times; the web server never
            worker.process.returncode = -signal.SIGKILL

    stop_after = iter([False] * 100 + [True])
    code = children_supervise(
        [web, worker], stopping=lambda: next(stop_after), say=lambda m: None, sleep=sleep
    )
    assert code == 0
    assert web.starts == 1 and web.running
    assert worker.starts == 4 and worker.running


def test_stopping_terminates_running_children_and_leaves_exited_ones(make_child, spawned):
    web, worker = make_child("web server"), make_child("task worker")
    spawned[1].returncode = 3  # waiting for its restart
    children_stop([web, worker])
    assert spawned[0].terminated and not spawned[1].terminated


def test_stopping_kills_a_child_that_ignores_sigterm():
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print(1, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    child = Child("web server", [], spawn=lambda command, **options: stubborn)
    child.start()
    stubborn.stdout.readline()  # its SIGTERM handler is in place
    children_stop([child], grace=0.5)
    assert stubborn.returncode == -signal.SIGKILL


def _state(pid: int) -> str:
    """A process's state letter from /proc ('' once it is gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def test_what_a_dead_web_server_leaves_in_its_process_group_is_killed_with_it():
    """gunicorn's workers outlive a killed master and keep its port; they go with its group."""
    script = (
        "import subprocess, time; print(subprocess.Popen(['sleep', '60']).pid, flush=True); time.sleep(60)"
    )
    spawn = functools.partial(subprocess.Popen, stdout=subprocess.PIPE, text=True)
    child = Child("web server", [sys.executable, "-c", script], spawn=spawn)
    child.start()
    leftover = int(child.process.stdout.readline())
    child.process.kill()
    child.process.wait()
    assert _state(leftover) not in ("", "Z")  # the orphan lives on by itself
    child.check(lambda message: None)
    for _ in range(50):
        if _state(leftover) in ("", "Z"):
            break
        time.sleep(0.1)
    assert _state(leftover) in ("", "Z")
    child.process.stdout.close()
