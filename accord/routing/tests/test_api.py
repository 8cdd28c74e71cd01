"""The routing API: rules, dry run and reassignment."""

from __future__ import annotations

import pytest
import time_machine

from accord.routing.tests.factories import active_rules, cond, make_lead

pytestmark = pytest.mark.django_db


def test_get_rules_lists_the_active_and_draft_versions_with_explanations(api_client_for, personas):
    active_rules(
        {
            "name": "Healthcare",
            "conditions": [cond("industry", "equals", "Healthcare")],
            "target_team": personas.health,
        }
    )

    response = api_client_for(personas.mike).get("/api/v1/routing/rules")

    assert response.status_code == 200
    [version] = response.json()
    assert version["status"] == "active"
    assert (
        version["rules"][0]["explanation"] == "rule 1 'Healthcare': industry = Healthcare → team Team Health"
    )


def test_reps_get_a_clear_403(api_client_for, personas):
    response = api_client_for(personas.bob).get("/api/v1/routing/rules")
    assert response.status_code == 403
    assert "Routing is for" in response.json()["message"]


@time_machine.travel("2026-03-10 10:00Z", tick=False)
def test_the_dry_run_answers_where_leads_would_go(api_client_for, personas):
    active_rules({"target_team": personas.health})
    lead = make_lead()

    response = api_client_for(personas.mona).post(
        "/api/v1/routing/dry-run", {"limit": 10}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json() == [
        {
            "lead_id": lead.pk,
            "lead": str(lead),
            "current_owner": None,
            "owner": "bob",
            "queue": None,
            "reason": "rule_team",
            "rule_number": 1,
            "explanation": "rule 1 'Rule 1': every lead → team Team Health, round-robin → Bob",
        }
    ]
    lead.refresh_from_db()
    assert lead.owner is None


def test_the_dry_run_without_an_active_version_is_a_404(api_client_for, personas):
    response = api_client_for(personas.sam).post(
        "/api/v1/routing/dry-run", {}, content_type="application/json"
    )
    assert response.status_code == 404


def test_a_manager_reassigns_a_lead_through_the_api(api_client_for, personas):
    lead = make_lead(owner=personas.bob)

    response = api_client_for(personas.sam).post(
        f"/api/v1/leads/{lead.pk}/reassign",
        {"to": personas.carol.pk, "reason": "Bob is out"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["owner"] == "carol"
    lead.refresh_from_db()
    assert lead.owner == personas.carol


def test_reassignment_is_refused_to_reps_and_needs_a_reason(api_client_for, personas):
    lead = make_lead(owner=personas.bob)
    assert (
        api_client_for(personas.bob)
        .post(
            f"/api/v1/leads/{lead.pk}/reassign",
            {"to": personas.carol.pk, "reason": "mine"},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    response = api_client_for(personas.sam).post(
        f"/api/v1/leads/{lead.pk}/reassign",
        {"to": personas.carol.pk, "reason": ""},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "reason" in response.json()["detail"]
