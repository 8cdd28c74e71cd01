"""Webhook pages and API: admins only, the secret shown once, test events and 'retry now'."""

from __future__ import annotations

import pytest

from accord.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", ["alice", "bob", "mike", "sam", "eve"])
def test_the_pages_are_for_admins_only(who, personas, client_for):
    client = client_for(getattr(personas, who))
    assert client.get("/webhooks/").status_code == 404
    assert client.get("/webhooks/new/").status_code == 404


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    assert client.get("/webhooks/").status_code == 302


def test_an_admin_creates_an_endpoint_and_sees_the_secret_once(personas, client_for, receiver):
    client = client_for(personas.root)
    response = client.post(
        "/webhooks/new/",
        {
            "name": "CRM",
            "url": receiver.url,
            "event_types": ["lead.assigned", "deal.won"],
            "allow_private": "on",
        },
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert endpoint.event_types == ["deal.won", "lead.assigned"] and endpoint.allow_private
    for url in ("/webhooks/", f"/webhooks/{endpoint.pk}/"):
        page = client.get(url)
        assert page.status_code == 200 and endpoint.secret not in page.content.decode()


def test_the_form_refuses_a_loopback_target_without_the_flag(personas, client_for):
    response = client_for(personas.root).post(
        "/webhooks/new/", {"name": "CRM", "url": "http://127.0.0.1:8000/x", "event_types": ["lead.assigned"]}
    )
    assert response.status_code == 422
    assert "loopback" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_send_test_event_and_retry_now(
    personas, client_for, receiver, make_endpoint, run_due_tasks, django_capture_on_commit_callbacks
):
    endpoint = make_endpoint(receiver.url, "lead.assigned")
    client = client_for(personas.root)
    receiver.answer(500)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/webhooks/{endpoint.pk}/test/").status_code == 302
    run_due_tasks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 500
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert "webhook.test" in page and "Retry now" in page

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/webhooks/deliveries/{delivery.pk}/retry/").status_code == 302
    run_due_tasks()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert len(receiver.requests) == 2


def test_the_api_lists_and_creates_endpoints_for_admins(personas, api_client_for, receiver):
    client = api_client_for(personas.root)
    body = {"name": "CRM", "url": receiver.url, "event_types": ["lead.assigned"], "allow_private": True}
    created = client.post(
        "/api/v1/webhooks", body, content_type="application/json", headers={"Idempotency-Key": "ep-1"}
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    again = client.post(
        "/api/v1/webhooks", body, content_type="application/json", headers={"Idempotency-Key": "ep-1"}
    )
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1
    listed = client.get("/api/v1/webhooks").json()
    assert [e["name"] for e in listed] == ["CRM"] and "secret" not in listed[0]


def test_the_api_refuses_non_admins_and_private_targets(personas, api_client_for):
    body = {"name": "CRM", "url": "http://10.0.0.8/x", "event_types": ["lead.assigned"]}
    assert (
        api_client_for(personas.alice)
        .post("/api/v1/webhooks", body, content_type="application/json")
        .status_code
        == 403
    )
    assert api_client_for(personas.alice).get("/api/v1/webhooks").status_code == 403
    refused = api_client_for(personas.root).post("/api/v1/webhooks", body, content_type="application/json")
    assert refused.status_code == 422 and "private" in refused.json()["message"]


def test_unknown_event_types_are_refused(personas, api_client_for, receiver):
    body = {"name": "CRM", "url": receiver.url, "event_types": ["lead.exploded"], "allow_private": True}
    refused = api_client_for(personas.root).post("/api/v1/webhooks", body, content_type="application/json")
    assert refused.status_code == 422 and "lead.exploded" in refused.json()["message"]
