"""Pages for people: the front door (home) and signing in and out (Django's auth views)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect

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


class LogoutView(auth_views.LogoutView):
    """Signs out on POST only (a GET link could be triggered by any page)."""

    http_method_names = ["post", "options"]
