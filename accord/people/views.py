"""Pages for people: the front door (home), signing in and out (Django's auth views, throttled), the
TOTP code step after the password, and setting up an authenticator app."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from accord.core.errors import ApplicationError
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
from accord.people.models import Role, TotpDevice
from accord.people.totp import (
    totp_device_confirm,
    totp_device_remove,
    totp_device_start,
    totp_uri,
    totp_verify,
)

# Everyone starts at the leads page; it shows each person the leads their roles give access to.
START_PAGE = "/leads/"


def home(request: HttpRequest) -> HttpResponseRedirect:
    """Signed-in people go to their start page, everyone else to the sign-in page."""
    if request.user.is_authenticated:
        return redirect(START_PAGE)
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
    user = request.user
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
