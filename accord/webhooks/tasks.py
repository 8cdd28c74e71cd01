"""Webhook tasks: thin and idempotent (a delivery is claimed before it is sent, and never sent twice)."""

from __future__ import annotations

from django_tasks import task

from accord.webhooks import services


@task()
def webhook_delivery_send_task(delivery_id: int) -> str:
    return services.webhook_delivery_attempt(delivery_id=delivery_id)


@task()
def webhook_deliveries_send_task(delivery_ids: list[int]) -> int:
    """Send a batch (many deliveries from one bulk append); returns how many succeeded."""
    return sum(services.webhook_delivery_attempt(delivery_id=i) == "succeeded" for i in delivery_ids)


@task()
def webhooks_housekeeping_task() -> dict[str, int]:
    return services.webhooks_housekeeping()
