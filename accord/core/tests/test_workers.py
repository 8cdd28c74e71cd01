"""Worker heartbeats and the sweep that requeues the tasks of workers that are gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks import task
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accord.core.models import WorkerHeartbeat
from accord.core.workers import (
    task_results_requeue_orphaned,
    worker_heartbeat_beat,
    worker_heartbeats_forget_old,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@task()
def sample_orphan_task() -> str:
    return "ran"


@pytest.fixture(autouse=True)
def clock(settings):
    settings.ACCORD_WORKER_STALE_SECONDS = 60
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def running(worker_id: str, *, started_ago: timedelta) -> DBTaskResult:
    result = DBTaskResult.objects.get(pk=sample_orphan_task.enqueue().id)
    result.claim(worker_id)
    DBTaskResult.objects.filter(pk=result.pk).update(started_at=NOW - started_ago)
    return result


def status(result: DBTaskResult) -> str:
    return DBTaskResult.objects.get(pk=result.pk).status


def test_a_task_of_a_worker_gone_silent_goes_back_in_the_queue_once():
    worker_heartbeat_beat(worker_id="killed", started_at=NOW, now=NOW - timedelta(minutes=5))
    orphan = running("killed", started_ago=timedelta(minutes=5))
    assert task_results_requeue_orphaned() == [str(orphan.pk)]
    assert status(orphan) == TaskResultStatus.READY
    assert task_results_requeue_orphaned() == []  # a second sweeper finds nothing to take


def test_a_long_task_on_a_live_worker_is_left_alone():
    worker_heartbeat_beat(worker_id="busy", started_at=NOW, now=NOW - timedelta(seconds=5))
    long_task = running("busy", started_ago=timedelta(hours=2))
    assert task_results_requeue_orphaned() == []
    assert status(long_task) == TaskResultStatus.RUNNING


def test_a_task_that_started_recently_is_left_alone_even_without_a_heartbeat():
    fresh = running("starting", started_ago=timedelta(seconds=10))
    assert task_results_requeue_orphaned() == []
    assert status(fresh) == TaskResultStatus.RUNNING


def test_a_task_of_a_worker_that_never_wrote_a_heartbeat_is_requeued_once_stale():
    orphan = running("old-version-worker", started_ago=timedelta(minutes=2))
    assert task_results_requeue_orphaned() == [str(orphan.pk)]


def test_rows_of_workers_gone_for_a_day_are_forgotten():
    worker_heartbeat_beat(worker_id="gone", started_at=NOW, now=NOW - timedelta(days=1, seconds=1))
    worker_heartbeat_beat(worker_id="here", started_at=NOW, now=NOW - timedelta(hours=23))
    assert worker_heartbeats_forget_old() == 1
    # Only this test's two rows are looked at: a worker another test started may still be beating.
    mine = WorkerHeartbeat.objects.filter(worker_id__in=["gone", "here"])
    assert list(mine.values_list("worker_id", flat=True)) == ["here"]
