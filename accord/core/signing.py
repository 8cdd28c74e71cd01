"""Timestamped HMAC-SHA256 signatures for server-to-server posts (and, later, outgoing webhooks).

Header format (as Stripe does it): ``X-Accord-Signature: t=<unix seconds>,v1=<hex digest>`` where the
digest is HMAC-SHA256(secret, "<t>." + raw body). A signature older or newer than the tolerance
(five minutes) is refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

from accord.core.errors import ApplicationError

SIGNATURE_HEADER = "X-Accord-Signature"
TOLERANCE_SECONDS = 300


def signature_make(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(timestamp if timestamp is not None else time.time())
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def signature_verify(
    *,
    secrets: Iterable[str],
    header: str | None,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise ApplicationError (401) unless ``header`` signs ``body`` with one of ``secrets``."""
    if not header:
        raise ApplicationError(
            f"This source requires a signed request: send the {SIGNATURE_HEADER} header.",
            detail={SIGNATURE_HEADER: "missing"},
            status=401,
        )
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise ApplicationError(
            f"{SIGNATURE_HEADER} must look like t=<unix seconds>,v1=<hex>.",
            detail={SIGNATURE_HEADER: "malformed"},
            status=401,
        ) from None
    moment = now if now is not None else time.time()
    if abs(moment - timestamp) > tolerance:
        raise ApplicationError(
            "The signature's timestamp is outside the five-minute window; sign the request "
            "again with the current time.",
            detail={SIGNATURE_HEADER: "expired"},
            status=401,
        )
    candidates = parts.get("v1", [])
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        # compare_digest takes the same time however many characters match.
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return
    raise ApplicationError(
        "The signature does not match the body; check the signing secret.",
        detail={SIGNATURE_HEADER: "mismatch"},
        status=401,
    )
