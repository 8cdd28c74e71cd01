"""Task-worker heartbeats: each ``accord worker`` moves its row's ``seen_at`` every few seconds;
``/healthz`` reads the newest one to say whether any worker is alive, and the orphan sweep puts
back in the queue the tasks of workers that are gone.

A beat is one UPDATE of one row by its unique key; a worker's first beat inserts the row. Rows of
workers gone for a day are deleted when a worker starts.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accord.core.models import WorkerHeartbeat

log = logging.getLogger(__name__)

# How often a running worker writes its heartbeat.
HEARTBEAT_SECONDS = 10.0
# Rows of workers not seen for this long are deleted.
FORGET_AFTER = timedelta(days=1)


def worker_heartbeat_beat(*, worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    """Record that worker ``worker_id`` is alive now (one UPDATE; an INSERT the first time)."""
    now = now or timezone.now()
    if WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now):
        return
    try:
        with transaction.atomic():
            WorkerHeartbeat.objects.create(
                worker_id=worker_id,
                hostname=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=started_at,
                seen_at=now,
            )
    except IntegrityError:  # the row appeared between the UPDATE and the INSERT
        WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now)


def worker_heartbeats_forget_old(*, now: datetime | None = None) -> int:
    """Delete the rows of workers not seen for a day; returns how many went."""
    now = now or timezone.now()
    deleted, _ = WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    return deleted


def worker_last_seen() -> datetime | None:
    """When any worker last wrote its heartbeat (None: no worker ever has)."""
    return WorkerHeartbeat.objects.aggregate(last=Max("seen_at"))["last"]


def worker_health(*, now: datetime | None = None) -> dict[str, object]:
    """The worker part of /healthz: seconds since a worker was last seen, and whether that is recent."""
    now = now or timezone.now()
    last = worker_last_seen()
    if last is None:
        return {"seen_seconds_ago": None, "ok": False}
    ago = max(0, int((now - last).total_seconds()))
    return {"seen_seconds_ago": ago, "ok": ago <= settings.ACCORD_WORKER_STALE_SECONDS}


def task_results_requeue_orphaned(*, now: datetime | None = None) -> list[str]:
    """Put back in the queue the tasks left RUNNING by a worker that is gone (killed outright, its
    machine lost): the worker that last claimed one has not written its heartbeat for
    ``ACCORD_WORKER_STALE_SECONDS``, and the task started before that. Each is taken back with a
    compare-and-set UPDATE, so however many workers sweep at once it is queued once; Accord's tasks
    re-check state, so running one again is safe. Returns the ids requeued."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.ACCORD_WORKER_STALE_SECONDS)
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True))
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
    requeued: list[str] = []
    for pk, worker_ids, started_at in running.values_list("pk", "worker_ids", "started_at"):
        if worker_ids and worker_ids[-1] in alive:
            continue  # a long task on a live worker
        if DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING, started_at=started_at).update(
            status=TaskResultStatus.READY
        ):
            requeued.append(str(pk))
    for pk in requeued:
        log.warning("task %s was left running by a worker that is gone; it goes back in the queue", pk)
    return requeued
