"""Rate windows shared through the database, and timestamped HMAC signatures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.core.errors import ApplicationError
from accord.core.models import RateWindow
from accord.core.ratelimit import RATE_WINDOWS_KEPT_SECONDS, rate_limit_hit, rate_windows_forget
from accord.core.signing import signature_make, signature_verify
from accord.core.tasks import rate_windows_forget_task


@pytest.mark.django_db
def test_it_allows_up_to_the_limit_then_refuses_with_the_seconds_to_wait():
    decisions = [rate_limit_hit(key="k", limit=3, now=1_000_040) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after == 40


@pytest.mark.django_db
def test_a_new_window_starts_a_new_count():
    for _ in range(3):
        rate_limit_hit(key="k", limit=3, now=1_000_020)
    assert rate_limit_hit(key="k", limit=3, now=1_000_081).allowed


@pytest.mark.django_db
def test_counts_are_per_key():
    rate_limit_hit(key="a", limit=1, now=1_000_000)
    assert rate_limit_hit(key="b", limit=1, now=1_000_000).allowed
    assert not rate_limit_hit(key="a", limit=1, now=1_000_000).allowed


@pytest.mark.django_db
@pytest.mark.parametrize("moment", [97 * 10_309, 97 * 10_309 + 1, 1_000_020, 1_003_600])
def test_a_hit_is_one_statement_at_any_second(moment):
    # Old windows are forgotten by periodic work, never inside a request, so a post costs the same
    # whatever second it lands on (it once deleted them when the second was a multiple of 97).
    RateWindow.objects.create(key="old", window_start=moment - 10 * RATE_WINDOWS_KEPT_SECONDS, count=3)
    with CaptureQueriesContext(connection) as queries:
        rate_limit_hit(key="k", limit=3, now=moment)
    writes = [q["sql"] for q in queries.captured_queries if "rate" in q["sql"].lower()]
    assert len(writes) == 1, writes
    assert RateWindow.objects.filter(key="old").exists()


@pytest.mark.django_db
def test_forgetting_drops_only_windows_older_than_the_kept_span():
    now = 2_000_000
    for key, began in [
        ("gone", now - RATE_WINDOWS_KEPT_SECONDS - 60),
        ("edge", now - RATE_WINDOWS_KEPT_SECONDS),
    ]:
        RateWindow.objects.create(key=key, window_start=began, count=5)
    rate_limit_hit(key="live", limit=3, now=now)
    assert rate_windows_forget(now=now) == 1
    assert sorted(RateWindow.objects.values_list("key", flat=True)) == ["edge", "live"]
    # The live window still counts after the sweep.
    assert rate_limit_hit(key="live", limit=3, now=now).count == 2


@pytest.mark.django_db
def test_the_periodic_task_forgets_by_the_clock():
    noon = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    now = int(noon.timestamp())
    RateWindow.objects.create(key="stale", window_start=now - 2 * RATE_WINDOWS_KEPT_SECONDS, count=1)
    RateWindow.objects.create(key="fresh", window_start=now - 60, count=1)
    with time_machine.travel(noon, tick=False):
        rate_windows_forget_task.call()
    assert list(RateWindow.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_valid_signature_passes():
    header = signature_make("s3cret", b'{"email":"a@b.co"}', timestamp=1_000_000)
    signature_verify(secrets=["s3cret"], header=header, body=b'{"email":"a@b.co"}', now=1_000_100)


def test_the_previous_secret_works_during_rotation():
    header = signature_make("old", b"x", timestamp=1_000_000)
    signature_verify(secrets=["new", "old"], header=header, body=b"x", now=1_000_000)


@pytest.mark.parametrize(
    ("header", "body", "now", "problem"),
    [
        (None, b"x", 1_000_000, "missing"),
        ("v1=abc", b"x", 1_000_000, "malformed"),
        (signature_make("s3cret", b"x", timestamp=1_000_000), b"x", 1_000_301, "expired"),
        (signature_make("s3cret", b"x", timestamp=1_000_000), b"y", 1_000_000, "mismatch"),
        (signature_make("wrong", b"x", timestamp=1_000_000), b"x", 1_000_000, "mismatch"),
    ],
)
def test_it_refuses_bad_signatures_with_the_reason(header, body, now, problem):
    with pytest.raises(ApplicationError) as caught:
        signature_verify(secrets=["s3cret"], header=header, body=body, now=now)
    assert caught.value.status_code == 401
    assert caught.value.detail["X-Accord-Signature"] == problem
