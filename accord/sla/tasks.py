"""Deadline tasks: each runs at its clock's due moment (``run_after``), loads the clock and calls a service.

Every service re-checks the clock under a row lock, so a task that runs twice, or after the rep
acted, does nothing. Nothing here sweeps over all clocks.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django_tasks import task
from django_tasks.base import Task

from accord.sla import services
from accord.sla.follow_ups import follow_ups_remind_due


def enqueue_at(task_: Task, run_after: datetime, **kwargs: Any) -> None:
    """Enqueue ``task_`` to run no earlier than ``run_after`` (call it from transaction.on_commit)."""
    task_.using(run_after=run_after).enqueue(**kwargs)


@task()
def sla_clock_remind_task(clock_id: int) -> bool:
    return services.sla_clock_remind(clock_id=clock_id)


@task()
def sla_clock_breach_task(clock_id: int) -> bool:
    return services.sla_clock_breach(clock_id=clock_id)


@task()
def sla_clock_escalate_task(clock_id: int, level: int) -> bool:
    return services.sla_clock_escalate(clock_id=clock_id, level=level)


@task()
def sla_clock_recycle_task(clock_id: int) -> int | None:
    lead = services.sla_clock_recycle(clock_id=clock_id)
    return lead.pk if lead is not None else None


@task()
def follow_ups_remind_due_task() -> int:
    """Remind every follow-up task whose reminder time has come (periodic, every few minutes)."""
    return follow_ups_remind_due()
