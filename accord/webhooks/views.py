"""Webhook pages under /webhooks/ (admins): endpoints, a new endpoint (its secret shown once),
recent deliveries, 'send test event' and 'retry now'."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accord.core.errors import ApplicationError, NotFound
from accord.people.access import signed_in_user
from accord.webhooks import selectors, services
from accord.webhooks.forms import EndpointForm


def admin_only(view: Callable) -> Callable:
    """Webhook pages exist only for admins; anyone else gets 404, as for records they may not see."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.webhooks_can_manage(signed_in_user(request)):
            raise Http404("No such page.")
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None

    return wrapped


@admin_only
def webhooks_home(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    return render(
        request,
        "webhooks/home.html",
        {
            "endpoints": selectors.webhook_endpoint_list(user=user),
            "deliveries": selectors.webhook_delivery_list(user=user, limit=50),
        },
    )


@admin_only
def endpoint_new(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(actor=signed_in_user(request), **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error("url" if "url" in exc.detail else None, exc.message)
        else:
            # Rendered, not redirected: this answer is the only place the secret is ever shown.
            response = render(
                request, "webhooks/created.html", {"endpoint": endpoint, "secret": endpoint.secret}
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(request, "webhooks/new.html", {"form": form}, status=422 if form.errors else 200)


@admin_only
def endpoint_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    user = signed_in_user(request)
    endpoint = selectors.webhook_endpoint_get(user=user, endpoint_id=endpoint_id)
    return render(
        request,
        "webhooks/endpoint.html",
        {
            "endpoint": endpoint,
            "deliveries": selectors.webhook_delivery_list(user=user, endpoint=endpoint, limit=100),
        },
    )


@require_POST
@admin_only
def endpoint_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    user = signed_in_user(request)
    endpoint = selectors.webhook_endpoint_get(user=user, endpoint_id=endpoint_id)
    services.webhook_test_send(actor=user, endpoint=endpoint)
    messages.success(request, "A test event is on its way; its delivery is listed below.")
    return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)


@require_POST
@admin_only
def endpoint_toggle(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    user = signed_in_user(request)
    endpoint = selectors.webhook_endpoint_get(user=user, endpoint_id=endpoint_id)
    services.webhook_endpoint_set_active(actor=user, endpoint=endpoint, is_active=not endpoint.is_active)
    messages.success(request, "Endpoint resumed." if endpoint.is_active else "Endpoint paused.")
    return redirect("webhooks:endpoint", endpoint_id=endpoint.pk)


@require_POST
@admin_only
def delivery_retry(request: HttpRequest, delivery_id: int) -> HttpResponse:
    user = signed_in_user(request)
    delivery = selectors.webhook_delivery_get(user=user, delivery_id=delivery_id)
    try:
        services.webhook_delivery_retry_now(actor=user, delivery=delivery)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The delivery will be sent again now.")
    return redirect("webhooks:endpoint", endpoint_id=delivery.endpoint_id)
