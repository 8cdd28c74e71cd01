"""Writes for webhooks: endpoints, deliveries made from committed events, attempts and their retries.

Retries: after a failed attempt the next one waits 1 minute, then 2, 4, 8 ... capped at 6 hours,
each with +/-10 % jitter so many endpoints failing together do not retry in lock-step. Deliveries are
retried for three days from their creation; a last attempt is made at that moment and, if it fails
too, the delivery is marked ``gave_up``. A 4xx answer other than 408 and 429 means the receiver
refused the payload: it is not retried (``failed``). A 429 waits as long as its Retry-After says.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accord.core.errors import AccessDenied, ApplicationError
from accord.core.models import Event
from accord.core.signing import SIGNATURE_HEADER, signature_make
from accord.people.models import Role, User
from accord.webhooks.delivery import TIMEOUT_SECONDS, AttemptResult, http_post
from accord.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from accord.webhooks.targets import target_check

log = logging.getLogger(__name__)

# Event types an endpoint may subscribe to. The first group is what the event log records as is;
# the derived ones are views of those events (see ``webhook_types_of``).
EVENT_TYPES: dict[str, str] = {
    "lead.created": "A new lead arrived (a lead.intake event that created the lead)",
    "lead.intake": "A submission reached a lead (new or matched), from any channel",
    "lead.qualified": "A lead became an MQL (at intake, on re-scoring or by hand)",
    "lead.scored": "A lead was re-scored after a criteria change or decay",
    "lead.assigned": "A lead was assigned to a rep, team or queue",
    "lead.accepted": "A rep accepted a lead",
    "lead.rejected": "A rep rejected a lead back to marketing",
    "lead.touched": "A rep logged a call, email, meeting or note",
    "lead.stage_changed": "A lead moved to another lifecycle stage by hand",
    "lead.recycled": "A lead was recycled after its SLA ran out",
    "lead.merged": "Two leads were merged",
    "sla.breached": "An SLA clock passed its deadline",
    "sla.escalated": "An SLA breach was escalated up the manager chain",
    "deal.created": "A deal was opened (a lead converted, or a deal opened directly for a contact)",
    "deal.updated": "A deal's name, amount, close date, owner, stage or products were corrected",
    "deal.stage_changed": "A deal moved to another stage",
    "deal.won": "A deal was won",
    "deal.lost": "A deal was lost",
    "criteria.activated": "A qualification criteria version became active",
    "routing.activated": "A routing rule set became active",
    "campaign.created": "A campaign was created",
}
TEST_EVENT_TYPE = "webhook.test"

RETRY_FOR = timedelta(days=3)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
JITTER = 0.10
_random = random.Random()


def webhook_types_of(event: Event) -> list[str]:
    """The webhook types an event is sent as: its own type, plus derived ones."""
    types = [event.type]
    if event.type == "lead.intake" and (event.payload or {}).get("created"):
        types.append("lead.created")
    if event.subject_type == "lead" and event.stage == "mql":
        types.append("lead.qualified")
    return types


def webhook_body(event: Event, event_type: str) -> dict[str, Any]:
    """The JSON posted for one event: {id, type, occurred_at, subject, payload}."""
    return {
        "id": event.pk,
        "type": event_type,
        "occurred_at": event.occurred_at.isoformat(),
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "payload": json.loads(json.dumps(event.payload or {}, default=str)),
    }


def _require_admin(actor: User) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.has_role(Role.ADMIN):
        raise AccessDenied("Only admins manage webhooks.", status=403)


def event_types_clean(event_types: Iterable[str]) -> list[str]:
    chosen = sorted({t.strip() for t in event_types if t and t.strip()})
    unknown = [t for t in chosen if t not in EVENT_TYPES]
    if unknown:
        raise ApplicationError(
            f"Unknown event type(s): {', '.join(unknown)}. Choose from: {', '.join(EVENT_TYPES)}.",
            detail={"event_types": "unknown: " + ", ".join(unknown)},
            status=422,
        )
    if not chosen:
        raise ApplicationError("Choose at least one event type.", detail={"event_types": "empty"}, status=422)
    return chosen


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor: User,
    name: str,
    url: str,
    event_types: Iterable[str],
    allow_private: bool = False,
    is_active: bool = True,
) -> WebhookEndpoint:
    """Make an endpoint (admins only). The URL is checked against the SSRF rules now and at every send."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Give the endpoint a name.", detail={"name": "required"}, status=422)
    types = event_types_clean(event_types)
    target_check(url, allow_private=allow_private)
    endpoint = WebhookEndpoint(
        name=name[:120],
        url=url,
        event_types=types,
        allow_private=allow_private,
        is_active=is_active,
        created_by=actor,
    )
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_set_active(
    *, actor: User, endpoint: WebhookEndpoint, is_active: bool
) -> WebhookEndpoint:
    """Pause or resume an endpoint; paused endpoints get no new deliveries."""
    _require_admin(actor)
    endpoint.is_active = is_active
    endpoint.save(update_fields=["is_active", "updated_at"])
    return endpoint


