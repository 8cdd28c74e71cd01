"""Goals: SMART or refused with what is missing, marketing goals serving sales goals, the API contract."""

from __future__ import annotations

import json
from datetime import date

import pytest

pytestmark = pytest.mark.django_db


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_a_goal_without_metric_number_deadline_and_owner_is_refused_naming_each(personas, api_client_for):
    response = post(
        api_client_for(personas.alice), "/api/v1/goals", {"side": "marketing", "title": "More leads"}
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body["detail"]) == {"metric", "target", "period_start", "period_end", "owner"}
    assert (
        "measurable metric" in body["message"]
        and "deadline" in body["message"]
        and "owner" in body["message"]
    )


def test_a_custom_metric_must_say_what_it_counts_and_the_target_must_be_positive(personas):
    from accord.core.errors import ApplicationError
    from accord.planning.services import goal_create

    with pytest.raises(ApplicationError) as refused:
        goal_create(
            actor=personas.sam,
            side="sales",
            metric="custom",
            target=-1,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 3, 31),
            owner=personas.mike,
        )
    assert refused.value.status_code == 422
    assert set(refused.value.detail) == {"unit", "target"}


def test_a_marketing_goal_serves_sales_goals_and_the_api_shows_both_with_progress(personas, api_client_for):
    sam, alice = api_client_for(personas.sam), api_client_for(personas.alice)
    sales = post(
        sam,
        "/api/v1/goals",
        {
            "side": "sales",
            "metric": "won_revenue",
            "target": "500000",
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "owner": "sam",
        },
    )
    assert sales.status_code == 201, sales.content
    marketing = post(
        alice,
        "/api/v1/goals",
        {
            "side": "marketing",
            "metric": "sqls",
            "target": 40,
            "serves": [sales.json()["id"]],
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "owner": "alice",
        },
    )
    assert marketing.status_code == 201, marketing.content
    body = marketing.json()
    assert body["serves"] == [sales.json()["id"]]
    assert body["progress"] == {"value": "0", "target": "40.00", "percent": "0.0", "note": ""}
    listed = alice.get("/api/v1/goals?side=marketing").json()
    assert [g["id"] for g in listed["results"]] == [body["id"]]


def test_a_marketing_goal_cannot_serve_another_marketing_goal(personas, api_client_for):
    alice = api_client_for(personas.alice)
    first = post(
        alice,
        "/api/v1/goals",
        {
            "side": "marketing",
            "metric": "mqls",
            "target": 10,
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "owner": "alice",
        },
    ).json()
    second = post(
        alice,
        "/api/v1/goals",
        {
            "side": "marketing",
            "metric": "mqls",
            "target": 10,
            "serves": [first["id"]],
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
            "owner": "alice",
        },
    )
    assert second.status_code == 422
    assert "serves" in second.json()["detail"]


def test_sales_sets_sales_goals_and_marketing_marketing_goals(personas, api_client_for):
    body = {
        "side": "marketing",
        "metric": "mqls",
        "target": 10,
        "period_start": "2027-01-01",
        "period_end": "2027-03-31",
        "owner": "alice",
    }
    assert post(api_client_for(personas.bob), "/api/v1/goals", body).status_code == 403
    assert post(api_client_for(personas.sam), "/api/v1/goals", body).status_code == 403
    assert (
        post(
            api_client_for(personas.sam), "/api/v1/goals", {**body, "side": "sales", "owner": "mike"}
        ).status_code
        == 201
    )
