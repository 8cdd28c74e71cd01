"""The start pages of the roles that do not start on an existing page (accord.people.navigation.START_PAGES):
the sales manager's team view, what waits for the heads' decision, and marketing's desk."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accord.people.access import CRITERIA_EDITOR_ROLES, MARKETING_ROLES, ROUTING_READER_ROLES, signed_in_user
from accord.people.models import Role
from accord.workday import selectors

TEAM_ROLES = frozenset({Role.SALES_MANAGER, Role.SALES_HEAD, Role.ADMIN})
DECISION_ROLES = frozenset(CRITERIA_EDITOR_ROLES | ROUTING_READER_ROLES) - {Role.MARKETING}
DESK_ROLES = frozenset({*MARKETING_ROLES, Role.ADMIN})


def _require(request: HttpRequest, roles: frozenset[str], what: str) -> None:
    if not signed_in_user(request).has_role(*roles):
        raise PermissionDenied(what)


@require_GET
@login_required
def team_page(request: HttpRequest) -> HttpResponse:
    _require(request, TEAM_ROLES, "The team view is for sales managers, the sales head and admins.")
    view = selectors.team_view_for(signed_in_user(request))
    return render(request, "workday/team.html", {"view": view})


@require_GET
@login_required
def decisions_page(request: HttpRequest) -> HttpResponse:
    _require(request, DECISION_ROLES, "This page is for the heads, sales managers and admins.")
    decisions = selectors.decisions_for(signed_in_user(request))
    return render(request, "workday/decisions.html", {"d": decisions})


@require_GET
@login_required
def desk_page(request: HttpRequest) -> HttpResponse:
    _require(request, DESK_ROLES, "Marketing's desk is for marketing and admins.")
    return render(request, "workday/desk.html", {"desk": selectors.desk_for(signed_in_user(request))})


urlpatterns = [
    path("team/", team_page, name="team"),
    path("decisions/", decisions_page, name="decisions"),
    path("desk/", desk_page, name="desk"),
]