def webhook_deliveries_create_for_events(
    *, event_ids: list[int], event_types: set[str] | None = None
) -> list[int]:
    """One delivery per (subscribed active endpoint, committed event, type); sending is enqueued.

    Called after the events' transaction commits. Safe to call twice: a unique constraint keeps one
    delivery per endpoint, event and type.
    """
    # Runs after every intake's commit, mostly to find no endpoint: a prepared read, not a compiled one.
    endpoints = list(
        WebhookEndpoint.objects.raw(
            f"SELECT id, event_types FROM {WebhookEndpoint._meta.db_table} WHERE is_active ORDER BY id"
        )
    )
    if not endpoints:
        return []
    wanted = {t for endpoint in endpoints for t in endpoint.event_types}
    if event_types is not None:
        # The types the events may be sent as: their own, lead.created for intakes, lead.qualified for any.
        possible = (
            set(event_types)
            | {"lead.qualified"}
            | ({"lead.created"} if "lead.intake" in event_types else set())
        )
        if not wanted & possible:
            return []
    base_types = {t for t in wanted if t not in ("lead.created", "lead.qualified")}
    if "lead.created" in wanted:
        base_types.add("lead.intake")
    query = Q(type__in=base_types)
    if "lead.qualified" in wanted:
        query |= Q(subject_type="lead", stage="mql")
    now = timezone.now()
    rows: list[WebhookDelivery] = []
    for start in range(0, len(event_ids), 1000):
        for event in Event.objects.filter(query, pk__in=event_ids[start : start + 1000]).order_by("id"):
            for event_type in webhook_types_of(event):
                for endpoint in endpoints:
                    if endpoint.wants(event_type):
                        rows.append(
                            WebhookDelivery(
                                endpoint_id=endpoint.pk,
                                event_id=event.pk,
                                event_type=event_type,
                                subject_type=event.subject_type,
                                subject_id=event.subject_id,
                                payload=webhook_body(event, event_type),
                                next_attempt_at=now,
                            )
                        )
    if not rows:
        return []
    with transaction.atomic():
        WebhookDelivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        ids = list(
            WebhookDelivery.objects.filter(
                event_id__in={r.event_id for r in rows},
                status=DeliveryStatus.PENDING,
                attempts=0,
                endpoint_id__in={e.pk for e in endpoints},
            ).values_list("id", flat=True)
        )
        transaction.on_commit(lambda: deliveries_enqueue(ids))
    return ids


def deliveries_enqueue(delivery_ids: list[int], *, batch: int = 100) -> None:
    """Enqueue sending: one task per delivery for a few, one per batch for many (bulk re-scoring)."""
    from accord.webhooks.tasks import webhook_deliveries_send_task, webhook_delivery_send_task

    if len(delivery_ids) <= 3:
        for delivery_id in delivery_ids:
            webhook_delivery_send_task.enqueue(delivery_id)
        return
    for start in range(0, len(delivery_ids), batch):
        webhook_deliveries_send_task.enqueue(delivery_ids[start : start + batch])


def delivery_enqueue_at(delivery_id: int, when: datetime) -> None:
    from accord.webhooks.tasks import webhook_delivery_send_task

    webhook_delivery_send_task.using(run_after=when).enqueue(delivery_id)


