"""The preferences page: email mode per kind, the mail-in address, copies and sender consent."""

from __future__ import annotations

from accord.core.notify import notification_kinds
from accord.leads.models import Account
from accord.notifications.mail_in import mail_in_address_for
from accord.notifications.models import (
    CommunicationCopyRequest,
    EmailMode,
    NotificationKind,
    NotificationPreference,
    SenderConsent,
)


def test_the_page_shows_every_kind_with_my_choice_and_my_mail_in_address(personas, client_for):
    NotificationPreference.objects.create(
        user=personas.bob, kind=NotificationKind.SLA_BREACH, mode=EmailMode.OFF
    )
    page = client_for(personas.bob).get("/notifications/preferences/")
    assert page.status_code == 200
    html = page.content.decode()
    for _kind, label in notification_kinds():
        assert label in html
    assert 'name="mode_sla_breach" value="off" checked' in html
    assert 'name="mode_sla_reminder" value="immediate" checked' in html
    assert mail_in_address_for(user=personas.bob) in html


def test_saving_sets_the_mode_of_each_kind(personas, client_for):
    response = client_for(personas.bob).post(
        "/notifications/preferences/save", {"mode_sla_reminder": "digest", "mode_lead_assigned": "off"}
    )
    assert response.status_code == 302
    modes = dict(NotificationPreference.objects.filter(user=personas.bob).values_list("kind", "mode"))
    assert modes == {"sla_reminder": "digest", "lead_assigned": "off"}


def test_an_unknown_mode_is_refused_with_a_message(personas, client_for):
    client = client_for(personas.bob)
    client.post("/notifications/preferences/save", {"mode_sla_reminder": "loud"})
    assert not NotificationPreference.objects.exists()
    assert "Unknown mode" in client.get("/notifications/preferences/").content.decode()


def test_a_rep_asks_for_copies_and_consents_from_the_page_and_withdraws(personas, client_for):
    mercy = Account.objects.create(name="Mercy Hospital", name_key="mercy", owner=personas.bob)
    client = client_for(personas.bob)
    assert "Mercy Hospital" in client.get("/notifications/preferences/").content.decode()
    client.post("/notifications/preferences/copies", {"scope": "account", "account": mercy.pk})
    request = CommunicationCopyRequest.objects.get(user=personas.bob)
    assert request.account == mercy
    client.post("/notifications/preferences/consents", {"scope": "all_my_accounts"})
    consent = SenderConsent.objects.get(user=personas.bob)
    assert (
        client_for(personas.carol)
        .post(f"/notifications/preferences/consents/{consent.pk}/revoke")
        .status_code
        == 404
    )
    client.post(f"/notifications/preferences/consents/{consent.pk}/revoke")
    client.post(f"/notifications/preferences/copies/{request.pk}/remove")
    consent.refresh_from_db()
    assert consent.revoked_at is not None and not CommunicationCopyRequest.objects.exists()


def test_the_page_needs_a_signed_in_user(client):
    assert client.get("/notifications/preferences/").status_code == 302
