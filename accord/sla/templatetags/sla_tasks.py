"""``{% lead_follow_ups lead %}``: a lead's open follow-up tasks and the form to set one, for its page;
``{% tasks_due_today %}``: the signed-in person's tasks due today, for the inbox."""

from __future__ import annotations

from typing import Any

from django import template

from accord.people import access
from accord.sla.follow_ups import follow_ups_for, tasks_due_for

register = template.Library()


@register.inclusion_tag("sla/_follow_up_form.html", takes_context=True)
def lead_follow_ups(context: dict[str, Any], lead: Any) -> dict[str, Any]:
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    signed_in = access.is_signed_in(user)
    return {
        "lead": lead,
        "me": user,
        "allowed": signed_in and access.leads_actionable_by(user, "act").filter(pk=lead.pk).exists(),
        "tasks": list(follow_ups_for(user=user, lead_id=lead.pk)[:20]) if signed_in else [],
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }


@register.inclusion_tag("sla/_tasks_due.html", takes_context=True)
def tasks_due_today(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    return {
        "tasks_due": tasks_due_for(user=user) if access.is_signed_in(user) else None,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }
