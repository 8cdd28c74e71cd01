"""``{% lead_assign_form lead %}``: the claim / assign / reassign form for one lead, for its page.

Renders ``routing/_assign_form.html`` only for people who may reassign that lead (managers of its
owner, the sales head, admins; any manager while it waits in a queue), with the people they may give it to.
"""

from __future__ import annotations

from typing import Any

from django import template

from accord.people import access
from accord.routing.queues import assignees_for, queues_can_work

register = template.Library()


@register.inclusion_tag("routing/_assign_form.html", takes_context=True)
def lead_assign_form(context: dict[str, Any], lead: Any) -> dict[str, Any]:
    request = context.get("request")
    user: Any = getattr(request, "user", None)
    allowed = bool(
        user is not None
        and queues_can_work(user)
        and access.leads_actionable_by(user, "reassign").filter(pk=lead.pk).exists()
    )
    return {
        "allowed": allowed,
        "lead": lead,
        "me": user,
        "assignees": list(assignees_for(user)) if allowed else [],
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request is not None else "",
    }
