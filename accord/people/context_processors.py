"""Template context: the signed-in user's roles and the navigation links they may see."""

from __future__ import annotations

from django.http import HttpRequest

from accord.people.models import Role
from accord.people.navigation import nav_for, nav_menus_for


def roles(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": frozenset(), "user_role_labels": [], "nav_links": [], "nav_menus": []}
    held = user.role_set
    return {
        "user_roles": held,
        "user_role_labels": [label for value, label in Role.choices if value in held],
        "nav_links": nav_for(held, request.path),
        "nav_menus": nav_menus_for(held, request.path),
    }
