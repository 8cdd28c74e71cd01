"""Pages for people: the front door (home), signing in and out (Django's auth views, throttled), the
TOTP code step after the password, setting up an authenticator app, and changing or resetting a
password (Django's password views with our templates, throttled, links built from ACCORD_SITE_URL)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accord.core.errors import ApplicationError
from accord.core.ratelimit import rate_limit_hit
from accord.people.access import signed_in_user
from accord.people.auth_security import (
    TOTP_ENROL,
    TOTP_PENDING,
    TOTP_SESSION_KEY,
    LoginForm,
    client_address,
    lockout_message,
    login_failure_record,
    login_failures_clear,
    login_locked_until,
)
from accord.people.calendar_feeds import (
    calendar_feed_for,
    calendar_feed_ics,
    calendar_feed_owner,
    calendar_feed_reset,
    calendar_feed_url,
)
from accord.people.forms import AbsenceForm
from accord.people.models import Absence, Role, TotpDevice
from accord.people.navigation import start_page_for
from accord.people.services import absence_create, absence_delete
from accord.people.totp import (
    totp_device_confirm,
    totp_device_remove,
    totp_device_start,
    totp_uri,
    totp_verify,
)


def home(request: HttpRequest) -> HttpResponseRedirect:
    """Signed-in people go to their role's start page (accord.people.navigation.START_PAGES), everyone
    else to the sign-in page."""
    if request.user.is_authenticated:
        return redirect(start_page_for(signed_in_user(request).role_set))
    return redirect("login")


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm


class LogoutView(auth_views.LogoutView):
    """Signs out on POST only (a GET link could be triggered by any page)."""

    http_method_names = ["post", "options"]


def _safe_next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure()):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def totp_verify_page(request: HttpRequest) -> HttpResponse:
    """The second sign-in step for users with an authenticator app: a six-digit code."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.session.get(TOTP_SESSION_KEY) != TOTP_PENDING:
        return redirect(_safe_next(request))
    user = request.user
    address = client_address(request)
    error = ""
    if request.method == "POST":
        until = login_locked_until(username=user.username, address=address)
        if until is None and totp_verify(user=user, code=request.POST.get("code", "")):
            login_failures_clear(username=user.username, address=address)
            del request.session[TOTP_SESSION_KEY]
            request.session.cycle_key()
            return redirect(_safe_next(request))
        if until is None:
            login_failure_record(username=user.username, address=address)
            until = login_locked_until(username=user.username, address=address)
        if until is not None:
            # Locked out: end this half-signed-in session; the password must be given again later.
            logout(request)
            messages.error(request, lockout_message(until))
            return redirect("login")
        error = "That code is not valid. Type the current code from your authenticator app."
    return render(
        request,
        "people/totp_verify.html",
        {"error": error, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=400 if error else 200,
    )


@login_required
def totp_setup_page(request: HttpRequest) -> HttpResponse:
    """Set up (or turn off) an authenticator app: the secret as text and as an otpauth:// URI."""
    user = signed_in_user(request)
    device = TotpDevice.objects.filter(user=user).first()
    required = settings.ACCORD_REQUIRE_TOTP_FOR_ADMINS and user.has_role(Role.ADMIN)
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")
        try:
            if request.POST.get("action") == "disable":
                if required:
                    raise ApplicationError("Administrators must keep two-factor sign-in on.")
                totp_device_remove(user=user, code=code)
                messages.success(request, "Two-factor sign-in is off.")
                return redirect("totp_setup")
            totp_device_confirm(user=user, code=code)
        except ApplicationError as exc:
            error = exc.message
        else:
            if request.session.get(TOTP_SESSION_KEY) == TOTP_ENROL:
                del request.session[TOTP_SESSION_KEY]
            messages.success(
                request, "Two-factor sign-in is on: from now on Accord asks for a code after your password."
            )
            return redirect(_safe_next(request) if request.POST.get("next") else "totp_setup")
        device = TotpDevice.objects.filter(user=user).first()
    if device is None or device.confirmed_at is None:
        device = totp_device_start(user=user)
    secret = device.secret
    return render(
        request,
        "people/totp_setup.html",
        {
            "device": device,
            "confirmed": device.confirmed_at is not None,
            "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "uri": totp_uri(device=device) if device.confirmed_at is None else "",
            "required": required,
            "must_enrol": request.session.get(TOTP_SESSION_KEY) == TOTP_ENROL,
            "error": error,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=400 if error else 200,
    )


# --- forgotten and changed passwords ----------------------------------------------------------------


def _email_key(email: str) -> str:
    # The rate-limit table keeps a hash, not the address itself.
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:32]


class PasswordResetView(auth_views.PasswordResetView):
    """ "Forgot password?": mails a single-use link that expires after ACCORD_PASSWORD_RESET_MINUTES.

    The answer is the same whether or not the address belongs to anyone (no account enumeration).
    Requests are throttled per client address (a visible refusal) and per email address (silently:
    the page still says a mail was sent, so the limit does not tell whether the address exists).
    """

    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    @property
    def extra_email_context(self) -> dict[str, object]:  # type: ignore[override]
        # Links are built from ACCORD_SITE_URL, never from the request's Host header (which a caller
        # could set to their own site to collect the tokens).
        return {
            "site_url": settings.SITE_URL,
            "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
        }

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        decision = rate_limit_hit(
            key=f"password-reset:address:{client_address(request)}",
            limit=settings.ACCORD_PASSWORD_RESET_PER_HOUR,
            window_seconds=3600,
        )
        if not decision.allowed:
            form = self.get_form()
            minutes = max(1, decision.retry_after // 60)
            form.add_error(
                None,
                f"Too many password reset requests from your address. Try again in {minutes} minutes, "
                "or ask an administrator to reset your password.",
            )
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(decision.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        decision = rate_limit_hit(
            key=f"password-reset:email:{_email_key(form.cleaned_data['email'])}",
            limit=settings.ACCORD_PASSWORD_RESET_PER_HOUR,
            window_seconds=3600,
        )
        if not decision.allowed:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the mail: valid once (the token depends on the password hash) and until it expires.

    Setting the new password signs out every session of the user (Django checks the password hash
    of each session); the user then signs in with the new password.
    """

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's password: this session stays signed in, every other session of the user ends."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)  # saves, then update_session_auth_hash keeps this session
        messages.success(self.request, "Your password is changed. Your other sessions are signed out.")
        return response


# --- the person's own settings: away, calendar feed ---------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def away_page(request: HttpRequest) -> HttpResponse:
    """Mark yourself away for a period; routing passes you over then, and your team's page shows it."""
    user = signed_in_user(request)
    form = AbsenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            absence = absence_create(
                actor=user,
                person=user,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"You are away {absence.start:%d %b %Y} – {absence.end:%d %b %Y}: new leads go to your teammates then.",
            )
            return redirect("away")
    absences = Absence.objects.filter(user=user, end__gte=timezone.localdate()).order_by("start")[:50]
    return render(request, "people/away.html", {"form": form, "absences": absences})


@require_POST
@login_required
def away_remove(request: HttpRequest, absence_id: int) -> HttpResponse:
    user = signed_in_user(request)
    if not Absence.objects.filter(pk=absence_id, user=user).exists():
        raise Http404("That absence was not found.")
    absence_delete(actor=user, absence_id=absence_id)
    messages.success(request, "Absence removed: routing gives you leads again on those days.")
    return redirect("away")


@require_http_methods(["GET", "POST"])
@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """The person's calendar feed URL (to subscribe to in any calendar app) and its reset."""
    user = signed_in_user(request)
    if request.method == "POST":
        calendar_feed_reset(user=user)
        messages.success(request, "Your calendar has a new address: the old one no longer works.")
        return redirect("calendar")
    return render(
        request,
        "people/calendar.html",
        {"feed_url": calendar_feed_url(user=user), "feed": calendar_feed_for(user=user)},
    )


@require_GET
def calendar_feed(request: HttpRequest, user_id: int, secret: str) -> HttpResponse:
    """The iCalendar file; the secret in the URL is the key (calendar apps do not sign in)."""
    owner = calendar_feed_owner(user_id=user_id, secret=secret)
    if owner is None:
        raise Http404("There is no calendar at this address (it may have been reset).")
    response = HttpResponse(calendar_feed_ics(user=owner), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="accord.ics"'
    response["Cache-Control"] = "private, no-store"
    return response
