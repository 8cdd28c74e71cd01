"""The unread count for the bell of the top bar (templates/partials/topbar_notifications.html)."""

from __future__ import annotations

from typing import Any

from django import template

from accord.notifications.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    """How many notifications the signed-in person has not read (one indexed count query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user=user)
