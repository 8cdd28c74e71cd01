"""Background work for deals: the customer-stage rule (declare it as periodic work, e.g. daily at 03:00)."""

from __future__ import annotations

from django_tasks import task


@task()
def customer_stages_apply_rules_task() -> dict[str, int]:
    """Apply the loyalty rule to every customer. Idempotent: a second run moves nobody."""
    from accord.deals.services import customer_stages_apply_rules

    return {"moved": len(customer_stages_apply_rules())}
