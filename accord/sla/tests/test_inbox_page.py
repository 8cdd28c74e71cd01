"""The rep inbox: urgency order, record-level access, one-click accept and call over HTMX, inline errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accord.leads.models import Stage
from accord.sla import services
from accord.sla.models import ClockKind, RejectionReason, SlaClock, Touch

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # a Tuesday
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def assign(lead, at):
    with time_machine.travel(at, tick=False):
        services.sla_start_for_assignment(lead=lead, assigned_at=at)
    return lead


def signed_in(client, user, password):
    assert client.login(username=user.username, password=password)
    return client


def row_ids(html: str) -> list[str]:
    import re

    return re.findall(r'id="inbox-lead-(\d+)"', html)


def test_a_rep_sees_their_leads_breached_first_then_soonest_due(client, personas, make_lead, travel):
    soon = assign(make_lead(owner=personas.bob), NOW - timedelta(hours=7))  # due 11:00 (8 business h)
    later = assign(make_lead(owner=personas.bob), NOW - timedelta(hours=1))  # due tomorrow
    overdue = assign(make_lead(owner=personas.bob), NOW - timedelta(days=3))  # breached
    no_clock = make_lead(owner=personas.bob, stage=Stage.SQL)
    carols = assign(make_lead(owner=personas.carol), NOW)
    signed_in(client, personas.bob, personas.password)

    response = client.get("/inbox/")

    assert response.status_code == 200
    html = response.content.decode()
    assert row_ids(html) == [str(overdue.pk), str(soon.pk), str(later.pk), str(no_clock.pk)]
    assert str(carols.pk) not in row_ids(html)
    assert "Breached" in html
    assert 'data-due="' in html
    assert "js/countdown.js" in html


def test_a_manager_sees_the_team_through_the_filter_but_a_rep_cannot(client, personas, make_lead, travel):
    bobs = assign(make_lead(owner=personas.bob), NOW)
    carols = assign(make_lead(owner=personas.carol), NOW)
    charlies = assign(make_lead(owner=personas.charlie), NOW)

    signed_in(client, personas.mike, personas.password)
    assert row_ids(client.get("/inbox/").content.decode()) == []
    team = row_ids(client.get("/inbox/?who=team").content.decode())
    assert sorted(team) == sorted([str(bobs.pk), str(carols.pk)])
    assert str(charlies.pk) not in team

    signed_in(client, personas.bob, personas.password)
    assert row_ids(client.get("/inbox/?who=team").content.decode()) == [str(bobs.pk)]


def test_accept_is_one_click_and_the_row_comes_back_in_its_new_state(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob), NOW)
    signed_in(client, personas.bob, personas.password)

    response = client.post(f"/inbox/leads/{lead.pk}/accept", **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="inbox-lead-{lead.pk}"')
    assert "<html" not in html
    assert 'data-stage="sal"' in html
    assert "First touch by" in html
    assert 'data-action="accept"' not in html
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL


def test_log_call_is_one_click_and_meets_the_touch_clock(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob), NOW)
    signed_in(client, personas.bob, personas.password)

    response = client.post(f"/inbox/leads/{lead.pk}/touch", {"kind": "call"}, **HX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Call logged." in html
    assert "Next touch by" in html
    touch = Touch.objects.get(lead=lead)
    assert (touch.kind, touch.user) == ("call", personas.bob)
    assert SlaClock.objects.get(lead=lead, kind=ClockKind.FIRST_TOUCH).met_at == NOW


def test_a_touch_with_outcome_and_note_is_logged_from_the_form(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob, stage=Stage.SAL), NOW)
    signed_in(client, personas.bob, personas.password)

    client.post(
        f"/inbox/leads/{lead.pk}/touch",
        {"kind": "meeting", "outcome": "meeting_booked", "note": "demo"},
        **HX,
    )

    touch = Touch.objects.get(lead=lead)
    assert (touch.kind, touch.outcome, touch.note) == ("meeting", "meeting_booked", "demo")


def test_rejecting_with_other_needs_a_note_and_says_so_in_the_row(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob), NOW)
    signed_in(client, personas.bob, personas.password)

    response = client.post(f"/inbox/leads/{lead.pk}/reject", {"reason": "other", "note": ""}, **HX)

    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="inbox-lead-{lead.pk}"' in html
    assert "Say why in a note" in html
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL


def test_rejecting_with_a_reason_sends_the_lead_back_and_the_row_says_so(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob), NOW)
    signed_in(client, personas.bob, personas.password)

    response = client.post(
        f"/inbox/leads/{lead.pk}/reject", {"reason": RejectionReason.NOT_A_FIT, "note": "retail"}, **HX
    )

    assert response.status_code == 200
    assert "Rejected (Not a fit); sent back to marketing." in response.content.decode()
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == (Stage.DISQUALIFIED, None)


def test_a_rep_cannot_act_on_a_lead_of_another_team(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob), NOW)
    signed_in(client, personas.charlie, personas.password)

    response = client.post(f"/inbox/leads/{lead.pk}/accept", **HX)

    assert response.status_code == 404
    assert "was not found" in response.content.decode()
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL


def test_a_teammate_sees_but_cannot_act_on_a_colleagues_lead(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob), NOW)
    signed_in(client, personas.carol, personas.password)

    response = client.post(f"/inbox/leads/{lead.pk}/touch", {"kind": "call"}, **HX)
    assert response.status_code == 403
    assert "owner" in response.content.decode()
    assert not Touch.objects.exists()


def test_the_manager_accepts_for_a_rep_of_the_team(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob), NOW)
    signed_in(client, personas.mike, personas.password)

    response = client.post(f"/inbox/leads/{lead.pk}/accept?who=team", **HX)

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL


def test_without_htmx_an_action_redirects_back_to_the_inbox(client, personas, make_lead, travel):
    lead = assign(make_lead(owner=personas.bob), NOW)
    signed_in(client, personas.bob, personas.password)

    response = client.post(f"/inbox/leads/{lead.pk}/accept")

    assert response.status_code == 302
    assert response["Location"] == "/inbox/?who=me"


def test_the_inbox_needs_a_sign_in(client):
    assert client.get("/inbox/").status_code == 302


def test_the_inbox_query_count_does_not_grow_with_rows(
    client, personas, make_lead, travel, django_assert_max_num_queries
):
    def leads(n):
        for _ in range(n):
            lead = assign(make_lead(owner=personas.bob), NOW)
            services.touch_log(lead=lead, user=personas.bob, kind="call")

    leads(2)
    signed_in(client, personas.bob, personas.password)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/inbox/")
    leads(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/inbox/")
    html = response.content.decode()
    shown = row_ids(html)
    assert len(shown) == 20  # one page of a section; the rest one click away
    import re

    more = re.search(r'href="\?show=(\w+)&amp;page=2"', html)
    assert more, "no link to the next page"
    with django_assert_max_num_queries(len(few.captured_queries)):
        rest = row_ids(client.get(f"/inbox/?show={more.group(1)}&page=2").content.decode())
    assert len(rest) == 7 and not set(rest) & set(shown)
