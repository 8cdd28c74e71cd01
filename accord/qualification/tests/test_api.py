"""The criteria endpoints: who may do what, status codes and error bodies."""

from __future__ import annotations

import pytest

from accord.qualification.models import CriteriaSet, CriteriaStatus
from accord.qualification.tests.factories import DEFAULT_RULES, criteria_with_rules

BASE = "/api/v1/criteria"


def _put(client, criteria_id, **overrides):
    body = {"name": "Criteria", "mql_threshold": 55, "notes": "tighter", "rules": DEFAULT_RULES, **overrides}
    return client.put(f"{BASE}/{criteria_id}", body, content_type="application/json")


def test_any_signed_in_user_may_read_criteria(personas, api_client_for):
    active = criteria_with_rules(status=CriteriaStatus.ACTIVE)
    client = api_client_for(personas.bob)
    listing = client.get(BASE)
    assert listing.status_code == 200
    assert listing.json()[0]["version"] == 1
    assert client.get(f"{BASE}/active").json()["id"] == active.pk
    detail = client.get(f"{BASE}/{active.pk}").json()
    assert [r["field"] for r in detail["rules"]] == ["title", "company_size", "email_domain"]


def test_anonymous_callers_are_refused(db, client):
    assert client.get(BASE).status_code == 401


def test_there_is_no_active_version_yet(personas, api_client_for):
    response = api_client_for(personas.bob).get(f"{BASE}/active")
    assert response.status_code == 404
    assert "message" in response.json()


def test_marketing_creates_and_updates_a_draft(personas, api_client_for):
    client = api_client_for(personas.alice)
    created = client.post(BASE, {}, content_type="application/json")
    assert created.status_code == 201
    draft_id = created.json()["id"]
    updated = _put(client, draft_id)
    assert updated.status_code == 200
    assert updated.json()["mql_threshold"] == 55
    assert len(updated.json()["rules"]) == 3


def test_a_rep_may_not_create_drafts(personas, api_client_for):
    response = api_client_for(personas.bob).post(BASE, {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["message"]


def test_a_bad_rule_is_a_400_naming_the_rule_and_field(personas, api_client_for):
    draft = criteria_with_rules()
    rules = [{"kind": "fit", "field": "title", "operator": "regex", "value": "(?=vp)", "points": 5}]
    response = _put(api_client_for(personas.alice), draft.pk, rules=rules)
    assert response.status_code == 400
    body = response.json()
    assert "rules[0].value" in body["detail"]
    assert "rule 1 (title)" in body["message"]


def test_a_malformed_body_is_a_422_naming_the_field(personas, api_client_for):
    draft = criteria_with_rules()
    response = _put(api_client_for(personas.alice), draft.pk, mql_threshold="lots")
    assert response.status_code == 422
    assert "mql_threshold" in response.json()["detail"]


@pytest.mark.parametrize("threshold", [2**70, -(2**70), 1_000_001])
def test_a_threshold_beyond_the_editors_range_is_a_422_not_a_database_error(
    personas, api_client_for, threshold
):
    draft = criteria_with_rules()
    response = _put(api_client_for(personas.alice), draft.pk, mql_threshold=threshold)
    assert response.status_code == 422, response.content
    assert "mql_threshold" in response.json()["detail"]
    draft.refresh_from_db()
    assert draft.mql_threshold == 60


def test_a_half_life_too_long_to_store_is_a_400_naming_the_rule(personas, api_client_for):
    draft = criteria_with_rules()
    rules = [{"kind": "engagement", "field": "activity", "operator": "equals", "value": "webinar",
              "points": 10, "half_life_days": 2**40}]  # fmt: skip
    response = _put(api_client_for(personas.alice), draft.pk, rules=rules)
    assert response.status_code == 400, response.content
    assert "rules[0].half_life_days" in response.json()["detail"]
    assert draft.rules.count() == len(DEFAULT_RULES)


def test_updating_an_active_version_is_a_conflict(personas, api_client_for):
    active = criteria_with_rules(status=CriteriaStatus.ACTIVE)
    assert _put(api_client_for(personas.alice), active.pk).status_code == 409


def test_a_rep_cannot_sign_off(personas, api_client_for):
    draft = criteria_with_rules()
    response = api_client_for(personas.bob).post(
        f"{BASE}/{draft.pk}/sign-off", {}, content_type="application/json"
    )
    assert response.status_code == 403


def test_both_heads_sign_off_and_the_version_becomes_active(personas, api_client_for):
    draft = criteria_with_rules()
    first = api_client_for(personas.mona).post(
        f"{BASE}/{draft.pk}/sign-off", {"comment": "ok"}, content_type="application/json"
    )
    assert first.status_code == 200
    assert first.json()["status"] == "draft"
    again = api_client_for(personas.mona).post(
        f"{BASE}/{draft.pk}/sign-off", {}, content_type="application/json"
    )
    assert again.status_code == 409
    second = api_client_for(personas.sam).post(
        f"{BASE}/{draft.pk}/sign-off", {}, content_type="application/json"
    )
    assert second.status_code == 200
    assert second.json()["status"] == "active"
    assert {s["role"] for s in second.json()["sign_offs"]} == {"marketing_head", "sales_head"}


def test_diff_lists_added_removed_and_changed_rules(personas, api_client_for):
    old = criteria_with_rules(version=1, status=CriteriaStatus.ACTIVE, threshold=60)
    new_rules = [
        {**DEFAULT_RULES[0], "points": 25},
        {"kind": "fit", "field": "industry", "operator": "equals", "value": "Healthcare", "points": 10},
    ]
    new = criteria_with_rules(version=2, threshold=65, rules=new_rules)
    response = api_client_for(personas.bob).get(f"{BASE}/{new.pk}/diff", {"against": old.pk})
    assert response.status_code == 200
    diff = response.json()
    assert diff["threshold"] == {"before": 60, "after": 65}
    assert [r["field"] for r in diff["added"]] == ["industry"]
    assert sorted(r["field"] for r in diff["removed"]) == ["company_size", "email_domain"]
    assert diff["changed"][0]["after"]["points"] == 25


@pytest.mark.parametrize("path", ["/999", "/999/diff?against=1"])
def test_unknown_versions_are_404(personas, api_client_for, path):
    assert api_client_for(personas.bob).get(BASE + path).status_code == 404
    assert CriteriaSet.objects.count() == 0
