"""POST /api/v1/hooks/leads/{source_key}: leads from other systems, signed and deduplicated by event id."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from accord.core.models import Event
from accord.core.signing import SIGNATURE_HEADER, signature_make
from accord.leads.models import Lead, Source, SourceKind
from accord.webhooks.models import ExternalEvent

SECRET = "sk_" + "s" * 40
OLD_SECRET = "sk_" + "o" * 40


@pytest.fixture(autouse=True)
def fresh_criteria_cache():
    from accord.qualification import selectors

    selectors._active_cache.clear()  # ids repeat between tests once a transaction rolls back
    yield
    selectors._active_cache.clear()


@pytest.fixture
def source(db):
    return Source.objects.create(name="Partner CRM", kind=SourceKind.API, rate_limit_per_minute=1_000_000)


@pytest.fixture
def signed_source(db):
    return Source.objects.create(
        name="Signed CRM",
        kind=SourceKind.API,
        rate_limit_per_minute=1_000_000,
        require_signature=True,
        signing_secret=SECRET,
    )


def post(
    source, body: dict, *, event_id: str | None = "evt-1", secret: str | None = None, client=None, **headers
):
    raw = json.dumps(body).encode()
    if event_id is not None:
        headers["X-Event-Id"] = event_id
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature_make(secret, raw)
    return (client or Client()).post(
        f"/api/v1/hooks/leads/{source.public_key}", raw, content_type="application/json", headers=headers
    )


VERA = {"email": "vera@acme.com", "first_name": "Vera", "title": "VP Sales", "company": "Acme"}


@pytest.mark.django_db
def test_a_new_event_makes_a_lead_and_a_redelivery_replays_the_answer(source):
    first = post(source, VERA)
    again = post(source, VERA)
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["lead_id"] == first.json()["lead_id"] == Lead.objects.get().pk
    assert Event.objects.filter(type="lead.intake").count() == 1
    assert ExternalEvent.objects.get().external_id == "evt-1"


@pytest.mark.django_db
def test_the_event_id_may_come_in_the_body(source):
    assert post(source, {**VERA, "event_id": "b-1"}, event_id=None).status_code == 201
    assert post(source, {**VERA, "event_id": "b-1"}, event_id=None).json()["duplicate"] is True
    assert ExternalEvent.objects.get().external_id == "b-1"


@pytest.mark.django_db
def test_a_new_event_id_for_the_same_person_updates_the_lead(source):
    post(source, VERA, event_id="a")
    second = post(source, {**VERA, "phone": "+1 555 0100"}, event_id="b")
    assert second.status_code == 200 and second.json()["created"] is False
    assert Lead.objects.count() == 1 and Event.objects.filter(type="lead.intake").count() == 2


@pytest.mark.django_db
def test_an_event_without_an_id_is_refused(source):
    response = post(source, VERA, event_id=None)
    assert response.status_code == 422 and response.json()["detail"] == {"X-Event-Id": "missing"}
    assert not Lead.objects.exists()


@pytest.mark.django_db
def test_the_same_event_id_with_a_different_body_is_refused_not_dropped(source):
    post(source, VERA)
    response = post(source, {**VERA, "email": "other@acme.com"})
    assert response.status_code == 422
    assert response.json()["detail"] == {"X-Event-Id": "reused with a different body"}


@pytest.mark.django_db
def test_a_failed_event_does_not_poison_its_id(source):
    bad = post(source, {"email": "not-an-email"})
    assert bad.status_code == 422
    assert not ExternalEvent.objects.exists()
    assert post(source, VERA).status_code == 201


@pytest.mark.django_db
def test_an_unknown_source_key_is_404(source):
    response = Client().post("/api/v1/hooks/leads/src_nope", b"{}", content_type="application/json")
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_source_key_with_a_nul_byte_is_an_unknown_key(source):
    response = Client().post(
        f"/api/v1/hooks/leads/{source.public_key}%00", b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["detail"] == {"source_key": "unknown"}


@pytest.mark.django_db
def test_a_signed_source_refuses_unsigned_and_wrongly_signed_posts(signed_source):
    assert post(signed_source, VERA).status_code == 401
    assert post(signed_source, VERA, secret="sk_wrong").status_code == 401
    assert not Lead.objects.exists()
    assert post(signed_source, VERA, secret=SECRET).status_code == 201


@pytest.mark.django_db
def test_the_previous_secret_works_until_its_overlap_ends(signed_source):
    signed_source.previous_signing_secret = OLD_SECRET
    signed_source.previous_secret_valid_until = timezone.now() + timedelta(hours=1)
    signed_source.save()
    assert post(signed_source, VERA, secret=OLD_SECRET, event_id="e1").status_code == 201
    signed_source.previous_secret_valid_until = timezone.now() - timedelta(seconds=1)
    signed_source.save()
    assert post(signed_source, VERA, secret=OLD_SECRET, event_id="e2").status_code == 401


@pytest.mark.django_db
def test_the_rate_limit_answers_429_with_retry_after(source):
    source.rate_limit_per_minute = 1
    source.save()
    post(source, VERA, event_id="r1")
    limited = post(source, VERA, event_id="r2")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1


@pytest.mark.django_db
def test_an_oversized_post_is_413(source):
    source.max_body_bytes = 1024
    source.save()
    assert post(source, {**VERA, "message": "x" * 2000}).status_code == 413


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite"
    and connection.creation.is_in_memory_db(connection.settings_dict["TEST"].get("NAME") or ":memory:"),
    reason="threads need a database file",
)
def test_one_event_delivered_a_thousand_times_fifty_at_once_has_one_effect(
    personas, signed_source, receiver, make_endpoint, run_due_tasks
):
    from accord.notifications.models import Notification
    from accord.qualification.models import CriteriaRule, CriteriaSet, CriteriaStatus
    from accord.routing.selectors import ASSIGNED
    from accord.routing.tests.factories import active_rules
    from accord.webhooks.models import DeliveryStatus, WebhookDelivery

    criteria = CriteriaSet.objects.create(
        version=1, status=CriteriaStatus.ACTIVE, mql_threshold=60, activated_at=timezone.now()
    )
    CriteriaRule.objects.create(
        criteria_set=criteria,
        position=0,
        kind="fit",
        field="title",
        operator="contains",
        value="VP",
        points=70,
    )
    active_rules({"target_user": personas.bob})
    make_endpoint(receiver.url, "lead.created", "lead.assigned")
    raw = json.dumps(VERA).encode()
    headers = {"X-Event-Id": "hubspot-123", SIGNATURE_HEADER: signature_make(SECRET, raw)}
    url = f"/api/v1/hooks/leads/{signed_source.public_key}"
    threads, per_thread = 50, 20
    barrier = threading.Barrier(threads)
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def deliver() -> None:
        client = Client()
        try:
            barrier.wait()
            for _ in range(per_thread):
                response = client.post(url, raw, content_type="application/json", headers=headers)
                if response.status_code == 409:  # 'in progress': a sender retries shortly
                    time.sleep(0.05)
                    response = client.post(url, raw, content_type="application/json", headers=headers)
                with lock:
                    statuses.append(response.status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=deliver) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert not errors, errors[0]
    assert len(statuses) == threads * per_thread
    assert set(statuses) == {201}, {s: statuses.count(s) for s in set(statuses)}

    lead = Lead.objects.get()
    assert Event.objects.filter(type="lead.intake").count() == 1
    assert ExternalEvent.objects.count() == 1
    run_due_tasks()
    lead.refresh_from_db()
    assert lead.owner == personas.bob
    assert Event.objects.filter(type=ASSIGNED, subject_id=lead.pk).count() == 1
    assert Notification.objects.filter(lead=lead).count() == 1
    assert sorted(WebhookDelivery.objects.values_list("event_type", "status")) == [
        ("lead.assigned", DeliveryStatus.SUCCEEDED),
        ("lead.created", DeliveryStatus.SUCCEEDED),
    ]
    assert sorted(r.json()["type"] for r in receiver.requests) == ["lead.assigned", "lead.created"]


def test_a_body_nested_a_thousand_deep_is_a_400_json_not_a_500(source):
    raw = b'{"email": "vera@acme.com", "x": ' + b"{" * 1000 + b"}" * 1000 + b"}"
    response = Client(raise_request_exception=False).post(
        f"/api/v1/hooks/leads/{source.public_key}",
        raw,
        content_type="application/json",
        headers={"X-Event-Id": "e"},
    )
    assert response.status_code == 400
    assert "levels deep" in response.json()["message"]
    assert not Lead.objects.exists()


def test_a_signed_body_with_a_huge_number_is_a_400_json(signed_source):
    raw = b'{"email": "vera@acme.com", "company_size": 1e999}'
    headers = {"X-Event-Id": "e", SIGNATURE_HEADER: signature_make(SECRET, raw)}
    response = Client(raise_request_exception=False).post(
        f"/api/v1/hooks/leads/{signed_source.public_key}",
        raw,
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 400
    assert "too large" in response.json()["message"]
    assert not ExternalEvent.objects.exists()
