"""``accord worker`` through a database outage: it waits and carries on, and no task is lost."""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import InterfaceError, OperationalError
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from accord.core.management.commands import worker as worker_module
from accord.core.management.commands.worker import MAX_RUNS_CUT_OFF, DatabaseWait, OutageProofWorker

pytestmark = pytest.mark.django_db(transaction=True)  # the worker closes and reopens connections

CALLS: list[str] = []
CUT_OFF: dict[str, int] = {}  # tag -> how many of its runs lose the database


@task()
def sample_outage_task(tag: str) -> str:
    CALLS.append(tag)
    if CUT_OFF.get(tag, 0) >= CALLS.count(tag):
        raise OperationalError("server closed the connection unexpectedly")
    return f"done {tag}"


@pytest.fixture(autouse=True)
def fresh_calls():
    CALLS.clear()
    CUT_OFF.clear()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_worker(sleeps):
    def make(**overrides) -> OutageProofWorker:
        options = {
            "queue_names": ["*"],
            "interval": 0,
            "batch": True,
            "backend_name": "default",
            "startup_delay": False,
            "max_tasks": None,
            "worker_id": "worker-under-test",
            "excluded_queue_names": [],
            "wait": DatabaseWait(who="test worker", sleep=sleeps.append, answers=lambda: True),
        }
        return OutageProofWorker(**(options | overrides))

    return make


def result_of(enqueued) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=enqueued.id)


def test_the_wait_doubles_its_pauses_up_to_five_seconds_and_logs_the_outage_once(caplog):
    sleeps: list[float] = []
    answers = iter([False] * 7 + [True])
    wait = DatabaseWait(who="w", sleep=sleeps.append, answers=lambda: next(answers))
    with caplog.at_level(logging.WARNING, logger=worker_module.__name__):
        assert wait.until_back(OperationalError("connection refused")) is True
    assert sleeps == [0.5, 1, 2, 4, 5, 5, 5, 5]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "the database is unavailable (connection refused)" in messages[0]
    assert "the database is back" in messages[1]


def test_the_wait_gives_up_when_the_worker_is_stopping():
    sleeps: list[float] = []
    wait = DatabaseWait(who="w", sleep=sleeps.append, answers=lambda: False)
    keep = iter([True, True, False])
    assert wait.until_back(InterfaceError("closed"), keep_going=lambda: next(keep)) is False
    assert sleeps == [0.5, 1]


def test_a_lost_database_while_polling_is_waited_out_and_the_worker_carries_on(
    make_worker, sleeps, monkeypatch
):
    enqueued = sample_outage_task.enqueue("a")
    original = db_worker.close_old_connections
    failures = iter([OperationalError("connection refused")])

    def flaky_close_old_connections():
        error = next(failures, None)
        if error is not None:
            raise error
        original()

    monkeypatch.setattr(db_worker, "close_old_connections", flaky_close_old_connections)
    make_worker().run()  # --batch: returns once the queue is empty; it did not exit on the error
    assert sleeps == [0.5]
    assert result_of(enqueued).status == TaskResultStatus.SUCCESSFUL
    assert CALLS == ["a"]


def test_a_task_cut_off_by_the_database_goes_back_in_the_queue_and_runs_again(make_worker):
    CUT_OFF["b"] = 1
    enqueued = sample_outage_task.enqueue("b")
    make_worker().run()
    result = result_of(enqueued)
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == "done b"
    assert CALLS == ["b", "b"]
    assert result.worker_ids == ["worker-under-test", "worker-under-test"]


def test_a_task_cut_off_again_and_again_is_recorded_as_failed(make_worker):
    CUT_OFF["c"] = 100
    enqueued = sample_outage_task.enqueue("c")
    make_worker().run()
    result = result_of(enqueued)
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path.endswith("OperationalError")
    assert CALLS == ["c"] * MAX_RUNS_CUT_OFF


def test_an_outcome_that_could_not_be_written_is_written_once_the_database_is_back_without_a_second_run(
    make_worker, sleeps, monkeypatch
):
    enqueued = sample_outage_task.enqueue("d")
    original = DBTaskResult.set_successful
    failures = iter([OperationalError("the connection is lost")])

    def flaky_set_successful(self, value):
        error = next(failures, None)
        if error is not None:
            raise error
        return original(self, value)

    monkeypatch.setattr(DBTaskResult, "set_successful", flaky_set_successful)
    make_worker().run()
    result = result_of(enqueued)
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == "done d"
    assert CALLS == ["d"]
    assert sleeps == [0.5]


def test_a_claim_whose_answer_was_lost_goes_back_in_the_queue_but_not_another_workers(make_worker):
    mine = sample_outage_task.enqueue("e")
    theirs = sample_outage_task.enqueue("f")
    result_of(mine).claim("worker-under-test")
    result_of(theirs).claim("another-worker")
    assert make_worker().requeue_own_lost_claims() == [str(mine.id)]
    assert result_of(mine).status == TaskResultStatus.READY
    assert result_of(theirs).status == TaskResultStatus.RUNNING


def test_the_heartbeat_thread_waits_out_an_outage_and_beats_again(monkeypatch):
    from django.utils import timezone

    beats: list[str] = []
    stop = threading.Event()

    def beat(*, worker_id, started_at):
        beats.append(worker_id)
        if len(beats) == 1:
            raise OperationalError("connection refused")
        stop.set()

    monkeypatch.setattr(worker_module, "worker_heartbeat_beat", beat)
    thread = threading.Thread(
        target=worker_module._background_loop,
        kwargs={
            "stop": stop,
            "worker_id": "w",
            "started_at": timezone.now(),
            "periodic": False,
            "periodic_interval": 30,
        },
    )
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert beats == ["w", "w"]
