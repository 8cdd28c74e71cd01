"""Idempotency-Key on creates: replay, a different body refused, 24 h expiry, failures that do not poison
the key, and one effect when many requests with one key arrive at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from accord.core.idempotency import idempotency_records_purge, idempotent_call
from accord.core.models import Event, IdempotencyRecord
from accord.leads.models import Lead
from accord.qualification.models import CriteriaSet


def create_lead(client, body, key):
    return client.post(
        "/api/v1/leads", body, content_type="application/json", headers={"Idempotency-Key": key}
    )


def create_draft(client, body, key):
    return client.post(
        "/api/v1/criteria", body, content_type="application/json", headers={"Idempotency-Key": key}
    )


@pytest.mark.django_db
def test_a_criteria_draft_created_twice_with_one_key_is_made_once(personas, api_client_for):
    client = api_client_for(personas.mona)
    first = create_draft(client, {"name": "Spring"}, "d-1")
    again = create_draft(client, {"name": "Spring"}, "d-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert CriteriaSet.objects.count() == 1


@pytest.mark.django_db
def test_a_replay_is_the_first_response_byte_for_byte(personas, api_client_for):
    """PostgreSQL's jsonb would hand the body back with its keys reordered."""
    client = api_client_for(personas.mona)
    body = {
        "email": "jurgen@acme.com",
        "first_name": "Jürgen",
        "company": "Acme",
        "custom": {"zeta": "1", "alpha": "2"},
    }
    first = create_lead(client, body, "l-bytes")
    again = create_lead(client, body, "l-bytes")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["a\x00b", "tab\tkey", "line\nbreak"])
def test_a_key_with_a_control_character_is_refused_naming_the_header(personas, api_client_for, key):
    from accord.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as refused:
        idempotent_call(scope="s", key=key, body={}, call=lambda: (201, {}))
    assert refused.value.status_code == 422 and refused.value.detail == {
        "Idempotency-Key": "control character"
    }
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_refused_naming_the_header(personas, api_client_for):
    client = api_client_for(personas.mona)
    create_draft(client, {"name": "Spring"}, "d-2")
    refused = create_draft(client, {"name": "Autumn"}, "d-2")
    assert refused.status_code == 422
    assert "Idempotency-Key" in refused.json()["message"]
    assert refused.json()["detail"] == {"Idempotency-Key": "reused with a different body"}
    assert CriteriaSet.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_caller(personas, api_client_for):
    create_draft(api_client_for(personas.mona), {"name": "Spring"}, "shared")
    assert create_draft(api_client_for(personas.sam), {"name": "Autumn"}, "shared").status_code == 201
    assert CriteriaSet.objects.count() == 2


@pytest.mark.django_db
def test_a_key_expires_after_the_ttl(personas, api_client_for, settings):
    settings.ACCORD_IDEMPOTENCY_TTL_HOURS = 24
    client = api_client_for(personas.mona)
    with time_machine.travel("2026-03-10 10:00Z", tick=False) as clock:
        create_draft(client, {"name": "Spring"}, "d-3")
        clock.shift(timedelta(hours=23, minutes=59))
        assert create_draft(client, {"name": "Spring"}, "d-3").headers.get("Idempotent-Replayed") == "true"
        clock.shift(timedelta(minutes=2))
        again = create_draft(client, {"name": "Autumn"}, "d-3")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert CriteriaSet.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_request_does_not_poison_its_key(personas, api_client_for):
    client = api_client_for(personas.mona)
    bad = create_draft(client, {"based_on": 999_999}, "d-4")
    assert bad.status_code == 404
    assert not IdempotencyRecord.objects.exists()
    assert create_draft(client, {"name": "Fixed"}, "d-4").status_code == 201


@pytest.mark.django_db
def test_a_touch_logged_twice_with_one_key_is_logged_once(personas, api_client_for):
    from accord.routing.tests.factories import make_lead
    from accord.sla.models import Touch
    from accord.sla.services import sla_start_for_assignment

    lead = make_lead(owner=personas.bob)
    sla_start_for_assignment(lead=lead, assigned_at=timezone.now())
    client = api_client_for(personas.bob)
    url = f"/api/v1/leads/{lead.pk}/touches"
    first = client.post(
        url, {"kind": "call"}, content_type="application/json", headers={"Idempotency-Key": "t-1"}
    )
    again = client.post(
        url, {"kind": "call"}, content_type="application/json", headers={"Idempotency-Key": "t-1"}
    )
    assert first.status_code == again.status_code == 201, first.content
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert Touch.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db
def test_an_overlong_key_is_refused(personas, api_client_for):
    response = create_draft(api_client_for(personas.mona), {"name": "x"}, "k" * 256)
    assert response.status_code == 422 and response.json()["detail"] == {"Idempotency-Key": "too long"}


@pytest.mark.django_db
def test_an_integrity_error_inside_the_call_is_not_mistaken_for_a_taken_key():
    from django.db import IntegrityError

    def call():
        raise IntegrityError("a constraint of the create itself")

    with pytest.raises(IntegrityError):
        idempotent_call(scope="t", key="k", body={}, call=call)
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_expired_records_are_purged(settings):
    with time_machine.travel("2026-03-10 10:00Z", tick=False) as clock:
        idempotent_call(scope="t", key="old", body={}, call=lambda: (201, {}))
        clock.shift(timedelta(hours=25))
        idempotent_call(scope="t", key="new", body={}, call=lambda: (201, {}))
        assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite"
    and connection.creation.is_in_memory_db(connection.settings_dict["TEST"].get("NAME") or ":memory:"),
    reason="threads need a database file",
)
def test_twenty_requests_with_one_key_at_once_make_one_lead(personas):
    from accord.people.services import api_token_create

    raw, _ = api_token_create(user=personas.alice, name="race")
    body = {"email": "race@acme.com", "title": "VP"}
    barrier = threading.Barrier(20)
    responses, errors = [], []

    def send():
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
            barrier.wait()
            responses.append(create_lead(client, body, "same-key"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]
    assert [r.status_code for r in responses] == [201] * 20
    # Equal as JSON; PostgreSQL's jsonb may store the replayed body's keys in another order.
    assert all(r.json() == responses[0].json() for r in responses)
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
    assert Lead.objects.count() == 1
    assert Event.objects.filter(type="lead.intake").count() == 1