@transaction.atomic
def webhook_test_send(*, actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a test event to ``endpoint`` (admins only), to check the URL and the signature."""
    _require_admin(actor)
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type=TEST_EVENT_TYPE,
        next_attempt_at=now,
        payload={
            "id": None,
            "type": TEST_EVENT_TYPE,
            "occurred_at": now.isoformat(),
            "subject": {"type": "webhook_endpoint", "id": endpoint.pk},
            "payload": {"message": "A test event from Accord.", "sent_by": actor.username},
        },
    )
    delivery.payload["id"] = f"test_{delivery.pk}"
    delivery.save(update_fields=["payload"])
    transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))
    return delivery


@transaction.atomic
def webhook_delivery_retry_now(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again at once (admins only). A succeeded delivery is not sent twice."""
    _require_admin(actor)
    if delivery.status == DeliveryStatus.SUCCEEDED:
        raise ApplicationError(
            "This delivery already succeeded; it is not sent again.",
            detail={"status": "succeeded"},
            status=409,
        )
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        locked_until=None,
        updated_at=now,
    )
    delivery.refresh_from_db()
    transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))
    return delivery


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 ... minutes, at most 6 h, jittered."""
    base = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)
    factor = 1 + (rng or _random).uniform(-JITTER, JITTER)
    return min(base * factor, LONGEST_WAIT)


def retry_after_seconds(value: str, *, now: datetime) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date); None when absent or bad."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def _signed_headers(delivery: WebhookDelivery, endpoint: WebhookEndpoint, body: bytes) -> dict[str, str]:
    return {
        SIGNATURE_HEADER: signature_make(endpoint.secret, body),
        "X-Accord-Event-Id": str(delivery.payload.get("id", "")),
        "X-Accord-Event-Type": delivery.event_type,
        "X-Accord-Delivery": str(delivery.pk),
    }


def webhook_delivery_attempt(*, delivery_id: int) -> str:
    """Make one attempt if the delivery is pending and due; returns its status afterwards.

    Idempotent: a worker first claims the delivery with a compare-and-set UPDATE, so two tasks for
    one delivery never post at once, and a delivery that succeeded is never sent again.
    """
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=TIMEOUT_SECONDS * 3 + 5))
    )
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "gone"
    if not claimed:
        return delivery.status
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    retryable = True
    if not endpoint.is_active:
        result, retryable = AttemptResult(None, error="The endpoint is paused."), False
    else:
        try:
            target = target_check(endpoint.url, allow_private=endpoint.allow_private)
        except ApplicationError as exc:
            # A name that does not resolve may resolve later; a refused address will not become safe.
            result, retryable = (
                AttemptResult(None, error=exc.message[:500]),
                exc.detail.get("url") == "unresolvable",
            )
        else:
            result = http_post(target, body=body, headers=_signed_headers(delivery, endpoint, body))
    return _record_outcome(delivery, result, retryable=retryable)


def _record_outcome(delivery: WebhookDelivery, result: AttemptResult, *, retryable: bool) -> str:
    now = timezone.now()
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "locked_until": None,
        "updated_at": now,
    }
    code = result.status_code
    when: datetime | None = None
    if result.ok:
        changes.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif not retryable or (code is not None and 400 <= code < 500 and code not in (408, 429)):
        changes.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        if code is not None and not result.error:
            changes["last_error"] = f"The receiver answered {code}; a 4xx answer is not retried."
    else:
        deadline = delivery.created_at + RETRY_FOR
        if now >= deadline:
            changes.update(status=DeliveryStatus.GAVE_UP, next_attempt_at=None)
        else:
            wait = retry_delay(attempts)
            asked = retry_after_seconds(result.retry_after, now=now) if code == 429 else None
            if asked is not None:
                wait = timedelta(seconds=max(asked, 1))
            when = min(now + wait, deadline)
            changes.update(status=DeliveryStatus.PENDING, next_attempt_at=when)
            if code is not None and not result.error:
                changes["last_error"] = f"The receiver answered {code}."
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)
    if when is not None:
        transaction.on_commit(lambda: delivery_enqueue_at(delivery.pk, when))
    log.info("webhook delivery %s attempt %s: %s", delivery.pk, attempts, changes["status"])
    return str(changes["status"])


def webhook_deliveries_enqueue_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Safety net for lost tasks: enqueue pending deliveries overdue by more than five minutes."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now - timedelta(minutes=5)
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )
    if ids:
        deliveries_enqueue(ids)
    return len(ids)


def webhook_payloads_redact(*, subject_type: str, subject_ids: Iterable[int]) -> int:
    """Privacy erasure: blank the payload copies of a subject's deliveries (the rows remain)."""
    return WebhookDelivery.objects.filter(subject_type=subject_type, subject_id__in=list(subject_ids)).update(
        payload={"redacted": True}, updated_at=timezone.now()
    )


