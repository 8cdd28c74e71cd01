"""Idempotency-Key handling for create calls: a replay returns the first response."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accord.core.errors import Conflict
from accord.core.models import IdempotencyRecord


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def idempotent_call(
    *, scope: str, key: str | None, body: Any, call: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """Run ``call`` once per (scope, key); returns (status, body, replayed).

    The same key with a different body is refused with 409. Keys older than the configured TTL
    (24 hours by default) are forgotten.
    """
    if not key:
        status, response = call()
        return status, response, False
    if len(key) > 255:
        raise Conflict("Idempotency-Key is longer than 255 characters.", detail={"Idempotency-Key": "too long"})
    fingerprint = request_fingerprint(body)
    cutoff = timezone.now() - timedelta(hours=settings.ACCORD_IDEMPOTENCY_TTL_HOURS)
    IdempotencyRecord.objects.filter(scope=scope, key=key, created_at__lt=cutoff).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=fingerprint)
            status, response = call()
            record.status_code = status
            record.response_body = response
            record.save(update_fields=["status_code", "response_body"])
            return status, response, False
    except IntegrityError:
        pass
    existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if existing is None or existing.status_code is None:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            detail={"Idempotency-Key": "in progress"},
            status=409,
        )
    if existing.request_hash != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used with a different request body. Use a new key for a new request.",
            detail={"Idempotency-Key": "reused with a different body"},
            status=422,
        )
    return existing.status_code, existing.response_body, True
