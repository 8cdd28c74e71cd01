"""Response headers and session rules for ASVS level 2: a strict Content-Security-Policy, no caching of
signed-in pages, and an idle timeout for sessions.

Content-Security-Policy: scripts and styles come only from this site's own files (``'self'``) or
carry the per-request nonce (``request.csp_nonce``, for the rare ``<script>``/``<style>`` block a
template still needs); no inline event handlers, no ``style=`` attributes, no ``eval``. Nothing may
frame Accord, forms post only back to Accord, ``<base>`` and plugins are refused. HTMX keeps working
because its indicator styles live in ``accord.css`` (``includeIndicatorStyles`` is off in
``base.html``) rather than in a ``<style>`` element HTMX would inject.

The public form endpoint (``/f/<key>``) is posted to from other sites, but its own answer pages
(thanks, error) are served under the same policy: they are plain pages of this site.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from accord.core.actors import Actor

# Every directive not listed falls back to default-src 'self'. img-src allows data: URIs for the
# small inline SVG icons of the API docs page (Swagger UI), which is served from our static files.
CSP_TEMPLATE = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'nonce-{nonce}'; "
    "img-src 'self' data:; "
    "font-src 'self'; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)


def content_security_policy(nonce: str) -> str:
    """The policy sent with every response, with this request's nonce."""
    return CSP_TEMPLATE.format(nonce=nonce)


class ContentSecurityPolicyMiddleware:
    """Gives each request a nonce (``request.csp_nonce``) and sends the policy with the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy(nonce))
        return response


class NoStoreForSignedInMiddleware:
    """Pages answered to a signed-in user, and every API answer, are never stored by a browser or proxy.

    Static files never reach this middleware (WhiteNoise answers them earlier), so they stay cacheable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # API answers hold account data whatever the way of signing in (tokens leave request.user
        # anonymous here), so they are never stored either.
        signed_in = user is not None and user.is_authenticated
        if (signed_in or request.path.startswith("/api/")) and "no-store" not in response.get(
            "Cache-Control", ""
        ):
            response["Cache-Control"] = "no-store, private"
            response["Pragma"] = "no-cache"
        return response


# Session key holding the time (epoch seconds) of the session's last request.
LAST_SEEN_SESSION_KEY = "accord_last_seen"
# The last-seen time is written at most once a minute, so an active session does not write its row on
# every request; the idle timeout is accurate to that minute.
LAST_SEEN_RESOLUTION_SECONDS = 60


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Actor, **kwargs: Any) -> None:
    """A new sign-in starts the idle clock, so the first request after it need not write the session."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_SEEN_SESSION_KEY] = int(time.time())


class SessionIdleMiddleware:
    """Signs out a session left unused for ``ACCORD_SESSION_IDLE_MINUTES``.

    The session's absolute lifetime is ``SESSION_COOKIE_AGE`` (``ACCORD_SESSION_HOURS``); this adds
    the idle limit on top. A timed-out request continues as anonymous, so pages send it to sign-in and
    the API answers 401.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated:
            now = int(time.time())
            last_seen = session.get(LAST_SEEN_SESSION_KEY)
            if isinstance(last_seen, int) and now - last_seen > settings.ACCORD_SESSION_IDLE_MINUTES * 60:
                logout(request)
            elif not isinstance(last_seen, int) or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                session[LAST_SEEN_SESSION_KEY] = now
        return self.get_response(request)
