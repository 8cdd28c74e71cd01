"""Reads for webhooks: endpoints and their recent deliveries (admins only)."""

from __future__ import annotations

from django.db.models import QuerySet

from accord.core.errors import NotFound
from accord.people.access import webhook_deliveries_visible_to, webhook_endpoints_visible_to
from accord.people.models import Role, User
from accord.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhooks_can_manage(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.ADMIN))


def webhook_endpoint_list(*, user: User) -> QuerySet[WebhookEndpoint]:
    return webhook_endpoints_visible_to(user).order_by("name", "id")


def webhook_endpoint_get(*, user: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_list(user=user).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound("No such webhook endpoint.", detail={"endpoint": endpoint_id})
    return endpoint


def webhook_delivery_list(
    *, user: User, endpoint: WebhookEndpoint | None = None, limit: int = 50
) -> list[WebhookDelivery]:
    qs = webhook_deliveries_visible_to(user).select_related("endpoint").order_by("-created_at", "-id")
    if endpoint is not None:
        qs = qs.filter(endpoint=endpoint)
    return list(qs[:limit])


def webhook_delivery_get(*, user: User, delivery_id: int) -> WebhookDelivery:
    if not webhooks_can_manage(user):
        raise NotFound("No such delivery.", detail={"delivery": delivery_id})
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("No such delivery.", detail={"delivery": delivery_id})
    return delivery


def webhook_endpoints_listening() -> bool:
    """Whether any active endpoint would hear of new events (one cheap query; no user: the event log asks)."""
    return WebhookEndpoint.objects.filter(is_active=True).exists()
