"""The one-click follow-up link from a notification email: GET asks, POST logs the touch.

A GET never changes anything, so mail scanners that open links do not log touches. The signed token
names the user, so the page works without signing in; it expires after 72 hours.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from accord.core.errors import ApplicationError
from accord.core.models import Channel
from accord.leads.models import Lead
from accord.people.models import User
from accord.sla.models import SlaClock, TouchKind
from accord.sla.one_click import OneClick, one_click_token_read
from accord.sla.services import touch_log


def _load(link: OneClick) -> tuple[User, Lead, SlaClock | None]:
    user = User.objects.filter(pk=link.user_id, is_active=True).first()
    lead = Lead.objects.live().filter(pk=link.lead_id).first()
    if user is None or lead is None:
        raise ApplicationError("This link no longer points to a lead you can act on.", status=404)
    clock = SlaClock.objects.filter(pk=link.clock_id, lead=lead).first() if link.clock_id else None
    return user, lead, clock


@require_http_methods(["GET", "POST"])
def one_click_touch(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = one_click_token_read(token)
        user, lead, clock = _load(link)
    except ApplicationError as exc:
        return render(request, "sla/one_click.html", {"error": exc.message}, status=exc.status_code)
    context = {"lead": lead, "kind": TouchKind(link.kind).label, "clock": clock, "who": user}
    # The link answers one clock: once that clock is met or stopped, a second click logs nothing.
    if clock is not None and not clock.is_open:
        return render(request, "sla/one_click.html", {**context, "already": True})
    if request.method == "GET":
        return render(request, "sla/one_click.html", {**context, "confirm": True})
    try:
        touch = touch_log(lead=lead, user=user, kind=link.kind, channel=Channel.EMAIL)
    except ApplicationError as exc:
        return render(
            request, "sla/one_click.html", {**context, "error": exc.message}, status=exc.status_code
        )
    return render(request, "sla/one_click.html", {**context, "done": True, "touch": touch})


urlpatterns = [path("t/<str:token>", one_click_touch, name="one_click")]
