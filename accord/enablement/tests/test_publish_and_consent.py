"""Publishing tells the whole sales team by email (a real SMTP server), and material shared from the
library goes out under the rep's name only with the rep's consent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from accord.campaigns.tests.factories import LeadFactory
from accord.core.errors import AccessDenied, Conflict
from accord.core.events import events_for
from accord.enablement.models import Share
from accord.enablement.services import (
    material_comment_add,
    material_publish,
    material_submit_review,
    share_create,
)
from accord.leads.models import ConsentStatus
from accord.notifications.services import sender_consent_grant

MONDAY = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
SALES = ("bob", "carol", "charlie", "mike", "fiona", "sam")


@pytest.fixture
def published(
    smtp_server, enable, make_material, agreed_brief, django_capture_on_commit_callbacks, run_due_tasks
):
    with time_machine.travel(MONDAY, tick=False):
        material = make_material(brief_id=agreed_brief.pk, product="Claims", vertical="Healthcare")
        material_submit_review(material=material, user=enable.alice)
        material_comment_add(
            material=material, user=enable.bob, body="Lead with the audit trail", quote="fast claims"
        )
        with django_capture_on_commit_callbacks(execute=True):
            material_publish(
                material=material, user=enable.alice, change_note="Answers the audit question reps hear"
            )
        assert "sales_team_notice_task" in run_due_tasks()  # the worker tells the team
    return material


def test_publishing_emails_every_salesperson_what_is_new_and_why(enable, published, smtp_server):
    received = {address for message in smtp_server.messages for address in message.rcpt_tos}
    wanted = {getattr(enable, name).email for name in SALES}
    assert wanted <= received
    assert enable.alice.email not in received and enable.eve.email not in received
    [to_carol] = smtp_server.to(enable.carol.email)
    assert to_carol.subject == "New in the library: Health battlecard"
    assert "Why: Answers the audit question reps hear" in to_carol.body
    assert "Value proposition: Cuts claim handling time in half" in to_carol.body
    assert f"/library/{published.pk}/" in to_carol.body


def test_the_team_notice_is_sent_once_however_often_the_task_runs(enable, published, smtp_server):
    from accord.enablement.models import TeamNotice
    from accord.enablement.services import sales_team_notice_send

    notice = TeamNotice.objects.get(kind="material_published")
    assert notice.sent_at is not None and notice.recipients == len(SALES)
    assert sales_team_notice_send(notice_id=notice.pk) == 0
    assert len(smtp_server.to(enable.bob.email)) == 1


def test_without_consent_a_shared_material_is_not_sent_under_the_reps_name(enable, published, smtp_server):
    lead = LeadFactory(email="pat@clinic.example", owner=enable.bob)
    with time_machine.travel(MONDAY + timedelta(days=1), tick=False):
        share = share_create(material=published, user=enable.bob, lead_id=lead.pk, send_email=True)
    to_lead = smtp_server.to("pat@clinic.example")
    assert len(to_lead) == 1
    under_bobs_name = [
        m for m in to_lead if enable.bob.email in m.mail_from or enable.bob.email in str(m.message["From"])
    ]
    assert under_bobs_name == []
    assert to_lead[0].mail_from == settings.DEFAULT_FROM_EMAIL
    assert share.under_rep_name is False and "has not agreed" in share.sender_reason
    emailed = [e for e in events_for(lead) if e.type == "material.emailed"]
    assert emailed[0].payload["under_rep_name"] is False


def test_with_consent_it_goes_out_under_the_reps_name_and_the_share_says_so(
    enable, published, smtp_server, client_for
):
    sender_consent_grant(user=enable.bob)
    lead = LeadFactory(email="sam@clinic.example", owner=enable.bob)
    share = share_create(material=published, user=enable.bob, lead_id=lead.pk, send_email=True)
    [message] = smtp_server.to("sam@clinic.example")
    assert enable.bob.email in str(message.message["From"])
    assert share.under_rep_name is True and "agreed on" in share.sender_reason
    page = client_for(enable.bob).get(f"/library/{published.pk}/").content.decode()
    assert "emailed under your name" in page
    preview = (
        client_for(enable.bob).get("/library/sender", {"lead_email": "sam@clinic.example"}).content.decode()
    )
    assert "Goes out under" in preview and "agreed on" in preview
    preferences = client_for(enable.bob).get("/notifications/preferences/").content.decode()
    assert "shared from the library" in preferences


def test_a_rep_shares_only_with_leads_they_work_and_never_to_someone_who_unsubscribed(
    enable, published, smtp_server
):
    carols = LeadFactory(email="c@clinic.example", owner=enable.carol)
    with pytest.raises(AccessDenied):
        share_create(material=published, user=enable.bob, lead_id=carols.pk)
    gone = LeadFactory(email="gone@clinic.example", owner=enable.bob, consent=ConsentStatus.DENIED)
    with pytest.raises(Conflict, match="may not be emailed"):
        share_create(material=published, user=enable.bob, lead_id=gone.pk, send_email=True)
    assert smtp_server.to("gone@clinic.example") == []
    assert Share.objects.filter(lead=gone).count() == 0
