"""The lead page as the place of work: accept, log, reject and notes with @mentions from the page, and a
timeline that says what happened in plain words with names, never ids or codes."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.utils import timezone

from accord.core.events import event_record
from accord.leads.models import Lead, Stage
from accord.notifications.models import Notification
from accord.sla.models import Note
from accord.sla.services import lead_reject, note_add, sla_start_for_assignment, touch_log

pytestmark = pytest.mark.django_db

MONDAY_10 = "2026-03-02 10:00:00+00:00"


@pytest.fixture
def lead(personas):
    with time_machine.travel(MONDAY_10, tick=False):
        lead = Lead.objects.create(
            email="vera@acme.com", email_key="vera@acme.com", first_name="Vera", last_name="Park",
            company="Acme", stage=Stage.MQL, owner=personas.bob,
        )  # fmt: skip
        sla_start_for_assignment(lead=lead, assigned_at=timezone.now())
    return lead


def _page(client, lead) -> str:
    response = client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_owner_accepts_and_logs_from_the_lead_page(personas, client_for, lead):
    client = client_for(personas.bob)
    with time_machine.travel(MONDAY_10, tick=False):
        html = _page(client, lead)
        assert 'id="lead-accept"' in html and "to accept or reject" in html
        assert client.post(f"/leads/{lead.pk}/work/accept").status_code == 302
        lead.refresh_from_db()
        assert lead.stage == Stage.SAL
        html = _page(client, lead)
        assert 'id="lead-accept"' not in html and "make first contact" in html
        client.post(
            f"/leads/{lead.pk}/work/touch",
            {"kind": "call", "outcome": "left_message", "note": "Call back Tue"},
        )
        html = _page(client, lead)
    assert "Call logged by Bob" in html
    assert "Outcome: Left a message" in html and "Note: Call back Tue" in html
    assert "Accepted by Bob" in html


def test_a_teammate_sees_the_lead_but_gets_no_actions_and_a_403_when_posting(personas, client_for, lead):
    client = client_for(personas.carol)
    html = _page(client, lead)
    assert 'id="lead-accept"' not in html and 'id="lead-log"' not in html
    assert 'id="lead-note-add"' in html  # anyone who sees the lead may write a note
    assert client.post(f"/leads/{lead.pk}/work/accept").status_code == 403
    assert client_for(personas.charlie).post(f"/leads/{lead.pk}/work/accept").status_code == 404


def test_a_rejection_with_a_bad_reason_says_so_and_changes_nothing(personas, client_for, lead):
    client = client_for(personas.bob)
    response = client.post(f"/leads/{lead.pk}/work/reject", {"reason": "other", "note": ""}, follow=True)
    assert "Say why in a note" in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL and lead.owner == personas.bob


def test_a_note_tells_the_people_it_names_who_may_see_the_lead(personas, client_for, lead):
    client = client_for(personas.bob)
    response = client.post(
        f"/leads/{lead.pk}/notes", {"body": "@mike can you call their CFO? cc @charlie @nobody"}, follow=True
    )
    html = response.content.decode()
    told = Notification.objects.get(kind="mention")
    assert told.user == personas.mike and told.url == f"/leads/{lead.pk}/#note-{Note.objects.get().pk}"
    assert "Bob" in told.subject and "call their CFO" in told.body
    assert not Notification.objects.filter(user=personas.charlie).exists()  # Team Finance cannot see it
    assert "Not told (they may not see this lead)" in html and "@nobody" in html
    assert "Note by Bob" in html and "Told: Mike" in html


def test_an_empty_note_is_refused(personas, lead):
    from accord.core.errors import ApplicationError

    with pytest.raises(ApplicationError, match="Write something"):
        note_add(lead=lead, user=personas.bob, body="   ")


def test_the_timeline_uses_names_and_words_not_ids_or_codes(personas, client_for, lead):
    with time_machine.travel(MONDAY_10, tick=False):
        event_record(
            type="lead.assigned", subject=lead,
            payload={"owner_id": personas.bob.pk, "owner": "Bob", "reason": "rule_team",
                     "explanation": "rule 'Health' matched: industry is Health; round-robin in Team Health"},
        )  # fmt: skip
        touch_log(
            lead=lead, user=personas.bob, kind="email", note="Pricing for 40 seats\n\nHi Vera, as promised"
        )
        lead_reject(lead=lead, user=personas.bob, reason="bad_data", note="phone is wrong")
    html = _page(client_for(personas.alice), lead)
    timeline = re.search(r'<ol class="timeline".*?</ol>', html, re.S).group(0)
    for leak in ("rule_team", "bad_data", "Sla clock", "clock_started", f"→ {personas.bob.pk}<"):
        assert leak not in timeline, leak
    assert "Assigned to Bob" in timeline and "rule &#x27;Health&#x27; matched" in timeline
    assert "Deadline set: Bob to accept or reject the lead by" in timeline
    assert "Email logged by Bob" in timeline and "Subject: Pricing for 40 seats" in timeline
    assert "Rejected by Bob: Bad data" in timeline and "Note: phone is wrong" in timeline
    assert "Deadline stopped: the lead was rejected" in timeline or "Deadlines stopped" in timeline


def test_the_timeline_costs_the_same_queries_however_many_touches(
    personas, client_for, lead, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(personas.bob)
    touch_log(lead=lead, user=personas.bob, kind="call", note="first")
    note_add(lead=lead, user=personas.bob, body="hello @mike")
    with CaptureQueriesContext(connection) as first:
        _page(client, lead)
    for n in range(8):
        touch_log(lead=lead, user=personas.bob, kind="call", note=f"n{n}")
        note_add(lead=lead, user=personas.bob, body=f"again {n} @mike")
    with CaptureQueriesContext(connection) as second:
        _page(client, lead)
    assert len(second) == len(first)


def test_the_manager_reassigns_from_the_lead_page_and_the_new_owner_is_told(personas, client_for, lead):
    client = client_for(personas.mike)
    html = _page(client, lead)
    assert 'id="lead-reassign"' in html and "Carol" in html
    assert "Charlie" not in html.split('id="lead-reassign"')[1]  # not one of Mike's reps
    response = client.post(
        f"/leads/{lead.pk}/reassign", {"to": personas.carol.pk, "reason": "Bob is on leave"}, follow=True
    )
    assert "Reassigned to Carol" in response.content.decode()
    lead.refresh_from_db()
    assert lead.owner == personas.carol
    assert Notification.objects.filter(user=personas.carol, kind="lead_assigned").exists()
    timeline = re.search(r'<ol class="timeline".*?</ol>', response.content.decode(), re.S).group(0)
    assert "Assigned to Carol by Mike" in timeline and "Before: Bob" in timeline


def test_reps_get_no_reassign_panel_and_a_403(personas, client_for, lead):
    client = client_for(personas.bob)
    assert 'id="lead-reassign"' not in _page(client, lead)
    assert (
        client.post(f"/leads/{lead.pk}/reassign", {"to": personas.carol.pk, "reason": "x"}).status_code == 403
    )


def test_a_manager_cannot_hand_a_lead_to_someone_elses_rep(personas, client_for, lead):
    response = client_for(personas.mike).post(
        f"/leads/{lead.pk}/reassign", {"to": personas.charlie.pk, "reason": "x"}, follow=True
    )
    assert "Choose a rep you may hand this lead to." in response.content.decode()
    lead.refresh_from_db()
    assert lead.owner == personas.bob
