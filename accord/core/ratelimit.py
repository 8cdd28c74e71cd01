"""Fixed-window rate limits counted in the database, so every web process shares one count."""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection, transaction

from accord.core.models import RateWindow


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window resets


def rate_limit_hit(
    *, key: str, limit: int, window_seconds: int = 60, now: float | None = None
) -> RateDecision:
    """Count one request against ``key``; allowed while the window's count stays within ``limit``."""
    moment = int(now if now is not None else time.time())
    start = moment - moment % window_seconds
    q = connection.ops.quote_name
    table, k, w, c = q(RateWindow._meta.db_table), q("key"), q("window_start"), q("count")
    # One statement either counts or fails. No savepoint of its own inside a caller's transaction
    # (the queued form's on SQLite). Alone: on SQLite the atomic block takes the write lock at BEGIN;
    # on PostgreSQL the statement is its own transaction, so it neither pays BEGIN and COMMIT round
    # trips nor holds the window's row (one per address, hot under a burst) for longer than itself.
    alone = connection.vendor == "postgresql" and connection.get_autocommit()
    with nullcontext() if alone else transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # One statement: insert the window or add one to it, and read the new count back.
        cursor.execute(
            f"INSERT INTO {table} ({k}, {w}, {c}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({k}, {w}) DO UPDATE SET {c} = {table}.{c} + 1 RETURNING {c}",
            [key, start],
        )
        count = cursor.fetchone()[0]
    return RateDecision(count <= limit, count, limit, start + window_seconds - moment)


# A window is kept this long after it began: as long as the longest limit's window (the sign-in
# limits' hour), so a window is only forgotten once it has ended.
RATE_WINDOWS_KEPT_SECONDS = 3600


def rate_windows_forget(*, now: float | None = None) -> int:
    """Delete the windows that began more than ``RATE_WINDOWS_KEPT_SECONDS`` ago; how many went.

    Periodic work of the worker (core/apps.py), not of a request: a request's rate count is one
    statement whatever the second, and it reads no row but its own key's."""
    moment = int(now if now is not None else time.time())
    deleted, _ = RateWindow.objects.filter(window_start__lt=moment - RATE_WINDOWS_KEPT_SECONDS).delete()
    return deleted
