"""Each role's start page: the manager's team view, the heads' decisions and marketing's desk show what
waits for that person, refuse everyone else, and cost a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accord.core.events import event_record
from accord.leads.models import Lead, Stage
from accord.qualification.models import CriteriaRule, CriteriaSet, SignOff, SignOffRole
from accord.routing.models import LeadRouting, Queue
from accord.sla.services import sla_start_for_assignment

pytestmark = pytest.mark.django_db

MONDAY_10 = "2026-03-02 10:00:00+00:00"


def _lead(email: str, **fields) -> Lead:
    return Lead.objects.create(email=email, email_key=email, **fields)


@pytest.fixture
def breached(personas):
    with time_machine.travel(MONDAY_10, tick=False):
        lead = _lead(
            "late@acme.com", first_name="Lena", last_name="Late", stage=Stage.MQL, owner=personas.bob
        )
        clock = sla_start_for_assignment(lead=lead, assigned_at=timezone.now() - timedelta(days=3))
    return lead, clock


def test_the_manager_sees_the_teams_missed_deadlines_its_people_and_its_queue(personas, client_for, breached):
    queue = Queue.objects.create(name="Health overflow", owner=personas.mike)
    waiting = _lead("wait@acme.com", first_name="Walt", last_name="Waiting", stage=Stage.MQL)
    LeadRouting.objects.create(lead=waiting, queue=queue, reason="queue", routed_at=timezone.now())
    with time_machine.travel(MONDAY_10, tick=False):
        page = client_for(personas.mike).get("/team/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Lena Late" in html and "Missed" in html
    assert "Walt Waiting" in html and "Health overflow" in html
    assert "Bob" in html  # a member of the team, with his load


def test_the_team_view_is_not_for_reps_or_marketing(personas, client_for):
    assert client_for(personas.bob).get("/team/").status_code == 403
    assert client_for(personas.alice).get("/team/").status_code == 403


def test_another_managers_team_stays_out_of_sight(personas, client_for, breached):
    with time_machine.travel(MONDAY_10, tick=False):
        html = client_for(personas.fiona).get("/team/").content.decode()
    assert "Lena Late" not in html


def _draft(version: int) -> CriteriaSet:
    draft = CriteriaSet.objects.create(version=version)
    CriteriaRule.objects.create(
        criteria_set=draft, label="Title", field="title", operator="contains", value="VP", points=10
    )
    return draft


def test_a_draft_the_other_head_signed_waits_for_this_head(personas, client_for):
    draft = _draft(7)
    SignOff.objects.create(
        criteria_set=draft, role=SignOffRole.MARKETING_HEAD, user=personas.mona, signed_at=timezone.now()
    )
    sams = client_for(personas.sam).get("/decisions/").content.decode()
    assert "Version 7" in sams and "Review and sign off" in sams
    monas = client_for(personas.mona).get("/decisions/").content.decode()
    assert (
        "Version 7" in monas and "waiting for the other head" in monas and "Review and sign off" not in monas
    )


def test_the_sales_head_sees_missed_deadlines_and_the_decisions_page_refuses_reps(
    personas, client_for, breached
):
    with time_machine.travel(MONDAY_10, tick=False):
        html = client_for(personas.sam).get("/decisions/").content.decode()
    assert "Lena Late" in html
    assert client_for(personas.bob).get("/decisions/").status_code == 403
    assert client_for(personas.alice).get("/decisions/").status_code == 403


def test_the_desk_shows_what_came_in_and_what_sales_sent_back(personas, client_for):
    fresh = _lead("new@acme.com", first_name="Nina", last_name="New", stage=Stage.INQUIRY)
    back = _lead("back@acme.com", first_name="Ben", last_name="Back", stage=Stage.DISQUALIFIED)
    event_record(
        type="lead.rejected",
        subject=back,
        actor=personas.bob,
        payload={"reason": "bad_data", "reason_label": "Bad data", "note": "wrong phone"},
    )
    page = client_for(personas.alice).get("/desk/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Nina New" in html and "Ben Back" in html and "Bad data" in html and "wrong phone" in html
    assert "bad_data" not in html
    assert fresh.pk
    assert client_for(personas.bob).get("/desk/").status_code == 403


@pytest.mark.parametrize(("who", "url"), [("mike", "/team/"), ("sam", "/decisions/"), ("alice", "/desk/")])
def test_start_pages_cost_the_same_queries_whatever_the_rows(personas, client_for, who, url):
    client = client_for(getattr(personas, who))

    def add(n: int, version: int) -> None:
        for i in range(n):
            lead = _lead(f"p{version}-{i}@acme.com", first_name=f"P{i}", stage=Stage.MQL, owner=personas.bob)
            sla_start_for_assignment(lead=lead, assigned_at=timezone.now() - timedelta(days=3))
            event_record(
                type="lead.rejected", subject=lead, actor=personas.bob, payload={"reason_label": "Bad data"}
            )
        _draft(version)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add(1, 8)
    client.get(url)
    before = count()
    add(12, 9)
    assert count() == before


def test_other_apps_add_what_waits_for_a_decision_through_the_seam(personas, client_for):
    from accord.core import waiting
    from accord.core.waiting import WaitingItem, register_waiting_source

    saved = dict(waiting._sources)
    try:
        register_waiting_source(
            "Plan items to approve",
            lambda user: (
                [WaitingItem("Q3 webinar series", "/planning/items/4/", "drafted by Mona")]
                if user.has_role("sales_head")
                else []
            ),
        )
        sams = client_for(personas.sam).get("/decisions/").content.decode()
        assert (
            "Plan items to approve" in sams
            and "Q3 webinar series" in sams
            and 'href="/planning/items/4/"' in sams
        )
        monas = client_for(personas.mona).get("/decisions/").content.decode()
        assert "Plan items to approve" in monas and "Q3 webinar series" not in monas
    finally:
        waiting._sources.clear()
        waiting._sources.update(saved)
