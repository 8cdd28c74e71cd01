"""Periodic work, declared by each app in its ``ready()``. The worker enqueues each entry's task when it
falls due.

Each entry runs at most once per due time however many workers run: a worker claims a run by
moving ``next_run_at`` forward with a compare-and-set UPDATE, and only the worker whose UPDATE
changed the row enqueues the task. The tasks themselves are idempotent, so a run lost to a crash
between claim and enqueue is made good by the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accord.core.models import PeriodicRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    task: str  # dotted path of a django_tasks task taking no arguments
    every: timedelta
    at: time | None = None  # for daily work: the UTC time of day it runs

    def next_after(self, moment: datetime) -> datetime:
        if self.at is None:
            return moment + self.every
        candidate = datetime.combine(moment.date(), self.at, moment.tzinfo)
        while candidate <= moment:
            candidate += self.every
        return candidate


# Every app declares its own periodic work in its AppConfig.ready with ``register_periodic``, so core
# names no app; ``accord.core.tests.test_periodic`` checks the whole list once the apps are ready.
SCHEDULE: list[Periodic] = []


def register_periodic(*entries: Periodic) -> None:
    """Add ``entries`` to the schedule; an entry whose name is already there is replaced (``ready`` may
    run more than once in tests)."""
    for entry in entries:
        SCHEDULE[:] = [e for e in SCHEDULE if e.name != entry.name]
        SCHEDULE.append(entry)


# What a worker does once when it starts, before it takes tasks; apps register in AppConfig.ready (the
# leads app requeues imports a stopped worker left running), so the worker command imports no app.
WORKER_STARTUP: list[Callable[[], Any]] = []


def register_worker_startup(step: Callable[[], Any]) -> Callable[[], Any]:
    if step not in WORKER_STARTUP:
        WORKER_STARTUP.append(step)
    return step


def worker_startup_run() -> None:
    """Run every registered startup step; one that fails is logged and the next periodic sweep tries again."""
    for step in WORKER_STARTUP:
        try:
            step()
        except Exception:
            log.exception("worker startup step %s failed", getattr(step, "__qualname__", step))


def periodic_enqueue_due(
    *, now: datetime | None = None, schedule: Iterable[Periodic] | None = None
) -> list[str]:
    """Enqueue every entry that is due (of the registered schedule by default); returns the names enqueued."""
    now = now or timezone.now()
    schedule = list(SCHEDULE if schedule is None else schedule)
    enqueued: list[str] = []
    for entry in schedule:
        try:
            with transaction.atomic():
                PeriodicRun.objects.get_or_create(
                    name=entry.name, defaults={"next_run_at": entry.next_after(now)}
                )
        except IntegrityError:
            pass  # another worker made the row a moment ago
        claimed = PeriodicRun.objects.filter(name=entry.name, next_run_at__lte=now).update(
            next_run_at=entry.next_after(now), last_run_at=now
        )
        if claimed:
            import_string(entry.task).enqueue()
            enqueued.append(entry.name)
            log.info("periodic work %s enqueued", entry.name)
    return enqueued
