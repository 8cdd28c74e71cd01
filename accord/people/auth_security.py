"""Sign-in security: throttling failed sign-ins, and holding a session at the TOTP step until a code is given.

Throttling counts failures in the database, so every web process sees the same count, in two ways:
per (username, client address): after ``ACCORD_LOGIN_MAX_FAILURES`` failures within
``ACCORD_LOGIN_WINDOW_MINUTES`` the pair is refused for ``ACCORD_LOGIN_LOCKOUT_MINUTES``; and per
client address across every username: after ``ACCORD_LOGIN_MAX_FAILURES_PER_ADDRESS`` failures in the
same window, that address may not sign in as anyone for the lockout period (guessing one password
for many accounts is caught too). Refused attempts do not count (they would extend the lockout for
ever). The login page, the admin login and the password reset form use the same counts.

TOTP: when a user with a confirmed authenticator signs in (by any route: login page, admin login),
the ``user_logged_in`` receiver marks the session "pending"; ``TotpRequiredMiddleware`` then lets
that session reach only the code page and sign-out until a valid code is given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from accord.people.models import LoginFailure, Role, TotpDevice, User

# Session key holding the TOTP state of a signed-in session: "pending" (code not yet given) or
# "enrol" (an admin who must set up an authenticator first). Absent: nothing outstanding.
TOTP_SESSION_KEY = "accord_totp"
TOTP_PENDING = "pending"
TOTP_ENROL = "enrol"


def client_address(request: HttpRequest | None) -> str:
    """The caller's address (first X-Forwarded-For hop when ACCORD_TRUST_X_FORWARDED_FOR is on)."""
    if request is None:
        return "unknown"
    if settings.ACCORD_TRUST_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:64]
    return (request.META.get("REMOTE_ADDR", "") or "unknown")[:64]


def _username_key(username: str) -> str:
    return (username or "").strip().lower()[:150]


def _locked_until(failures: Any, *, limit: int, now: datetime) -> datetime | None:
    """When the lockout that ``failures`` (a LoginFailure queryset) caused ends, or None.

    A lockout starts at a failure that is the Nth within the window, and lasts the lockout period.
    """
    window = timedelta(minutes=settings.ACCORD_LOGIN_WINDOW_MINUTES)
    lockout = timedelta(minutes=settings.ACCORD_LOGIN_LOCKOUT_MINUTES)
    times = sorted(
        failures.filter(created_at__gte=now - window - lockout)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: limit * 4]
    )
    until: datetime | None = None
    for i in range(limit - 1, len(times)):
        if times[i] - times[i - limit + 1] <= window and times[i] + lockout > now:
            until = times[i] + lockout
    return until


def address_locked_until(*, address: str, now: datetime | None = None) -> datetime | None:
    """When the lockout of a client address (failures for any username) ends, or None."""
    return _locked_until(
        LoginFailure.objects.filter(address=address),
        limit=settings.ACCORD_LOGIN_MAX_FAILURES_PER_ADDRESS,
        now=now or timezone.now(),
    )


def login_locked_until(*, username: str, address: str, now: datetime | None = None) -> datetime | None:
    """When sign-in as ``username`` from ``address`` may be tried again, or None when it may be now.

    Either lock applies: the (username, address) pair's, or the address's across every username.
    """
    now = now or timezone.now()
    pair = _locked_until(
        LoginFailure.objects.filter(username=_username_key(username), address=address),
        limit=settings.ACCORD_LOGIN_MAX_FAILURES,
        now=now,
    )
    whole_address = address_locked_until(address=address, now=now)
    locks = [until for until in (pair, whole_address) if until is not None]
    return max(locks) if locks else None


def login_failure_record(*, username: str, address: str, now: datetime | None = None) -> None:
    """Count one failed sign-in; failures older than a day are forgotten."""
    now = now or timezone.now()
    key = _username_key(username)
    LoginFailure.objects.create(username=key, address=address, created_at=now)
    LoginFailure.objects.filter(address=address, created_at__lt=now - timedelta(days=1)).delete()


def login_failures_clear(*, username: str, address: str) -> None:
    """A successful sign-in starts the pair's count again (the address keeps its other failures)."""
    LoginFailure.objects.filter(username=_username_key(username), address=address).delete()


def lockout_message(until: datetime) -> str:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return (
        "Too many failed sign-in attempts from your address. "
        f"Sign-in is blocked for {minutes} more minute{'s' if minutes != 1 else ''}; try again later "
        "or ask an administrator to reset your password."
    )


class ThrottledLoginMixin:
    """Refuses sign-in while the (username, address) pair is locked out; counts failures."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        until = login_locked_until(username=username, address=address)
        if until is not None:
            raise forms.ValidationError(lockout_message(until), code="locked")
        try:
            cleaned = super().clean()  # type: ignore[misc]
        except forms.ValidationError:
            if username:
                login_failure_record(username=username, address=address)
                until = login_locked_until(username=username, address=address)
                if until is not None:
                    raise forms.ValidationError(lockout_message(until), code="locked") from None
            raise
        login_failures_clear(username=username, address=address)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    """The sign-in page's form."""


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin site's sign-in form: the same throttling."""


def totp_session_state_set(*, request: HttpRequest, user: User) -> None:
    """Called on every sign-in: decide whether this session must give a code (or enrol) first."""
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        request.session[TOTP_SESSION_KEY] = TOTP_PENDING
    elif settings.ACCORD_REQUIRE_TOTP_FOR_ADMINS and user.has_role(Role.ADMIN):
        request.session[TOTP_SESSION_KEY] = TOTP_ENROL
    else:
        request.session.pop(TOTP_SESSION_KEY, None)


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    # A receiver, not a call in the login view, so that every way of signing in (login page, admin
    # login, a future single sign-on) passes through the same check.
    if request is not None and hasattr(request, "session"):
        totp_session_state_set(request=request, user=user)


class TotpRequiredMiddleware:
    """Holds a signed-in session whose TOTP step is outstanding at the code (or enrolment) page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        state = session.get(TOTP_SESSION_KEY) if session is not None else None
        if state and request.user.is_authenticated:
            target = reverse("totp_verify") if state == TOTP_PENDING else reverse("totp_setup")
            # Static files never get here: WhiteNoise answers them earlier in the middleware stack.
            allowed = {target, reverse("logout")}
            if request.path not in allowed:
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "message": "Finish signing in: enter the code from your authenticator app.",
                            "detail": {"totp": state},
                        },
                        status=401,
                    )
                return redirect(f"{target}?next={quote(request.get_full_path())}")
        return self.get_response(request)