def webhooks_housekeeping(*, now: datetime | None = None) -> dict[str, int]:
    """Periodic: re-enqueue lost deliveries, forget expired idempotency keys and old bookkeeping."""
    from accord.core.idempotency import idempotency_records_purge
    from accord.webhooks.models import ExternalEvent

    now = now or timezone.now()
    return {
        "deliveries_enqueued": webhook_deliveries_enqueue_due(now=now),
        "idempotency_records_purged": idempotency_records_purge(),
        "external_events_purged": ExternalEvent.objects.filter(
            created_at__lt=now - EXTERNAL_EVENT_RETENTION
        ).delete()[0],
        "deliveries_purged": WebhookDelivery.objects.filter(
            status=DeliveryStatus.SUCCEEDED, created_at__lt=now - DELIVERY_RETENTION
        ).delete()[0],
    }


EXTERNAL_EVENT_RETENTION = timedelta(days=30)
DELIVERY_RETENTION = timedelta(days=30)


def external_lead_intake(
    *, source: Any, external_id: str, data: dict[str, Any]
) -> tuple[int, dict[str, Any], bool]:
    """Take a lead another system sent as event ``external_id``, once; returns (status, body, replayed).

    The ExternalEvent row is inserted in the same transaction as the lead, under a unique (source,
    external id) constraint: concurrent redeliveries wait for the first and then replay its answer,
    so a thousand deliveries make one lead, one intake event and one hand-off to routing. A delivery
    that fails (bad input) rolls back with its row, so a corrected redelivery is taken. The same id
    with a different body is refused rather than silently dropped.
    """
    from accord.core.idempotency import request_fingerprint
    from accord.core.models import Channel
    from accord.intake.services import lead_intake
    from accord.webhooks.models import ExternalEvent

    external_id = (external_id or "").strip()
    if not external_id:
        raise ApplicationError(
            "Send the event's id in the X-Event-Id header (or 'event_id' in the body).",
            detail={"X-Event-Id": "missing"},
            status=422,
        )
    if len(external_id) > 255:
        raise ApplicationError(
            "The event id is longer than 255 characters.", detail={"X-Event-Id": "too long"}, status=422
        )
    fingerprint = request_fingerprint(data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = ExternalEvent.objects.create(
                    source=source, external_id=external_id, body_hash=fingerprint, status_code=0
                )
        except IntegrityError:
            record = None
        if record is not None:
            result = lead_intake(data=data, channel=Channel.API, source=source)
            status = 201 if result.created else 200
            body = {
                "ok": True,
                "event_id": external_id,
                "lead_id": result.lead.pk,
                "created": result.created,
                "duplicate": False,
            }
            record.lead = result.lead
            record.status_code, record.response_body = status, body
            record.save(update_fields=["lead", "status_code", "response_body", "updated_at"])
            return status, body, False
    existing = ExternalEvent.objects.filter(source=source, external_id=external_id).first()
    if existing is None or not existing.status_code:
        raise ApplicationError(
            "This event is still being processed; retry shortly.",
            detail={"X-Event-Id": "in progress"},
            status=409,
        )
    if existing.body_hash != fingerprint:
        raise ApplicationError(
            "This event id was already delivered with a different body; send a new event id for a new event.",
            detail={"X-Event-Id": "reused with a different body"},
            status=422,
        )
    return existing.status_code, {**existing.response_body, "duplicate": True}, True
