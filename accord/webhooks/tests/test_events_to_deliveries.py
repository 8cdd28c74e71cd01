"""Events appended to the log become deliveries to subscribed endpoints once their transaction commits."""

from __future__ import annotations

import pytest
from django.db import transaction

from accord.core import events
from accord.core.events import event_record, events_bulk_append
from accord.core.models import Event
from accord.routing.tests.factories import make_lead
from accord.webhooks.models import DeliveryStatus, WebhookDelivery
from accord.webhooks.services import webhook_deliveries_create_for_events

pytestmark = pytest.mark.django_db


def test_a_subscribed_event_is_delivered_after_commit(
    personas, receiver, make_endpoint, run_due_tasks, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(receiver.url, "lead.assigned")
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True):
        event = event_record(type="lead.assigned", subject=lead, payload={"owner_id": personas.bob.pk})
        event_record(type="lead.touched", subject=lead)  # not subscribed

    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.endpoint, delivery.event_id, delivery.event_type) == (
        endpoint,
        event.pk,
        "lead.assigned",
    )
    assert run_due_tasks() == ["webhook_delivery_send_task"]
    [received] = receiver.requests
    assert received.json() == {
        "id": event.pk,
        "type": "lead.assigned",
        "occurred_at": event.occurred_at.isoformat(),
        "subject": {"type": "lead", "id": lead.pk},
        "payload": {"owner_id": personas.bob.pk},
    }
    assert received.headers["X-Accord-Event-Id"] == str(event.pk)


def test_nothing_is_delivered_for_an_event_that_was_rolled_back(
    personas, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url, "lead.assigned")
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                event_record(type="lead.assigned", subject=lead)
                raise RuntimeError("the assignment failed")
        except RuntimeError:
            pass
    assert not WebhookDelivery.objects.exists()


def test_the_hand_off_twice_still_makes_one_delivery(
    personas, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    from accord.webhooks.services import webhook_deliveries_create_for_events

    make_endpoint(receiver.url, "lead.assigned")
    with django_capture_on_commit_callbacks(execute=True):
        event = event_record(type="lead.assigned", subject=make_lead())
        webhook_deliveries_create_for_events(event_ids=[event.pk])
    assert WebhookDelivery.objects.count() == 1


def test_derived_types_lead_created_and_lead_qualified(
    personas, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    make_endpoint(receiver.url, "lead.created", "lead.qualified")
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="lead.intake", subject=lead, payload={"created": True}, stage="mql")
        event_record(type="lead.intake", subject=lead, payload={"created": False})
    assert sorted(WebhookDelivery.objects.values_list("event_type", flat=True)) == [
        "lead.created",
        "lead.qualified",
    ]


def test_bulk_appended_events_are_delivered_too(
    personas, receiver, make_endpoint, run_due_tasks, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    make_endpoint(receiver.url, "lead.scored")
    leads = [make_lead() for _ in range(5)]
    with django_capture_on_commit_callbacks(execute=True):
        events_bulk_append(
            [
                Event(
                    type="lead.scored",
                    subject_type="lead",
                    subject_id=lead.pk,
                    occurred_at=timezone.now(),
                    payload={"score": 70},
                )
                for lead in leads
            ]
        )
    assert WebhookDelivery.objects.count() == 5
    assert run_due_tasks() == ["webhook_deliveries_send_task"]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}
    assert sorted(r.json()["subject"]["id"] for r in receiver.requests) == sorted(lead.pk for lead in leads)


def test_paused_endpoints_and_other_types_get_nothing(
    personas, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    paused = make_endpoint(receiver.url, "lead.assigned", name="paused")
    paused.is_active = False
    paused.save()
    make_endpoint(receiver.url, "deal.won", name="deals")
    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="lead.assigned", subject=make_lead())
    assert not WebhookDelivery.objects.exists()


def test_with_no_endpoints_the_hand_off_costs_one_query(
    personas, django_capture_on_commit_callbacks, django_assert_num_queries
):
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event_record(type="lead.assigned", subject=lead)
    with django_assert_num_queries(1):
        for callback in callbacks:
            callback()


def test_the_privacy_erasure_hook_blanks_a_subjects_payloads(
    personas, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    from accord.webhooks.services import webhook_payloads_redact

    make_endpoint(receiver.url, "lead.assigned")
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True):
        event_record(type="lead.assigned", subject=lead, payload={"email": "pat@example.com"})
    assert webhook_payloads_redact(subject_type="lead", subject_ids=[lead.pk]) == 1
    assert WebhookDelivery.objects.get().payload == {"redacted": True}


def test_endpoints_for_other_types_cost_the_hand_off_one_query(
    personas, receiver, make_endpoint, django_capture_on_commit_callbacks, django_assert_num_queries
):
    make_endpoint(receiver.url, "deal.won")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event_record(type="lead.touched", subject=make_lead())
    with django_assert_num_queries(1):
        for callback in callbacks:
            callback()


def test_housekeeping_re_enqueues_lost_deliveries_and_forgets_old_bookkeeping(
    personas, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from accord.core.idempotency import idempotent_call
    from accord.webhooks.models import ExternalEvent
    from accord.webhooks.services import webhook_test_send, webhooks_housekeeping

    endpoint = make_endpoint(receiver.url, "lead.assigned")
    with time_machine.travel(timezone.now() - timedelta(days=31), tick=False):
        from accord.leads.models import Source

        ExternalEvent.objects.create(
            source=Source.objects.create(name="Old"), external_id="e", body_hash="h", status_code=201
        )
        idempotent_call(scope="t", key="k", body={}, call=lambda: (201, {}))
    ten_minutes_ago = time_machine.travel(timezone.now() - timedelta(minutes=10), tick=False)
    with ten_minutes_ago, django_capture_on_commit_callbacks(execute=False):  # the task is lost
        lost = webhook_test_send(actor=personas.root, endpoint=endpoint)

    with django_capture_on_commit_callbacks(execute=True):
        done = webhooks_housekeeping()

    assert done == {
        "deliveries_enqueued": 1,
        "idempotency_records_purged": 1,
        "external_events_purged": 1,
        "deliveries_purged": 0,
    }
    assert DBTaskResult.objects.filter(args_kwargs__args=[lost.pk]).exists()


def test_the_webhooks_app_is_the_event_logs_registered_subscriber(make_endpoint, receiver):
    assert [deliver for deliver, _ in events._subscribers] == [webhook_deliveries_create_for_events]
    assert events.events_have_listeners() is False  # no active endpoint: bulk writers may skip the hand-off
    make_endpoint(receiver.url, "lead.assigned")
    assert events.events_have_listeners() is True


def test_events_handed_over_together_skip_those_rolled_back(
    personas, receiver, make_endpoint, django_capture_on_commit_callbacks
):
    from accord.core.events import events_handed_over_together

    make_endpoint(receiver.url, "lead.assigned")
    lead = make_lead()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, events_handed_over_together():
        kept = event_record(type="lead.assigned", subject=lead)
        try:
            with transaction.atomic():
                event_record(type="lead.assigned", subject=lead)
                raise RuntimeError("the second assignment failed")
        except RuntimeError:
            pass
        with events_handed_over_together():  # nested: the outer block hands these over
            later = event_record(type="lead.assigned", subject=lead)
    # One hand-over for the block (the other callback is the deliveries' sending, queued by it).
    assert [type(c).__name__ for c in callbacks].count("_Handover") == 1 and len(callbacks) == 2
    assert sorted(WebhookDelivery.objects.values_list("event_id", flat=True)) == [kept.pk, later.pk]
