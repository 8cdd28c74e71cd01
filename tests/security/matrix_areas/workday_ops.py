"""Access-matrix rows of the working day's operations: the queue page (claim, assign, reassign), team
settings (hours, holidays, capacity, absences), SLA policies, marking oneself away, the calendar feed
and follow-up tasks."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from tests.security.matrix_kit import Check, api_send, outcome, page_get, page_post

_seq = itertools.count(1)


def _me(page: Any) -> int:
    return int(page.session["_auth_user_id"])


def _queued_lead(w: Any) -> Any:
    from django.utils import timezone

    from accord.campaigns.tests.factories import LeadFactory
    from accord.leads.models import Stage
    from accord.routing.models import LeadRouting
    from accord.routing.services import queue_fallback

    lead = LeadFactory(email=f"queued{next(_seq)}@matrix.example", stage=Stage.MQL, company="Queued")
    LeadRouting.objects.create(lead=lead, queue=queue_fallback(), reason="fallback", explanation="no rule matched",
                               routed_at=timezone.now())  # fmt: skip
    return lead


def _owner_after(lead: Any, response: Any, *, expected_owner: int, moved: str, kept: str) -> str:
    if response.status_code != 302:
        return outcome(response)
    lead.refresh_from_db()
    return moved if lead.owner_id == expected_owner else kept


def _take_queued(w: Any, page: Any) -> str:
    lead = _queued_lead(w)
    response = page.post("/queues/assign/", {"leads": [lead.pk], "to": _me(page), "next": "/queues/"})
    return _owner_after(lead, response, expected_owner=_me(page), moved="taken", kept="left")


def _give_queued_to_carol(w: Any, page: Any) -> str:
    lead = _queued_lead(w)
    response = page.post("/queues/assign/", {"leads": [lead.pk], "give": "1", "to_choice": w.p.carol.pk})
    return _owner_after(lead, response, expected_owner=w.p.carol.pk, moved="given", kept="left")


def _reassign_bobs_to_carol(w: Any, page: Any) -> str:
    from accord.campaigns.tests.factories import LeadFactory
    from accord.leads.models import Stage

    lead = LeadFactory(
        email=f"bobs{next(_seq)}@matrix.example", owner=w.p.bob, stage=Stage.SAL, company="Bob's"
    )
    response = page.post("/queues/assign/", {"leads": [lead.pk], "give": "1", "to_choice": w.p.carol.pk,
                                             "reason": "Bob is away", "next": f"/leads/{lead.pk}/"})  # fmt: skip
    return _owner_after(lead, response, expected_owner=w.p.carol.pk, moved="moved", kept="kept")


def _team_form(w: Any) -> dict[str, Any]:
    return {"name": "Team Health", "kind": "vertical", "segment": "Healthcare", "manager": w.p.mike.pk,
            "time_zone": "Europe/Berlin", "work_start": "08:00", "work_end": "17:00",
            "workdays": ["1", "2", "3", "4", "5"]}  # fmt: skip


def _days_ahead(days: int) -> str:
    from django.utils import timezone

    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _fresh_holiday(w: Any) -> Any:
    from django.utils import timezone

    from accord.people.models import TeamHoliday

    return TeamHoliday.objects.create(
        team=w.p.health, day=timezone.localdate() + timedelta(days=400 + next(_seq))
    )


def _fresh_absence(user: Any) -> Any:
    from django.utils import timezone

    from accord.people.models import Absence

    start = timezone.localdate() + timedelta(days=500 + 3 * next(_seq))
    return Absence.objects.create(user=user, start=start, end=start + timedelta(days=1))


def _absence_days(w: Any) -> dict[str, str]:
    offset = 30 + 3 * next(_seq)
    return {"start": _days_ahead(offset), "end": _days_ahead(offset + 1), "reason": "Matrix"}


def _policy(w: Any) -> Any:
    from accord.sla.models import SlaPolicy

    return SlaPolicy.objects.create(name=f"Matrix policy {next(_seq)}", priority=50)


def _policy_form(name: str) -> dict[str, Any]:
    return {"name": name, "priority": "50", "is_active": "on", "accept_hours": "4", "first_touch_hours": "8",
            "next_touch_hours": "40", "reminder_before_minutes": "30", "escalate_after_hours": "4"}  # fmt: skip


def _bobs_task(w: Any) -> Any:
    from django.utils import timezone

    from accord.sla.models import FollowUp

    due = timezone.now() + timedelta(days=2)
    return FollowUp.objects.create(lead=w.bob_lead, assignee=w.p.bob, created_by=w.p.bob, title="Call back",
                                   due_at=due, remind_at=due - timedelta(minutes=15))  # fmt: skip


def _due() -> str:
    from django.utils import timezone

    return (timezone.now() + timedelta(days=2)).isoformat()


MATRIX: dict[str, Check] = {
    # personas:                 alice mona  bob  carol mike fiona sam charlie eve root
    # --- the queue page: managers, the sales head and admins claim and assign ------------------------------
    "queue: see the page":
        Check("403   403   403  403   ok   ok    ok  403     403 ok", page_get(lambda w: "/queues/")),
    "queue: take a fresh queued lead (effect checked)":
        Check("403   403   403  403   taken taken taken 403  403 taken",
              lambda w, page, api: _take_queued(w, page), judge=lambda r: r),
    "queue: give a fresh queued lead to carol (only her managers, the sales head, admins; effect checked)":
        Check("403   403   403  403   given left given 403     403 given",
              lambda w, page, api: _give_queued_to_carol(w, page), judge=lambda r: r),
    "queue: reassign a fresh lead of bob's to carol with the lead page's form (effect checked)":
        Check("403   403   403  403   moved kept moved 403     403 moved",
              lambda w, page, api: _reassign_bobs_to_carol(w, page), judge=lambda r: r),
    # --- team settings: admins and the sales head every team, a manager their own --------------------------
    "team: see the list":
        Check("403   403   403  403   ok   ok    ok  403     403 ok", page_get(lambda w: "/teams/")),
    "team: change Team Health's hours":
        Check("403   403   403  403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/teams/{w.p.health.pk}/", _team_form)),
    "team: create one":
        Check("403   403   403  403   403  403   ok  403     403 ok",
              page_post(lambda w: "/teams/new/", lambda w: {**_team_form(w), "name": f"Matrix team {next(_seq)}"})),
    "team: set bob's capacity":
        Check("403   403   403  403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/teams/{w.p.health.pk}/capacity/{w.p.bob.pk}/",
                        lambda w: {f"m{w.p.bob.pk}-daily_limit": "5", f"m{w.p.bob.pk}-weight": "1",
                                   f"m{w.p.bob.pk}-accepts_leads": "on"})),
    "team: add a holiday to Team Health":
        Check("403   403   403  403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/teams/{w.p.health.pk}/holidays/",
                        lambda w: {"day": _days_ahead(200 + next(_seq)), "name": "Matrix day"})),
    "team: remove a fresh holiday of Team Health":
        Check("403   403   403  403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/teams/{w.p.health.pk}/holidays/{_fresh_holiday(w).pk}/remove/")),
    "team: mark bob away on Team Health's page":
        Check("403   403   403  403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/teams/{w.p.health.pk}/absences/",
                        lambda w: {**_absence_days(w), "person": w.p.bob.pk})),
    "team: remove a fresh absence of bob's on Team Health's page":
        Check("403   403   403  403   ok   403   ok  403     403 ok",
              page_post(lambda w: f"/teams/{w.p.health.pk}/absences/{_fresh_absence(w.p.bob).pk}/remove/")),
    # --- each person's own: away and the calendar feed --------------------------------------------------------
    "away: mark oneself away":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_post(lambda w: "/account/away/", _absence_days)),
    "away: remove charlie's absence":
        Check("404   404   404  404   404  404   404 ok      404 404",
              page_post(lambda w: f"/account/away/{_fresh_absence(w.p.charlie).pk}/remove/")),
    "calendar: make a new feed address":
        Check("ok    ok    ok   ok    ok   ok    ok  ok      ok  ok", page_post(lambda w: "/account/calendar/")),
    # --- SLA policies: the sales head and admins change them; managers, heads, executives read -------------
    "SLA policy: see the list":
        Check("403   ok    403  403   ok   ok    ok  403     ok  ok", page_get(lambda w: "/sla/policies/")),
    "SLA policy: create one":
        Check("403   403   403  403   403  403   ok  403     403 ok",
              page_post(lambda w: "/sla/policies/new/", lambda w: _policy_form(f"Matrix new {next(_seq)}"))),
    "SLA policy: change one":
        Check("403   403   403  403   403  403   ok  403     403 ok",
              page_post(lambda w: f"/sla/policies/{_policy(w).pk}/",
                        lambda w: _policy_form(f"Matrix changed {next(_seq)}"))),
    # --- follow-up tasks: on leads one acts on; done by the assignee and those above them -------------------
    "task: set one on bob's lead on its page":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              page_post(lambda w: f"/tasks/leads/{w.bob_lead.pk}/", lambda w: {"title": "Call back", "due_at": _due()})),
    "task: mark a fresh task of bob's done on the page":
        Check("404   404   ok   404   ok   404   ok  404     404 ok",
              page_post(lambda w: f"/tasks/{_bobs_task(w).pk}/done/")),
    "task: set one on bob's lead in the API":
        Check("403   403   ok   403   ok   404   ok  404     403 ok",
              api_send("post", lambda w: "/api/v1/tasks",
                       lambda w: {"lead_id": w.bob_lead.pk, "title": "Call back", "due_at": _due()})),
    "task: mark a fresh task of bob's done in the API":
        Check("404   404   ok   404   ok   404   ok  404     404 ok",
              api_send("post", lambda w: f"/api/v1/tasks/{_bobs_task(w).pk}/done")),
}  # fmt: skip

API_WRITE_ROWS = {
    "POST /api/v1/tasks": "task: set one on bob's lead in the API",
    "POST /api/v1/tasks/{task_id}/done": "task: mark a fresh task of bob's done in the API",
}

PAGE_WRITE_ROWS = {
    "routing:queue_assign": "queue: take a fresh queued lead (effect checked)",
    "routing:team": "team: change Team Health's hours",
    "routing:team_new": "team: create one",
    "routing:team_capacity": "team: set bob's capacity",
    "routing:team_holiday_new": "team: add a holiday to Team Health",
    "routing:team_holiday_remove": "team: remove a fresh holiday of Team Health",
    "routing:team_absence_new": "team: mark bob away on Team Health's page",
    "routing:team_absence_remove": "team: remove a fresh absence of bob's on Team Health's page",
    "away": "away: mark oneself away",
    "away_remove": "away: remove charlie's absence",
    "calendar": "calendar: make a new feed address",
    "sla:policy_new": "SLA policy: create one",
    "sla:policy": "SLA policy: change one",
    "sla:task_new": "task: set one on bob's lead on its page",
    "sla:task_done": "task: mark a fresh task of bob's done on the page",
}

READ_ONLY_PAGES = {"routing:queues", "routing:teams", "sla:policies"}

PAGES_WITHOUT_A_USER = {
    "calendar_feed": "the calendar feed: the random secret in its URL is the key (calendar apps cannot sign in)",
}
