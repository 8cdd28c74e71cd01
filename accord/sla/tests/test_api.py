"""The SLA API: accept, reject, touches and clocks by urgency, with record-level access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from accord.leads.models import Stage
from accord.sla import services

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def bobs_lead(personas, make_lead):
    with time_machine.travel(NOW, tick=False):
        lead = make_lead(owner=personas.bob)
        services.sla_start_for_assignment(lead=lead, assigned_at=NOW)
    return lead


def test_the_owner_accepts_through_the_api(personas, bobs_lead, api_client_for):
    response = api_client_for(personas.bob).post(f"/api/v1/leads/{bobs_lead.pk}/accept")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stage"] == Stage.SAL and body["owner"] == "bob"
    assert [c["kind"] for c in body["clocks"]] == ["first_touch"]


def test_who_sees_a_lead_they_do_not_own_gets_403_and_an_outsider_404(personas, bobs_lead, api_client_for):
    for user, status in ((personas.carol, 403), (personas.alice, 403), (personas.charlie, 404)):
        response = api_client_for(user).post(f"/api/v1/leads/{bobs_lead.pk}/accept")
        assert response.status_code == status
        assert set(response.json()) == {"message", "detail"}


def test_the_team_manager_may_act_on_the_teams_leads(personas, bobs_lead, api_client_for):
    response = api_client_for(personas.mike).post(
        f"/api/v1/leads/{bobs_lead.pk}/touches",
        data={"kind": "call", "outcome": "left_message"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["lead"]["clocks"][0]["kind"] == "next_touch"


def test_rejecting_with_other_and_no_note_is_a_400_naming_the_note(personas, bobs_lead, api_client_for):
    response = api_client_for(personas.bob).post(
        f"/api/v1/leads/{bobs_lead.pk}/reject", data={"reason": "other"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "note" in response.json()["detail"]


def test_rejecting_with_an_unknown_reason_is_a_422(personas, bobs_lead, api_client_for):
    response = api_client_for(personas.bob).post(
        f"/api/v1/leads/{bobs_lead.pk}/reject", data={"reason": "meh"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "reason" in response.json()["detail"]


def test_rejecting_not_ready_sends_the_lead_to_nurture(personas, bobs_lead, api_client_for):
    response = api_client_for(personas.bob).post(
        f"/api/v1/leads/{bobs_lead.pk}/reject",
        data={"reason": "not_ready", "note": "Q3"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"id": bobs_lead.pk, "stage": "nurture", "owner": None, "clocks": []}


def test_my_clocks_come_most_urgent_first_with_their_status(
    personas, make_lead, api_client_for, django_assert_max_num_queries
):
    with time_machine.travel(NOW, tick=False):
        later = make_lead(owner=personas.bob)
        services.sla_start_for_assignment(lead=later, assigned_at=NOW)
        sooner = make_lead(owner=personas.bob)
        services.sla_start_for_assignment(lead=sooner, assigned_at=NOW - timedelta(hours=6))
        services.sla_start_for_assignment(lead=make_lead(owner=personas.carol), assigned_at=NOW)
    client = api_client_for(personas.bob)
    with time_machine.travel(NOW + timedelta(hours=2), tick=False), django_assert_max_num_queries(8):
        response = client.get("/api/v1/sla/clocks?owner=me")
    assert response.status_code == 200
    clocks = response.json()
    assert [c["lead_id"] for c in clocks] == [sooner.pk, later.pk]
    assert [c["status"] for c in clocks] == ["on_time", "on_time"]
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        clocks = client.get("/api/v1/sla/clocks?owner=me").json()
    assert {c["status"] for c in clocks} == {"breached"} and clocks[0]["seconds_left"] < 0


def test_a_manager_sees_the_teams_clocks_and_an_outsider_none(personas, bobs_lead, api_client_for):
    assert len(api_client_for(personas.mike).get("/api/v1/sla/clocks?owner=").json()) == 1
    assert api_client_for(personas.charlie).get("/api/v1/sla/clocks?owner=bob").json() == []
