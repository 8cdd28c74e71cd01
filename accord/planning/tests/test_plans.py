"""Plans: drastic changes from pre-plan to plan block publishing until explained and acknowledged;
open disagreements block it too."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

pytestmark = pytest.mark.django_db

PRE_PLAN = [
    {"kind": "target", "key": "sqls", "title": "SQLs", "amount": "400"},
    {"kind": "budget", "key": "events", "title": "Events budget", "amount": "100000"},
    {"kind": "budget", "key": "search", "title": "Paid search", "amount": "50000"},
    {"kind": "strategy", "key": "webinars", "title": "Webinar series"},
    {"kind": "strategy", "key": "print", "title": "Print ads"},
]


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def make_plan(client, plan_items, **extra):
    response = post(
        client,
        "/api/v1/plans",
        {"name": "FY2027 plan", "fiscal_year": 2027, "pre_plan": PRE_PLAN, "plan": plan_items, **extra},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_changes_within_the_thresholds_are_not_drastic_and_the_plan_publishes(personas, api_client_for):
    alice = api_client_for(personas.alice)
    items = [dict(i) for i in PRE_PLAN]
    items[0]["amount"] = "480"  # +20%: not more than 20%
    items[1]["amount"] = "115000"  # +15%: not more than 15%
    plan = make_plan(alice, items)
    assert plan["drastic_changes"] == []
    published = post(alice, f"/api/v1/plans/{plan['id']}/publish")
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"


def test_a_drastic_change_blocks_publishing_until_explained_and_acknowledged(personas, api_client_for):
    alice, sam = api_client_for(personas.alice), api_client_for(personas.sam)
    items = [dict(i) for i in PRE_PLAN if i["key"] != "print"]  # a strategy dropped
    items[0]["amount"] = "481"  # target +20.25%
    items[1]["amount"] = "115001"  # budget +15.001%
    items.append({"kind": "strategy", "key": "podcast", "title": "Podcast"})  # a strategy added
    plan = make_plan(alice, items)
    kinds = sorted((c["key"], c["kind"]) for c in plan["drastic_changes"])
    assert kinds == [
        ("events", "budget_moved"),
        ("podcast", "strategy_added"),
        ("print", "strategy_dropped"),
        ("sqls", "target_moved"),
    ]
    blocked = post(alice, f"/api/v1/plans/{plan['id']}/publish")
    assert blocked.status_code == 409
    assert "not explained" in blocked.json()["message"]
    for change in plan["drastic_changes"]:
        # Sales cannot acknowledge what marketing has not explained.
        assert post(sam, f"/api/v1/plan-changes/{change['id']}/acknowledge").status_code == 409
        assert (
            post(sam, f"/api/v1/plan-changes/{change['id']}/explain", {"explanation": "x"}).status_code == 403
        )
        explained = post(
            alice, f"/api/v1/plan-changes/{change['id']}/explain", {"explanation": "Budget moved to events."}
        )
        assert explained.status_code == 200
    still = post(alice, f"/api/v1/plans/{plan['id']}/publish")
    assert still.status_code == 409 and "not acknowledged" in still.json()["message"]
    for change in plan["drastic_changes"]:
        assert (
            post(
                api_client_for(personas.alice), f"/api/v1/plan-changes/{change['id']}/acknowledge"
            ).status_code
            == 403
        )
        assert post(sam, f"/api/v1/plan-changes/{change['id']}/acknowledge").status_code == 200
    assert post(alice, f"/api/v1/plans/{plan['id']}/publish").status_code == 200


def test_changing_the_plan_again_asks_for_a_new_explanation(personas, api_client_for):
    from accord.planning.models import DrasticChange

    alice, sam = api_client_for(personas.alice), api_client_for(personas.sam)
    items = [dict(i) for i in PRE_PLAN]
    items[0]["amount"] = "600"
    plan = make_plan(alice, items)
    (change,) = plan["drastic_changes"]
    post(alice, f"/api/v1/plan-changes/{change['id']}/explain", {"explanation": "Bigger market."})
    post(sam, f"/api/v1/plan-changes/{change['id']}/acknowledge")
    items[0]["amount"] = "700"
    again = alice.put(
        f"/api/v1/plans/{plan['id']}/versions/plan",
        json.dumps({"items": items}),
        content_type="application/json",
    )
    assert again.status_code == 200
    row = DrasticChange.objects.get(plan_id=plan["id"])
    assert (row.before, row.after, row.explained_at, row.acknowledged_at) == (
        Decimal("400"),
        Decimal("700"),
        None,
        None,
    )
    assert post(alice, f"/api/v1/plans/{plan['id']}/publish").status_code == 409


def test_custom_thresholds_decide_what_is_drastic(personas, api_client_for):
    items = [dict(i) for i in PRE_PLAN]
    items[0]["amount"] = "440"  # +10%
    plan = make_plan(api_client_for(personas.alice), items, target_threshold_pct=5)
    assert [c["kind"] for c in plan["drastic_changes"]] == ["target_moved"]


def test_an_open_disagreement_blocks_publishing_until_resolved(personas, api_client_for):
    alice, mike = api_client_for(personas.alice), api_client_for(personas.mike)
    plan = make_plan(alice, PRE_PLAN, executive_sponsor="eve")
    previews = post(alice, f"/api/v1/plans/{plan['id']}/previews", {"teams": [personas.health.pk]}).json()
    item = plan["plan"][0]["id"]
    raised = post(
        mike,
        f"/api/v1/plan-items/{item}/disagreements",
        {"body": "Too many SQLs", "preview": previews[0]["id"]},
    )
    assert raised.status_code == 201, raised.content
    assert raised.json()["assignee"] == "sam"
    blocked = post(alice, f"/api/v1/plans/{plan['id']}/publish")
    assert blocked.status_code == 409 and "disagreement" in blocked.json()["message"]
    # Neither the raiser's peer nor marketing decides; the sales head it waits on does.
    assert (
        post(alice, f"/api/v1/disagreements/{raised.json()['id']}/resolve", {"resolution": "no"}).status_code
        == 403
    )
    resolved = post(
        api_client_for(personas.sam),
        f"/api/v1/disagreements/{raised.json()['id']}/resolve",
        {"resolution": "Keep 400."},
    )
    assert resolved.status_code == 200
    assert [s["kind"] for s in resolved.json()["history"]] == ["raised", "resolved"]
    assert post(alice, f"/api/v1/plans/{plan['id']}/publish").status_code == 200


def test_only_marketing_creates_and_publishes_plans(personas, api_client_for):
    body = {"name": "P", "fiscal_year": 2027}
    assert post(api_client_for(personas.sam), "/api/v1/plans", body).status_code == 403
    assert post(api_client_for(personas.bob), "/api/v1/plans", body).status_code == 403
    plan = post(api_client_for(personas.mona), "/api/v1/plans", {**body, "plan": PRE_PLAN}).json()
    assert post(api_client_for(personas.sam), f"/api/v1/plans/{plan['id']}/publish").status_code == 403


def test_changing_the_plan_keeps_the_discussion_of_its_items(personas, api_client_for):
    from accord.planning.models import ItemComment

    alice, bob = api_client_for(personas.alice), api_client_for(personas.bob)
    plan = make_plan(alice, PRE_PLAN)
    (preview,) = post(alice, f"/api/v1/plans/{plan['id']}/previews", {"teams": [personas.health.pk]}).json()
    sqls = next(i for i in plan["plan"] if i["key"] == "sqls")
    assert (
        post(
            bob, f"/api/v1/previews/{preview['id']}/comments", {"item": sqls["id"], "body": "Ambitious"}
        ).status_code
        == 201
    )
    items = [dict(i) for i in PRE_PLAN]
    items[0]["amount"] = "420"
    changed = alice.put(
        f"/api/v1/plans/{plan['id']}/versions/plan",
        json.dumps({"items": items}),
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert ItemComment.objects.get().item_id == sqls["id"]  # the same item, changed in place
    dropped = alice.put(
        f"/api/v1/plans/{plan['id']}/versions/plan",
        json.dumps({"items": items[1:]}),
        content_type="application/json",
    )
    assert dropped.status_code == 409
    assert "SQLs" in dropped.json()["message"]
    assert ItemComment.objects.count() == 1
