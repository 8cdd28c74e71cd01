"""Background work of the core: the sweep for tasks whose worker is gone, and old rate-limit windows."""

from __future__ import annotations

from django_tasks import task

from accord.core.ratelimit import rate_windows_forget
from accord.core.workers import task_results_requeue_orphaned


@task()
def task_results_requeue_orphaned_task() -> list[str]:
    """Requeue tasks left running by a worker that stopped writing its heartbeat (periodic)."""
    return task_results_requeue_orphaned()


@task()
def rate_windows_forget_task() -> int:
    """Forget rate-limit windows that ended long ago (periodic)."""
    return rate_windows_forget()
