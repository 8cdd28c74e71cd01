"""The in-app inbox: list, mark one or all read (HTMX), the unread-count badge partial; and the
preferences page: email mode per kind, the mail-in address, and account control (C3)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from accord.core.errors import ApplicationError, NotFound
from accord.core.notify import notification_kinds
from accord.notifications.mail_in import mail_in_address_for
from accord.notifications.models import (
    CopyScope,
    EmailMode,
    Notification,
)
from accord.notifications.selectors import (
    account_control_for,
    notification_get,
    notifications_for,
    preferences_for,
    unread_count,
)
from accord.notifications.services import (
    copy_request_create,
    copy_request_delete,
    notification_mark_read,
    notification_preference_set,
    notifications_mark_all_read,
    sender_consent_grant,
    sender_consent_revoke,
)
from accord.people.access import copy_requests_visible_to, sender_consents_visible_to, signed_in_user

INBOX_SIZE = 100


@login_required
def inbox_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    notifications = list(notifications_for(user=user).select_related("lead")[:INBOX_SIZE])
    return render(
        request,
        "notifications/inbox.html",
        {"notifications": notifications, "unread": unread_count(user=user)},
    )


def _mine_or_404(request: HttpRequest, notification_id: int) -> Notification:
    try:
        return notification_get(user=signed_in_user(request), notification_id=notification_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = _mine_or_404(request, notification_id)
    notification = notification_mark_read(notification=notification, user=signed_in_user(request))
    if request.htmx:
        response = render(request, "notifications/_notification.html", {"n": notification})
        # The badge listens for this and reloads its count.
        response["HX-Trigger"] = "notifications-changed"
        return response
    return redirect("notifications:inbox")


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Open what a notification is about: it is marked read and the browser goes to its page (a POST, so
    a link preview or a prefetch never marks anything read)."""
    notification = _mine_or_404(request, notification_id)
    notification_mark_read(notification=notification, user=signed_in_user(request))
    target = notification.url
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("notifications:inbox")  # only pages of Accord itself
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=signed_in_user(request))
    return redirect("notifications:inbox")


def unread_count_partial(request: HttpRequest) -> HttpResponse:
    """The bell's count. Polled by HTMX: once the session has ended it answers 286 (HTMX stops polling)
    rather than the sign-in page, which would be swapped into the top bar."""
    if not request.user.is_authenticated:
        if getattr(request, "htmx", False):
            return HttpResponse(status=286)
        return redirect_to_login(request.get_full_path())
    return render(
        request, "notifications/_unread_count.html", {"unread": unread_count(user=signed_in_user(request))}
    )


@login_required
def preferences_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "notifications/preferences.html",
        {
            "preferences": preferences_for(user=user),
            "modes": EmailMode.choices,
            "mail_in_address": mail_in_address_for(user=user),
            "scopes": CopyScope.choices,
            **account_control_for(user=user),
        },
    )


@login_required
@require_POST
def preferences_save(request: HttpRequest) -> HttpResponse:
    changed = 0
    for kind, _label in notification_kinds():
        mode = request.POST.get(f"mode_{kind}")
        if mode is None:
            continue
        try:
            notification_preference_set(user=signed_in_user(request), kind=kind, mode=mode)
            changed += 1
        except ApplicationError as exc:
            messages.error(request, exc.message)
    if changed:
        messages.success(request, "Notification preferences saved.")
    return redirect("notifications:preferences")


def _account_from_post(request: HttpRequest) -> object | None:
    from accord.leads.models import Account

    raw = request.POST.get("account") or ""
    return Account.objects.select_related("owner").filter(pk=int(raw)).first() if raw.isdigit() else None


@login_required
@require_POST
def copy_request_add(request: HttpRequest) -> HttpResponse:
    try:
        copy_request_create(
            user=signed_in_user(request),
            scope=request.POST.get("scope", ""),
            account=_account_from_post(request),
        )
        messages.success(request, "You will get a copy of marketing communications to those contacts.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("notifications:preferences")


@login_required
@require_POST
def copy_request_remove(request: HttpRequest, request_id: int) -> HttpResponse:
    found = copy_requests_visible_to(request.user).filter(pk=request_id).first()
    if found is None:
        raise Http404("Copy request not found.")
    copy_request_delete(request=found, user=signed_in_user(request))
    messages.success(request, "Copies stopped.")
    return redirect("notifications:preferences")


@login_required
@require_POST
def consent_grant(request: HttpRequest) -> HttpResponse:
    try:
        sender_consent_grant(
            user=signed_in_user(request),
            scope=request.POST.get("scope", ""),
            account=_account_from_post(request),
        )
        messages.success(request, "Marketing may now send messages to those contacts under your name.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("notifications:preferences")


@login_required
@require_POST
def consent_revoke(request: HttpRequest, consent_id: int) -> HttpResponse:
    found = sender_consents_visible_to(request.user).filter(pk=consent_id).first()
    if found is None:
        raise Http404("Consent not found.")
    sender_consent_revoke(consent=found, user=signed_in_user(request))
    messages.success(request, "Consent withdrawn: messages go out from the default sender again.")
    return redirect("notifications:preferences")


urlpatterns = [
    path("notifications/", inbox_page, name="inbox"),
    path("notifications/preferences/", preferences_page, name="preferences"),
    path("notifications/preferences/save", preferences_save, name="preferences_save"),
    path("notifications/preferences/copies", copy_request_add, name="copy_request_add"),
    path(
        "notifications/preferences/copies/<int:request_id>/remove",
        copy_request_remove,
        name="copy_request_remove",
    ),
    path("notifications/preferences/consents", consent_grant, name="consent_grant"),
    path("notifications/preferences/consents/<int:consent_id>/revoke", consent_revoke, name="consent_revoke"),
    path("notifications/<int:notification_id>/read", mark_read, name="mark_read"),
    path("notifications/<int:notification_id>/open", open_notification, name="open"),
    path("notifications/read-all", mark_all_read, name="mark_all_read"),
    path("notifications/unread-count", unread_count_partial, name="unread_count"),
]
