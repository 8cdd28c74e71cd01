"""Idempotency-Key handling for create calls: a replay returns the first response.

How it holds under concurrency: the record for (scope, key) is inserted in the same transaction as
the create itself, and a unique constraint guards it. A second request with the same key blocks on
that insert until the first commits (PostgreSQL waits on the unique index; SQLite's IMMEDIATE
transactions queue writers), then finds the stored response and replays it. So one key gives one
effect, and the loser of a race waits rather than failing.

Failed requests do not poison a key: when the create raises (an ApplicationError answered 4xx, or
anything else), the transaction rolls back with the record in it, so the client may fix the body
and send it again under the same key.

Keys older than ``ACCORD_IDEMPOTENCY_TTL_HOURS`` (24 by default) are forgotten: the same key then
starts afresh. ``idempotency_records_purge`` deletes expired rows in bulk (run periodically).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accord.core.api_support import json_response
from accord.core.errors import ApplicationError, Conflict
from accord.core.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def idempotency_cutoff() -> Any:
    return timezone.now() - timedelta(hours=settings.ACCORD_IDEMPOTENCY_TTL_HOURS)


def idempotent_call(
    *, scope: str, key: str | None, body: Any, call: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Run ``call`` once per (scope, key); returns (status, body, replayed).

    ``call`` returns (status, JSON-ready body). The same key with a different body is refused with
    422; a key whose first request is still running (only possible when the database cannot make
    the second request wait) gets 409. Without a key ``call`` simply runs.
    """
    if not key:
        status, response = call()
        return status, response, False
    if len(key) > MAX_KEY_LENGTH:
        raise ApplicationError(
            f"{HEADER} is longer than {MAX_KEY_LENGTH} characters.", detail={HEADER: "too long"}, status=422
        )
    if not key.isprintable():
        raise ApplicationError(
            f"{HEADER} holds a control character; use letters, digits and punctuation (a UUID is usual).",
            detail={HEADER: "control character"},
            status=422,
        )
    fingerprint = request_fingerprint(body)
    IdempotencyRecord.objects.filter(scope=scope, key=key, created_at__lt=idempotency_cutoff()).delete()
    with transaction.atomic():
        try:
            # Its own savepoint: an IntegrityError here means "the key is taken", and is told apart
            # from one raised inside ``call``, which must propagate.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=fingerprint)
        except IntegrityError:
            record = None
        if record is not None:
            status, response = call()
            record.status_code = status
            record.response_body = json.dumps(response, ensure_ascii=False)
            record.save(update_fields=["status_code", "response_body"])
            return status, response, False
    existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if existing is None or existing.status_code is None:
        raise Conflict(
            f"A request with this {HEADER} is still being processed; retry shortly.",
            detail={HEADER: "in progress"},
            status=409,
        )
    if existing.request_hash != fingerprint:
        raise ApplicationError(
            f"This {HEADER} was already used with a different request body. Use a new {HEADER} for a new "
            "request.",
            detail={HEADER: "reused with a different body"},
            status=422,
        )
    body_text = existing.response_body
    return existing.status_code, (json.loads(body_text) if body_text is not None else None), True


def idempotent_response(
    request: HttpRequest, *, operation: str, body: Any, call: Callable[[], tuple[int, Any]]
) -> HttpResponse:
    """The one line an API create needs: run ``call`` under the request's Idempotency-Key.

    Keys are scoped to the caller and the operation, so the same key sent to two different create
    endpoints does not collide. ``call`` returns (status, JSON-ready body): validate it through the
    endpoint's Out schema with ``.model_dump(mode="json")`` so a replay is byte-for-byte the same.
    """
    user = getattr(request, "user", None)
    who = f"user:{user.pk}" if getattr(user, "is_authenticated", False) else "anonymous"
    status, response, replayed = idempotent_call(
        scope=f"{who}:{operation}", key=request.headers.get(HEADER), body=body, call=call
    )
    http = json_response(request, response, status=status)
    if replayed:
        http[REPLAYED_HEADER] = "true"
    return http


def idempotency_records_purge(*, batch: int = 5000) -> int:
    """Delete records older than the TTL; returns how many went."""
    cutoff = idempotency_cutoff()
    total = 0
    while True:
        ids = list(
            IdempotencyRecord.objects.filter(created_at__lt=cutoff).values_list("id", flat=True)[:batch]
        )
        if not ids:
            return total
        total += IdempotencyRecord.objects.filter(id__in=ids).delete()[0]
