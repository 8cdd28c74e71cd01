"""The RQ task backend (ACCORD_TASK_BACKEND=rq): real Accord tasks go through the local Redis and
`accord worker` runs them, deferred ones only once they fall due.

Each run uses a queue of its own name, so parallel runs on one Redis do not take each other's tasks;
its keys are deleted afterwards. Without Redis on 127.0.0.1:6379 the tests are skipped, except under
CI=true, where Redis is part of the machine and its absence is a failure.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django_tasks import TaskResultStatus, task_backends

from accord.core.models import Event
from accord.leads.models import Lead
from accord.reporting.models import RollupState
from accord.reporting.tasks import rollups_refresh_task
from config.settings import task_backend_settings

REDIS_URL = "redis://127.0.0.1:6379/0"
NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def redis_or_skip():
    import redis

    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as exc:
        message = f"Redis is not answering at {REDIS_URL} ({exc}); start it to run the RQ backend tests"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return connection


@pytest.fixture
def rq_queue(settings):
    """Tasks go to RQ on a queue named for this run; the worker runs them in this process
    (SimpleWorker), so they see this test's database transaction."""
    redis = redis_or_skip()
    queue = f"accord-test-{uuid.uuid4().hex}"
    tasks, queues = task_backend_settings("rq", REDIS_URL)
    # "default" stays valid (every Accord task is declared on it); only this run's queue is worked.
    settings.TASKS = {"default": {**tasks["default"], "QUEUES": ["default", queue]}}
    settings.RQ_QUEUES = {**queues, queue: queues["default"]}
    settings.RQ = {"WORKER_CLASS": "rq.worker.SimpleWorker"}
    settings.ACCORD_TASK_BACKEND = "rq"
    yield queue
    for key in redis.scan_iter(match=f"*{queue}*"):
        redis.delete(key)
    for key in redis.scan_iter(match="rq:job:*"):
        if redis.hget(key, "origin") == queue.encode():
            redis.delete(key, key.replace(b"rq:job:", b"rq:results:"))
    redis.srem("rq:queues", f"rq:queue:{queue}")


def run_worker(queue: str) -> None:
    call_command("worker", "--batch", "--no-periodic", f"--queue-name={queue}", verbosity=0)


def some_events() -> None:
    lead = Lead.objects.create(email="rq@example.com", email_key="rq@example.com")
    Event.objects.create(
        type="lead.stage_changed", subject_type="lead", subject_id=lead.pk, stage="inquiry", occurred_at=NOW
    )


@pytest.mark.django_db
def test_a_task_goes_through_redis_and_the_worker_runs_it(rq_queue):
    some_events()
    with time_machine.travel(NOW, tick=False):
        result = rollups_refresh_task.using(queue_name=rq_queue).enqueue()
        assert type(task_backends["default"]).__name__ == "RQBackend"
        assert result.status == TaskResultStatus.READY
        assert not RollupState.objects.exists()
        run_worker(rq_queue)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["rebuilt"] == 1
    assert RollupState.objects.get().refreshed_at == NOW


@pytest.mark.django_db
def test_a_deferred_task_waits_in_redis_until_its_run_after(rq_queue):
    some_events()
    with time_machine.travel(NOW, tick=False):
        later = rollups_refresh_task.using(queue_name=rq_queue, run_after=NOW + timedelta(hours=1)).enqueue()
        run_worker(rq_queue)
        assert later.status == TaskResultStatus.READY
        later.refresh()
        assert later.status == TaskResultStatus.READY
        assert not RollupState.objects.exists()
    with time_machine.travel(NOW + timedelta(hours=1, seconds=1), tick=False):
        run_worker(rq_queue)  # the worker's scheduler moves it onto the queue, then runs it
    later.refresh()
    assert later.status == TaskResultStatus.SUCCESSFUL
    assert RollupState.objects.get().refreshed_at == NOW + timedelta(hours=1, seconds=1)


def test_the_backend_setting_takes_db_or_rq_and_a_redis_url():
    tasks, queues = task_backend_settings("db", "")
    assert tasks["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert queues == {}
    tasks, queues = task_backend_settings("rq", "redis://cache.internal:6380/2")
    assert tasks["default"]["BACKEND"] == "django_tasks_rq.RQBackend"
    assert queues["default"]["URL"] == "redis://cache.internal:6380/2"
    with pytest.raises(ImproperlyConfigured, match="ACCORD_REDIS_URL='cache:6379' is not a Redis URL"):
        task_backend_settings("rq", "cache:6379")
