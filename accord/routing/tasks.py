"""Background routing: a thin, idempotent task that routes one lead."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from accord.core.models import Channel
from accord.leads.models import Lead


@task()
def route_lead_task(lead_id: int) -> str:
    """Route a lead that has no owner yet; a lead already assigned (or gone) is left alone."""
    from accord.routing.services import lead_route

    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return "gone"
    result = lead_route(lead=lead, channel=Channel.TASK)
    return result.reason if result.routed else "already assigned"


def route_lead_later(lead_id: int) -> None:
    """Enqueue routing for a lead once the current transaction commits (the intake hand-off)."""
    transaction.on_commit(lambda: route_lead_task.enqueue(lead_id))
