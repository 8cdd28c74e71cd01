"""The in-app inbox: list, mark one or all read (HTMX), and the unread-count badge partial."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from accord.core.errors import NotFound
from accord.notifications.models import Notification
from accord.notifications.selectors import notification_get, notifications_for, unread_count
from accord.notifications.services import notification_mark_read, notifications_mark_all_read

INBOX_SIZE = 100


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    notifications = list(notifications_for(user=request.user).select_related("lead")[:INBOX_SIZE])
    return render(
        request,
        "notifications/inbox.html",
        {"notifications": notifications, "unread": unread_count(user=request.user)},
    )


def _mine_or_404(request: HttpRequest, notification_id: int) -> Notification:
    try:
        return notification_get(user=request.user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = _mine_or_404(request, notification_id)
    notification = notification_mark_read(notification=notification, user=request.user)
    if request.htmx:
        response = render(request, "notifications/_notification.html", {"n": notification})
        # The badge listens for this and reloads its count.
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    return redirect("notifications:inbox")


@login_required
def unread_count_partial(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/_unread_count.html", {"unread": unread_count(user=request.user)})


urlpatterns = [
    path("notifications/", inbox_page, name="inbox"),
    path("notifications/<int:notification_id>/read", mark_read, name="mark_read"),
    path("notifications/read-all", mark_all_read, name="mark_all_read"),
    path("notifications/unread-count", unread_count_partial, name="unread_count"),
]
