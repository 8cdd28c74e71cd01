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


@task()
def route_leads_task(lead_ids: list[int]) -> int:
    """Route many leads (after a bulk import or re-scoring); those already assigned are left alone."""
    from accord.routing.services import lead_route

    routed = 0
    for lead in Lead.objects.filter(pk__in=lead_ids, owner__isnull=True).order_by("id"):
        routed += lead_route(lead=lead, channel=Channel.TASK).routed
    return routed


def route_leads_later(lead_ids: list[int], *, batch: int = 500) -> None:
    """Enqueue routing for many leads once the current transaction commits, in batches."""
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        transaction.on_commit(lambda chunk=chunk: route_leads_task.enqueue(chunk))
