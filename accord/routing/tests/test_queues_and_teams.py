"""The queue page (claim and assign, one lead or many), team settings and capacity without Django's
admin, and routing passing over a rep who marked themself away."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from accord.core.errors import AccessDenied, ApplicationError
from accord.core.models import Event
from accord.leads.models import Lead
from accord.notifications.models import Notification
from accord.people.models import Absence, TeamHoliday
from accord.people.services import absence_create
from accord.routing.models import LeadRouting, RepCapacity
from accord.routing.queues import assignees_for, leads_assign, queue_entries_for, rep_capacity_set
from accord.routing.selectors import ASSIGNED
from accord.routing.services import lead_route
from accord.routing.tests.factories import active_rules, make_lead, make_queue

pytestmark = pytest.mark.django_db

TODAY = "2026-03-10 10:00Z"  # a Tuesday


def queued_lead(**fields) -> Lead:
    """A lead routing left in the fallback queue (no rules are active)."""
    lead = make_lead(**fields)
    result = lead_route(lead=lead)
    assert result.queue is not None and result.owner is None
    return lead


@time_machine.travel(TODAY, tick=False)
def test_a_manager_claims_a_queued_lead_and_it_leaves_the_queue(personas):
    lead = queued_lead()
    rows, more = queue_entries_for(user=personas.mike)
    assert [r.lead_id for r in rows] == [lead.pk] and not more

    result = leads_assign(actor=personas.mike, lead_ids=[lead.pk], to_user=personas.mike)

    lead.refresh_from_db()
    assert lead.owner == personas.mike and result.refused == []
    assert LeadRouting.objects.get(lead=lead).queue is None
    event = Event.objects.filter(type=ASSIGNED, subject_id=lead.pk).latest("id")
    assert event.actor == personas.mike and event.payload["note"] == "claimed from the queue"
    assert queue_entries_for(user=personas.mike)[0] == []


@time_machine.travel(TODAY, tick=False)
def test_a_manager_assigns_many_leads_to_a_rep_who_is_told(personas):
    leads = [queued_lead() for _ in range(3)]

    result = leads_assign(
        actor=personas.mike,
        lead_ids=[lead.pk for lead in leads],
        to_user=personas.bob,
        reason="Bob covers these",
    )

    assert len(result.assigned) == 3
    assert Lead.objects.filter(owner=personas.bob).count() == 3
    assert Notification.objects.filter(user=personas.bob, kind="lead_assigned").count() == 3


@time_machine.travel(TODAY, tick=False)
def test_a_manager_gives_leads_only_to_people_they_manage(personas):
    lead = queued_lead()
    assert personas.charlie not in assignees_for(personas.mike)
    with pytest.raises(AccessDenied, match="may not give leads to Charlie"):
        leads_assign(actor=personas.mike, lead_ids=[lead.pk], to_user=personas.charlie)
    # The sales head gives to anyone in sales.
    leads_assign(actor=personas.sam, lead_ids=[lead.pk], to_user=personas.charlie)
    lead.refresh_from_db()
    assert lead.owner == personas.charlie


@time_machine.travel(TODAY, tick=False)
def test_reps_and_marketing_do_not_work_the_queue(personas):
    lead = queued_lead()
    for outsider in (personas.bob, personas.alice, personas.eve):
        with pytest.raises(AccessDenied):
            leads_assign(actor=outsider, lead_ids=[lead.pk], to_user=outsider)
    lead.refresh_from_db()
    assert lead.owner is None


@time_machine.travel(TODAY, tick=False)
def test_a_lead_taken_a_moment_ago_is_refused_and_the_others_still_assigned(personas):
    first, second = queued_lead(), queued_lead()
    leads_assign(actor=personas.fiona, lead_ids=[first.pk], to_user=personas.charlie)

    result = leads_assign(actor=personas.mike, lead_ids=[first.pk, second.pk], to_user=personas.carol)

    assert [lead.pk for lead in result.assigned] == [second.pk]
    assert [lead_id for lead_id, _ in result.refused] == [first.pk]
    first.refresh_from_db()
    assert first.owner == personas.charlie


def test_no_lead_ticked_is_a_clear_error(personas):
    with pytest.raises(ApplicationError, match="Tick at least one lead"):
        leads_assign(actor=personas.mike, lead_ids=[], to_user=personas.bob)


@time_machine.travel(TODAY, tick=False)
def test_the_queue_page_lists_and_assigns_the_ticked_leads(client, personas):
    make_queue("Partners")
    leads = [queued_lead() for _ in range(2)]
    client.force_login(personas.mike)

    page = client.get("/queues/")
    assert page.status_code == 200
    for lead in leads:
        assert f'value="{lead.pk}"'.encode() in page.content

    answer = client.post(
        "/queues/assign/",
        {
            "leads": [lead.pk for lead in leads],
            "give": "1",
            "to_choice": personas.carol.pk,
            "next": "/queues/",
        },
    )
    assert answer.status_code == 302 and answer["Location"] == "/queues/"
    assert Lead.objects.filter(owner=personas.carol).count() == 2


@time_machine.travel(TODAY, tick=False)
def test_the_lead_page_offers_a_queued_lead_to_a_manager_to_assign(client, personas):
    lead = queued_lead()
    client.force_login(personas.mike)
    page = client.get(f"/leads/{lead.pk}/")
    assert page.status_code == 200 and b'id="lead-reassign"' in page.content

    client.post("/queues/assign/", {"leads": [lead.pk], "to": personas.mike.pk, "next": f"/leads/{lead.pk}/"})
    lead.refresh_from_db()
    assert lead.owner == personas.mike
    client.force_login(personas.bob)  # a rep of the team sees Mike's lead, but assigns nothing
    page = client.get(f"/leads/{lead.pk}/")
    assert page.status_code == 200 and b'id="lead-reassign"' not in page.content


def test_the_queue_page_is_for_managers(client, personas):
    client.force_login(personas.bob)
    assert client.get("/queues/").status_code == 403
    assert client.post("/queues/assign/", {"leads": [1], "to": personas.bob.pk}).status_code == 403


# --- away ----------------------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_a_rep_who_marks_themself_away_is_passed_over_by_round_robin(client, personas):
    active_rules({"target_team": personas.health})
    client.force_login(personas.bob)
    answer = client.post(
        "/account/away/", {"start": "2026-03-10", "end": "2026-03-12", "reason": "Trade fair"}
    )
    assert answer.status_code == 302
    assert Absence.objects.filter(user=personas.bob, start=date(2026, 3, 10)).exists()

    owners = {lead_route(lead=make_lead()).owner for _ in range(4)}

    assert owners == {personas.carol}


@time_machine.travel(TODAY, tick=False)
def test_an_absence_is_checked(personas):
    with pytest.raises(ApplicationError, match="comes before"):
        absence_create(
            actor=personas.bob, person=personas.bob, start=date(2026, 3, 12), end=date(2026, 3, 11)
        )
    with pytest.raises(AccessDenied):
        absence_create(
            actor=personas.bob, person=personas.carol, start=date(2026, 3, 12), end=date(2026, 3, 13)
        )
    absence_create(actor=personas.mike, person=personas.carol, start=date(2026, 3, 12), end=date(2026, 3, 13))
    with pytest.raises(ApplicationError, match="already away"):
        absence_create(
            actor=personas.carol, person=personas.carol, start=date(2026, 3, 13), end=date(2026, 3, 20)
        )


# --- team settings -------------------------------------------------------------------------------------


def test_a_manager_changes_their_own_teams_hours_and_not_another_teams(client, personas):
    client.force_login(personas.mike)
    form = {
        "name": "Team Health",
        "kind": "vertical",
        "segment": "Healthcare",
        "time_zone": "America/New_York",
        "work_start": "08:00",
        "work_end": "16:30",
        "workdays": ["1", "2", "3", "4"],
    }
    assert client.post(f"/teams/{personas.health.pk}/", form).status_code == 302
    personas.health.refresh_from_db()
    assert personas.health.time_zone == "America/New_York" and personas.health.workdays == "1234"
    assert personas.health.manager == personas.mike  # a manager cannot change who manages the team

    assert client.get(f"/teams/{personas.finance.pk}/").status_code == 403
    assert client.post(f"/teams/{personas.finance.pk}/", form).status_code == 403


def test_bad_team_input_is_explained(client, personas):
    client.force_login(personas.sam)
    form = {"name": "Team Health", "kind": "vertical", "time_zone": "Mars/Olympus", "work_start": "17:00",
            "work_end": "09:00", "workdays": ["1"]}  # fmt: skip
    page = client.post(f"/teams/{personas.health.pk}/", form)
    assert page.status_code == 200
    assert b"The working day must end after it starts." in page.content
    form["work_start"], form["work_end"] = "09:00", "17:00"
    page = client.post(f"/teams/{personas.health.pk}/", form)
    assert b"is not a time zone" in page.content


def test_capacity_and_holidays_are_set_on_the_team_page(client, personas):
    client.force_login(personas.mike)
    prefix = f"m{personas.bob.pk}"
    client.post(
        f"/teams/{personas.health.pk}/capacity/{personas.bob.pk}/",
        {f"{prefix}-daily_limit": "3", f"{prefix}-weekly_limit": "10", f"{prefix}-weight": "2"},
    )
    capacity = RepCapacity.objects.get(user=personas.bob)
    assert (capacity.daily_limit, capacity.weekly_limit, capacity.weight, capacity.accepts_leads) == (
        3,
        10,
        2,
        False,
    )

    client.post(f"/teams/{personas.health.pk}/holidays/", {"day": "2026-12-24", "name": "Christmas Eve"})
    assert TeamHoliday.objects.filter(team=personas.health, day=date(2026, 12, 24)).exists()
    # Charlie is in another team: his capacity is not Mike's to set.
    assert (
        client.post(
            f"/teams/{personas.finance.pk}/capacity/{personas.charlie.pk}/",
            {f"m{personas.charlie.pk}-weight": "1"},
        ).status_code
        == 403
    )


def test_capacity_is_checked(personas):
    with pytest.raises(ApplicationError, match="weekly limit is below"):
        rep_capacity_set(actor=personas.mike, rep=personas.bob, daily_limit=5, weekly_limit=2, weight=1,
                         accepts_leads=True)  # fmt: skip
    with pytest.raises(AccessDenied):
        rep_capacity_set(actor=personas.fiona, rep=personas.bob, daily_limit=5, weekly_limit=None, weight=1,
                         accepts_leads=True)  # fmt: skip
