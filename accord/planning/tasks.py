"""Background work for planning: disagreements climb the chain when their time is up; promises to
sales are reminded before they fall due. Both are periodic (see apps.py) and idempotent."""

from __future__ import annotations

from django_tasks import task


@task()
def disagreements_escalate_task() -> dict[str, int]:
    from accord.planning.services import disagreements_escalate_due

    return {"escalated": disagreements_escalate_due()}


@task()
def promises_remind_task() -> dict[str, int]:
    from accord.planning.services import promises_remind

    return {"reminded": promises_remind()}
