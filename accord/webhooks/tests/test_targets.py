"""The SSRF guard: private, loopback, link-local and friends are refused unless an admin allows them."""

from __future__ import annotations

import socket

import pytest

from accord.core.errors import ApplicationError
from accord.webhooks.models import DeliveryStatus
from accord.webhooks.services import webhook_delivery_attempt, webhook_endpoint_create, webhook_test_send
from accord.webhooks.targets import target_check


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8080/hook",
        "http://10.0.0.5/hook",
        "http://172.16.3.4/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://100.64.0.1/hook",
        "http://localhost:8000/hook",
    ],
)
def test_a_target_inside_the_network_is_refused(url):
    with pytest.raises(ApplicationError) as refused:
        target_check(url, allow_private=False)
    assert refused.value.status_code == 422
    assert "only an admin may allow" in refused.value.message


def test_a_hostname_resolving_to_loopback_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": ["127.0.0.1"]})
    with pytest.raises(ApplicationError, match=r"127\.0\.0\.1, a loopback address"):
        target_check("https://hooks.example.com/x", allow_private=False)


def test_every_address_a_name_resolves_to_is_checked(monkeypatch):
    fake_dns(monkeypatch, {"mixed.example.com": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(ApplicationError, match=r"10\.1\.2\.3"):
        target_check("https://mixed.example.com/x", allow_private=False)


def test_a_public_address_passes_and_is_the_one_connected_to(monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    target = target_check("https://hooks.example.com:8443/in?x=1", allow_private=False)
    assert (target.address, target.host, target.port, target.path) == (
        "93.184.216.34",
        "hooks.example.com",
        8443,
        "/in?x=1",
    )


def test_an_admin_may_allow_a_private_target():
    assert target_check("http://127.0.0.1:9999/x", allow_private=True).address == "127.0.0.1"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("ftp://example.com/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://example.com/", "http:// or https://"),
        ("https://user:pw@example.com/x", "user name or password"),
        ("https://token@example.com/x", "user name or password"),
        ("https:///x", "no host"),
    ],
)
def test_odd_schemes_and_credentials_are_refused(url, reason):
    with pytest.raises(ApplicationError, match=reason):
        target_check(url, allow_private=True)


@pytest.mark.django_db
def test_an_endpoint_to_a_private_address_cannot_be_made_without_the_flag(personas):
    with pytest.raises(ApplicationError, match="loopback"):
        webhook_endpoint_create(
            actor=personas.root, name="x", url="http://[::1]:8000/", event_types=["lead.assigned"]
        )


@pytest.mark.django_db
def test_a_name_that_turns_private_after_creation_is_refused_at_delivery(
    personas, monkeypatch, django_capture_on_commit_callbacks
):
    fake_dns(monkeypatch, {"rebind.example.com": ["93.184.216.34"]})
    endpoint = webhook_endpoint_create(
        actor=personas.root, name="x", url="http://rebind.example.com/hook", event_types=["lead.assigned"]
    )
    with django_capture_on_commit_callbacks(execute=False):
        delivery = webhook_test_send(actor=personas.root, endpoint=endpoint)
    fake_dns(monkeypatch, {"rebind.example.com": ["169.254.169.254"]})

    assert webhook_delivery_attempt(delivery_id=delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "link-local" in delivery.last_error and delivery.last_status_code is None
