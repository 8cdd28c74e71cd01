"""Background work of the core: the sweep for tasks whose worker is gone."""

from __future__ import annotations

from django_tasks import task

from accord.core.workers import task_results_requeue_orphaned


@task()
def task_results_requeue_orphaned_task() -> list[str]:
    """Requeue tasks left running by a worker that stopped writing its heartbeat (periodic)."""
    return task_results_requeue_orphaned()
