"""Campaign tasks: a scheduled communication goes out at its time (the service re-checks, so a task
that runs twice, or after the send was cancelled, does nothing)."""

from __future__ import annotations

from django_tasks import task

from accord.campaigns import communication_services


@task()
def communication_send_scheduled_task(communication_id: int) -> int | None:
    result = communication_services.communication_send_scheduled(communication_id=communication_id)
    return result.sent if result is not None else None
