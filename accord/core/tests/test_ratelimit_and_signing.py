"""Rate windows shared through the database, and timestamped HMAC signatures."""

from __future__ import annotations

import pytest

from accord.core.errors import ApplicationError
from accord.core.ratelimit import rate_limit_hit
from accord.core.signing import signature_make, signature_verify


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
