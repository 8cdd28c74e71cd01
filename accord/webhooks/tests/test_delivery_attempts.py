"""Sending to a real local HTTP server: signatures, backoff, no retry on 4xx, Retry-After, giving up."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accord.core.errors import ApplicationError
from accord.core.signing import SIGNATURE_HEADER, signature_verify
from accord.webhooks.models import DeliveryStatus, WebhookDelivery
from accord.webhooks.services import retry_delay, webhook_delivery_attempt, webhook_test_send

pytestmark = pytest.mark.django_db

START = "2026-03-10 10:00Z"


@pytest.fixture(autouse=True)
def clock():
    """Every test starts at START with the clock standing still (fixtures included)."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def delivery(personas, receiver, make_endpoint, django_capture_on_commit_callbacks):
    endpoint = make_endpoint(receiver.url, "lead.assigned")
    with django_capture_on_commit_callbacks(execute=False):
        return webhook_test_send(actor=personas.root, endpoint=endpoint)


def attempt(delivery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        status = webhook_delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return status


def test_a_delivery_is_signed_with_the_endpoint_secret_and_names_event_and_delivery(
    delivery, receiver, django_capture_on_commit_callbacks
):
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.SUCCEEDED

    [received] = receiver.requests
    assert received.path == "/hooks/accord"
    assert received.headers["Content-Type"] == "application/json"
    signature_verify(
        secrets=[delivery.endpoint.secret],
        header=received.headers[SIGNATURE_HEADER],
        body=received.body,
        now=timezone.now().timestamp(),
    )
    with pytest.raises(ApplicationError):
        signature_verify(
            secrets=["whsec_wrong"],
            header=received.headers[SIGNATURE_HEADER],
            body=received.body,
            now=timezone.now().timestamp(),
        )
    assert received.headers["X-Accord-Delivery"] == str(delivery.pk)
    assert received.headers["X-Accord-Event-Id"] == f"test_{delivery.pk}"
    assert set(received.json()) == {"id", "type", "occurred_at", "subject", "payload"}
    assert delivery.attempts == 1 and delivery.last_status_code == 200 and delivery.delivered_at is not None


def test_a_delivery_that_succeeded_is_not_sent_again(delivery, receiver, django_capture_on_commit_callbacks):
    attempt(delivery, django_capture_on_commit_callbacks)
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.SUCCEEDED
    assert len(receiver.requests) == 1 and delivery.attempts == 1


def test_a_500_is_retried_after_1_then_2_then_4_minutes_with_jitter(
    delivery, receiver, clock, django_capture_on_commit_callbacks
):
    receiver.answer(500, 500, 503, 200)
    waits = []
    for _ in range(3):
        assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.PENDING
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
        queued = DBTaskResult.objects.filter(args_kwargs__args=[delivery.pk]).order_by("-enqueued_at").first()
        assert queued is not None and queued.run_after == delivery.next_attempt_at
        clock.move_to(delivery.next_attempt_at)
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.SUCCEEDED
    for wait, minutes in zip(waits, (1, 2, 4), strict=True):
        assert minutes * 60 * 0.9 <= wait <= minutes * 60 * 1.1
    assert delivery.attempts == 4 and len(receiver.requests) == 4


def test_an_attempt_that_is_not_due_yet_sends_nothing(delivery, receiver, django_capture_on_commit_callbacks):
    receiver.answer(500)
    attempt(delivery, django_capture_on_commit_callbacks)
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.PENDING
    assert len(receiver.requests) == 1


def test_the_wait_doubles_up_to_six_hours():
    waits = [retry_delay(n) for n in range(1, 15)]
    assert all(w <= timedelta(hours=6) for w in waits)
    assert waits[-1] >= timedelta(hours=6) * 0.9
    assert timedelta(minutes=7.2) <= waits[3] <= timedelta(minutes=8.8)


@pytest.mark.parametrize("code", [400, 401, 404, 410, 422])
def test_a_4xx_answer_is_not_retried(code, delivery, receiver, django_capture_on_commit_callbacks):
    receiver.answer(code)
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.FAILED
    assert delivery.last_status_code == code and delivery.next_attempt_at is None
    assert not DBTaskResult.objects.filter(args_kwargs__args=[delivery.pk]).exists()


def test_a_408_is_retried(delivery, receiver, django_capture_on_commit_callbacks):
    receiver.answer(408)
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.PENDING


def test_a_429_waits_as_long_as_retry_after_says(delivery, receiver, django_capture_on_commit_callbacks):
    receiver.answer((429, {"Retry-After": "900"}))
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.PENDING
    assert delivery.next_attempt_at == timezone.now() + timedelta(seconds=900)


def test_a_429_with_an_http_date_retry_after_is_honoured(
    delivery, receiver, django_capture_on_commit_callbacks
):
    receiver.answer((429, {"Retry-After": "Tue, 10 Mar 2026 10:30:00 GMT"}))
    attempt(delivery, django_capture_on_commit_callbacks)
    assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=30)


def test_a_delivery_gives_up_after_three_days_of_failures(
    delivery, receiver, clock, django_capture_on_commit_callbacks
):
    receiver.answer(*[500] * 60)
    statuses = []
    while delivery.status == DeliveryStatus.PENDING:
        clock.move_to(delivery.next_attempt_at)
        statuses.append(attempt(delivery, django_capture_on_commit_callbacks))
    assert statuses[-1] == DeliveryStatus.GAVE_UP
    assert statuses[:-1] == [DeliveryStatus.PENDING] * (len(statuses) - 1)
    assert timezone.now() == delivery.created_at + timedelta(days=3)
    # 1+2+4+...+256 minutes, then every ~6 hours until the three days are up.
    assert 15 <= delivery.attempts <= 25
    assert len(receiver.requests) == delivery.attempts


def test_an_unreachable_receiver_is_retried(personas, make_endpoint, django_capture_on_commit_callbacks):
    endpoint = make_endpoint("http://127.0.0.1:9/nothing-listens", "lead.assigned")
    with django_capture_on_commit_callbacks(execute=False):
        delivery = webhook_test_send(actor=personas.root, endpoint=endpoint)
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.PENDING
    assert delivery.last_status_code is None and "ConnectionRefusedError" in delivery.last_error


def test_a_paused_endpoint_gets_nothing(delivery, receiver, django_capture_on_commit_callbacks):
    delivery.endpoint.is_active = False
    delivery.endpoint.save()
    assert attempt(delivery, django_capture_on_commit_callbacks) == DeliveryStatus.FAILED
    assert receiver.requests == []


def test_the_task_runs_the_attempt(delivery, receiver, run_due_tasks, django_capture_on_commit_callbacks):
    from accord.webhooks.services import deliveries_enqueue

    deliveries_enqueue([delivery.pk])
    assert run_due_tasks() == ["webhook_delivery_send_task"]
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED
