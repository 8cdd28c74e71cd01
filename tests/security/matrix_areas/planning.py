# ruff: noqa: E501 - the matrix is a table: one row per check, one column per persona
"""Joint planning in the access matrix: goals, plans, drastic changes, previews, disagreements, meetings,
promises and prospect profiles.

Every signed-in person with a role reads planning; marketing writes plans, explanations, promises and
profiles; sales leadership acknowledges explanations; a team's members and managers comment and disagree
in its preview; its lead marks it done; a disagreement is resolved by the person it waits on, those above
them, the plan's sponsor or an admin.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from tests.security.matrix_kit import Check, api_get, api_send, page_get, page_post

_seq = itertools.count(1)

ITEMS = [
    {"kind": "target", "key": "sqls", "title": "SQLs", "amount": "400"},
    {"kind": "strategy", "key": "webinars", "title": "Webinars"},
]


def _plan(w: Any, *, drastic: bool = False, previewed: bool = False) -> Any:
    from accord.planning.services import ItemSpec, plan_create, previews_send

    pre = [ItemSpec(kind="target", key="sqls", title="SQLs", amount=Decimal("400"))]
    now = [ItemSpec(kind="target", key="sqls", title="SQLs", amount=Decimal("800" if drastic else "400"))]
    plan = plan_create(actor=w.p.alice, name=f"Matrix plan {next(_seq)}", fiscal_year=2027, executive_sponsor=w.p.eve,
                       pre_plan=pre, plan_items=now)  # fmt: skip
    if previewed:
        previews_send(plan=plan, actor=w.p.alice, teams=[w.p.health])
    return plan


def _preview(w: Any) -> Any:
    return _plan(w, previewed=True).previews.get()


def _item(preview: Any) -> Any:
    return preview.plan.versions.get(kind="plan").items.get()


def _change(w: Any, explained: bool = False) -> Any:
    from accord.planning.services import drastic_change_explain

    change = _plan(w, drastic=True).drastic_changes.get()
    return (
        drastic_change_explain(change=change, actor=w.p.alice, explanation="Bigger market")
        if explained
        else change
    )


def _disagreement(w: Any) -> Any:
    from accord.planning.services import disagreement_raise

    preview = _preview(w)
    return disagreement_raise(item=_item(preview), actor=w.p.bob, body="Too many", preview=preview)


def _meeting(w: Any) -> Any:
    from django.utils import timezone

    from accord.planning.services import meeting_create

    return meeting_create(
        actor=w.p.mona, kind="pre_planning", title="Matrix meeting", starts_at=timezone.now()
    )


def _action(w: Any) -> Any:
    from accord.planning.services import action_item_add

    return action_item_add(
        meeting=_meeting(w), actor=w.p.mona, title="Send deck", owner=w.p.bob, due_on=date(2027, 1, 5)
    )


def _team_meeting(w: Any) -> Any:
    from django.utils import timezone

    from accord.planning.services import meeting_create

    return meeting_create(
        actor=w.p.alice, kind="team", title="Health tactics", starts_at=timezone.now(), team=w.p.health
    )


def _bobs_promise(w: Any) -> Any:
    from accord.planning.services import promise_make

    return promise_make(actor=w.p.alice, title="Case study", owner=w.p.bob, due_on=date(2027, 1, 5))


def _sales_goal(w: Any) -> Any:
    from accord.planning.services import goal_create

    return goal_create(actor=w.p.sam, side="sales", metric="custom", unit="joint calls", target=10,
                       period_start=date(2027, 1, 1), period_end=date(2027, 3, 31), owner=w.p.mike)  # fmt: skip


def _promise(w: Any) -> Any:
    from accord.planning.services import promise_make

    return promise_make(actor=w.p.alice, title="Battlecards", owner=w.p.alice, due_on=date(2027, 1, 5))


def _custom_goal(w: Any) -> Any:
    from accord.planning.services import goal_create

    return goal_create(actor=w.p.alice, side="marketing", metric="custom", unit="creative reviews", target=4,
                       period_start=date(2027, 1, 1), period_end=date(2027, 3, 31), owner=w.p.alice)  # fmt: skip


GOAL = {
    "side": "marketing",
    "metric": "mqls",
    "target": 50,
    "period_start": "2027-01-01",
    "period_end": "2027-03-31",
    "owner": "alice",
}
SALES_GOAL = {**GOAL, "side": "sales", "metric": "won_revenue", "owner": "sam"}

#                     alice mona  bob carol mike fiona sam charlie eve root
MATRIX: dict[str, Check] = {
    "plan goal: read the goals in the API (every role)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: "/api/v1/goals")),
    "plan goal: create a marketing goal in the API (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok", api_send("post", lambda w: "/api/v1/goals", GOAL)),
    "plan goal: create a sales goal in the API (sales managers, the sales head, admins)":
        Check("403   403   403  403   ok   ok    ok  403     403 ok", api_send("post", lambda w: "/api/v1/goals", SALES_GOAL)),
    "plan goal: set a marketing goal on the goals page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: "/planning/goals/", lambda w: {**GOAL, "owner": w.p.alice.pk})),
    "plan goal: record progress of alice's custom goal (owner, her managers, marketing's setters)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/planning/goals/{_custom_goal(w).pk}/progress/", {"value": "2"})),
    "plan goal: record progress of mike's custom sales goal (owner, his managers, sales' setters)":
        Check("403   403   403  403   ok   ok    ok  403     403 ok",
              page_post(lambda w: f"/planning/goals/{_sales_goal(w).pk}/progress/", {"value": "3"})),
    "plan goal: read one in the API (every role)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/goals/{_custom_goal(w).pk}")),
    "plan: read a fresh plan in the API (every role)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", api_get(lambda w: f"/api/v1/plans/{_plan(w).pk}")),
    "plan: read a fresh plan's page (every role)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/planning/plans/{_plan(w).pk}/")),
    "plan: create in the API (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: "/api/v1/plans", {"name": "P", "fiscal_year": 2027, "plan": ITEMS})),
    "plan: create on the page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: "/planning/plans/new/", {"name": "P", "fiscal_year": 2027, "target_threshold_pct": 20,
                                                           "budget_threshold_pct": 15, "escalation_business_days": 3})),
    "plan: replace a fresh plan's items in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("put", lambda w: f"/api/v1/plans/{_plan(w).pk}/versions/plan", {"items": ITEMS})),
    "plan: add an item to a fresh plan on its page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/planning/plans/{_plan(w).pk}/items/", {"version": "plan", "kind": "strategy", "title": "Podcast"})),
    "plan: publish a fresh plan in the API (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok", api_send("post", lambda w: f"/api/v1/plans/{_plan(w).pk}/publish")),
    "plan: publish a fresh plan on its page":
        Check("ok    ok    403  403   403  403   403 403     403 ok", page_post(lambda w: f"/planning/plans/{_plan(w).pk}/publish/")),
    "plan: explain a fresh drastic change in the API (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: f"/api/v1/plan-changes/{_change(w).pk}/explain", {"explanation": "Why"})),
    "plan: explain a fresh drastic change on the diff page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/planning/changes/{_change(w).pk}/explain/", {"text": "Why"})),
    "plan: acknowledge an explained drastic change in the API (sales managers, the sales head, admins)":
        Check("403   403   403  403   ok   ok    ok  403     403 ok",
              api_send("post", lambda w: f"/api/v1/plan-changes/{_change(w, explained=True).pk}/acknowledge")),
    "plan: acknowledge an explained drastic change on the diff page":
        Check("403   403   403  403   ok   ok    ok  403     403 ok",
              page_post(lambda w: f"/planning/changes/{_change(w, explained=True).pk}/acknowledge/")),
    "plan: submit a fresh plan to Team Health in the API":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              api_send("post", lambda w: f"/api/v1/plans/{_plan(w).pk}/previews", lambda w: {"teams": [w.p.health.pk]})),
    "plan: submit a fresh plan to Team Health on its page":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/planning/plans/{_plan(w).pk}/previews/", lambda w: {"teams": [w.p.health.pk]})),
    "plan preview: comment on an item of Team Health's preview in the API (its members and managers, marketing, the sales head, admins)":
        Check("ok    ok    ok   ok    ok   403   ok  403     403 ok",
              lambda w, page, api: _comment_api(w, api)),
    "plan preview: comment on an item of Team Health's preview on its page":
        Check("ok    ok    ok   ok    ok   403   ok  403     403 ok",
              lambda w, page, api: _preview_page_post(w, page, "comment")),
    "plan preview: raise a disagreement in Team Health's preview in the API":
        Check("ok    ok    ok   ok    ok   403   ok  403     403 ok",
              lambda w, page, api: _disagree_api(w, api)),
    "plan preview: raise a disagreement in Team Health's preview on its page":
        Check("ok    ok    ok   ok    ok   403   ok  403     403 ok",
              lambda w, page, api: _preview_page_post(w, page, "disagree")),
    "plan preview: mark Team Health's preview done in the API (its lead, those above, admins)":
        Check("403   403   403  403   ok   403   ok  403     403 ok",
              api_send("post", lambda w: f"/api/v1/previews/{_preview(w).pk}/done")),
    "plan preview: mark Team Health's preview done on its page":
        Check("403   403   403  403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/planning/previews/{_preview(w).pk}/done/")),
    "plan preview: read Team Health's preview page (every role)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/planning/previews/{_preview(w).pk}/")),
    "plan disagreement: resolve bob's in the API (the one it waits on, those above, the sponsor, admins)":
        Check("403   403   403  403   ok   403   ok  403     ok  ok",
              api_send("post", lambda w: f"/api/v1/disagreements/{_disagreement(w).pk}/resolve", {"resolution": "Decided"})),
    "plan disagreement: raise one on a plan item outside a preview in the API (marketing, sales managers, the sales head, admins)":
        Check("ok    ok    403  403   ok   ok    ok  403     403 ok",
              api_send("post", lambda w: f"/api/v1/plan-items/{_item(_preview(w)).pk}/disagreements", {"body": "Too many"})),
    "plan disagreement: read bob's page (every role)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/planning/disagreements/{_disagreement(w).pk}/")),
    "plan disagreement: resolve bob's on its page":
        Check("403   403   403  403   ok   403   ok  403     ok  ok",
              page_post(lambda w: f"/planning/disagreements/{_disagreement(w).pk}/resolve/", {"text": "Decided"})),
    "plan meeting: call one (marketing, sales managers, the heads, admins)":
        Check("ok    ok    403  403   ok   ok    ok  403     403 ok",
              page_post(lambda w: "/planning/meetings/new/", {"kind": "pre_planning", "starts_at": "2027-01-05T10:00"})),
    "plan meeting: record a decision in mona's meeting (who called it, the heads, admins)":
        Check("403   ok    403  403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/planning/meetings/{_meeting(w).pk}/record/", {"what": "decision", "text": "Go"})),
    "plan meeting: record attendance in mona's meeting":
        Check("403   ok    403  403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/planning/meetings/{_meeting(w).pk}/record/", lambda w: {"what": "attendance", "present": [w.p.bob.pk]})),
    "plan meeting: add an action item in mona's meeting":
        Check("403   ok    403  403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/planning/meetings/{_meeting(w).pk}/record/",
                        lambda w: {"what": "action", "title": "Deck", "owner": w.p.bob.pk, "due_on": "2027-01-05"})),
    "plan meeting: record a promise made in mona's meeting (who runs it, or marketing)":
        Check("ok    ok    403  403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/planning/meetings/{_meeting(w).pk}/record/",
                        lambda w: {"what": "promise", "title": "Deck", "owner": w.p.alice.pk, "due_on": "2027-01-05", "made_in": "meeting"})),
    "plan meeting: record a decision in alice's Team Health meeting (who called it, the team's manager and those above, the heads, admins)":
        Check("ok    ok    403  403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/planning/meetings/{_team_meeting(w).pk}/record/", {"what": "decision", "text": "Go"})),
    "plan meeting: read mona's meeting page (every role)":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_get(lambda w: f"/planning/meetings/{_meeting(w).pk}/")),
    "plan meeting: mark bob's action item done (its owner, who runs the meeting)":
        Check("403   ok    ok   403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/planning/actions/{_action(w).pk}/done/")),
    "plan promise: record one (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: "/planning/promises/",
                        lambda w: {"title": "Deck", "owner": w.p.alice.pk, "due_on": "2027-01-05", "made_in": "other"})),
    "plan promise: mark alice's kept (its owner, the marketing head, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: f"/planning/promises/{_promise(w).pk}/keep/")),
    "plan promise: mark bob's kept (its owner, his managers, the marketing head, admins)":
        Check("403   ok    ok   403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/planning/promises/{_bobs_promise(w).pk}/keep/")),
    "plan profile: define one (marketing, admins)":
        Check("ok    ok    403  403   403  403   403 403     403 ok",
              page_post(lambda w: "/planning/profiles/", {"name": "Hospitals", "industries": "Healthcare"})),
    "plan statement: read bob's (himself, his managers, the heads, executives, admins)":
        Check("403   ok    ok   403   ok   403   ok  403     ok  ok",
              page_get(lambda w: f"/planning/statement/?person={w.p.bob.pk}")),
    "plan statement: export bob's as CSV":
        Check("403   ok    ok   403   ok   403   ok  403     ok  ok",
              page_get(lambda w: f"/planning/statement.csv?person={w.p.bob.pk}")),
}  # fmt: skip


def _comment_api(w: Any, api: Any) -> Any:
    import json

    preview = _preview(w)
    body = {"item": _item(preview).pk, "body": "Looks good"}
    return api.post(
        f"/api/v1/previews/{preview.pk}/comments", json.dumps(body), content_type="application/json"
    )


def _disagree_api(w: Any, api: Any) -> Any:
    import json

    preview = _preview(w)
    body = {"body": "Too many", "preview": preview.pk}
    return api.post(
        f"/api/v1/plan-items/{_item(preview).pk}/disagreements",
        json.dumps(body),
        content_type="application/json",
    )


def _preview_page_post(w: Any, page: Any, what: str) -> Any:
    preview = _preview(w)
    return page.post(
        f"/planning/previews/{preview.pk}/{what}/", {"item": _item(preview).pk, "body": "Matrix"}
    )


API_WRITE_ROWS: dict[str, str] = {
    "POST /api/v1/goals": "plan goal: create a marketing goal in the API (marketing, admins)",
    "POST /api/v1/plans": "plan: create in the API (marketing, admins)",
    "PUT /api/v1/plans/{plan_id}/versions/{kind}": "plan: replace a fresh plan's items in the API",
    "POST /api/v1/plans/{plan_id}/publish": "plan: publish a fresh plan in the API (marketing, admins)",
    "POST /api/v1/plan-changes/{change_id}/explain": "plan: explain a fresh drastic change in the API (marketing, admins)",
    "POST /api/v1/plan-changes/{change_id}/acknowledge": "plan: acknowledge an explained drastic change in the API (sales managers, the sales head, admins)",
    "POST /api/v1/plans/{plan_id}/previews": "plan: submit a fresh plan to Team Health in the API",
    "POST /api/v1/previews/{preview_id}/comments": "plan preview: comment on an item of Team Health's preview in the API (its members and managers, marketing, the sales head, admins)",
    "POST /api/v1/previews/{preview_id}/done": "plan preview: mark Team Health's preview done in the API (its lead, those above, admins)",
    "POST /api/v1/plan-items/{item_id}/disagreements": "plan preview: raise a disagreement in Team Health's preview in the API",
    "POST /api/v1/disagreements/{disagreement_id}/resolve": "plan disagreement: resolve bob's in the API (the one it waits on, those above, the sponsor, admins)",
}  # fmt: skip

PAGE_WRITE_ROWS: dict[str, str] = {
    "planning:goals": "plan goal: set a marketing goal on the goals page",
    "planning:goal_progress": "plan goal: record progress of alice's custom goal (owner, her managers, marketing's setters)",
    "planning:plan_new": "plan: create on the page",
    "planning:item_add": "plan: add an item to a fresh plan on its page",
    "planning:previews_send": "plan: submit a fresh plan to Team Health on its page",
    "planning:publish": "plan: publish a fresh plan on its page",
    "planning:change_explain": "plan: explain a fresh drastic change on the diff page",
    "planning:change_acknowledge": "plan: acknowledge an explained drastic change on the diff page",
    "planning:preview_comment": "plan preview: comment on an item of Team Health's preview on its page",
    "planning:preview_disagree": "plan preview: raise a disagreement in Team Health's preview on its page",
    "planning:preview_done": "plan preview: mark Team Health's preview done on its page",
    "planning:resolve": "plan disagreement: resolve bob's on its page",
    "planning:meeting_new": "plan meeting: call one (marketing, sales managers, the heads, admins)",
    "planning:meeting_record": "plan meeting: record a decision in mona's meeting (who called it, the heads, admins)",
    "planning:action_done": "plan meeting: mark bob's action item done (its owner, who runs the meeting)",
    "planning:promises": "plan promise: record one (marketing, admins)",
    "planning:promise_keep": "plan promise: mark alice's kept (its owner, the marketing head, admins)",
    "planning:profiles": "plan profile: define one (marketing, admins)",
}  # fmt: skip

READ_ONLY_PAGES = {
    "planning:home", "planning:plan", "planning:diff", "planning:shareable_csv", "planning:preview",
    "planning:disagreement", "planning:meetings", "planning:meeting", "planning:profile", "planning:calendar",
    "planning:statement", "planning:statement_csv",
}  # fmt: skip
