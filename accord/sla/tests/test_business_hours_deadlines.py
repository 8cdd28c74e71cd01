"""Deadlines count the business hours of the owner's team: its time zone, hours and holidays."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from accord.people.models import Role, TeamHoliday
from accord.people.tests.factories import TeamFactory, user_with_roles
from accord.sla import services
from accord.sla.models import SlaPolicy

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_1755 = datetime(2026, 3, 6, 17, 55, tzinfo=BERLIN)


@pytest.fixture
def berlin_rep(db):
    team = TeamFactory(name="Team DACH", time_zone="Europe/Berlin", work_start=time(9), work_end=time(18))
    return user_with_roles("hanna", Role.SALES_REP, team=team)


@pytest.fixture
def one_hour_policy(db):
    return SlaPolicy.objects.create(
        name="One hour", is_default=True, accept_hours=1, reminder_before_minutes=15
    )


def test_a_lead_arriving_friday_1755_with_one_business_hour_is_due_monday_0955(
    berlin_rep, one_hour_policy, make_lead
):
    lead = make_lead(owner=berlin_rep)
    clock = services.sla_start_for_assignment(lead=lead, assigned_at=FRIDAY_1755)
    assert clock.due_at.astimezone(BERLIN) == datetime(2026, 3, 9, 9, 55, tzinfo=BERLIN)
    assert clock.remind_at.astimezone(BERLIN) == datetime(2026, 3, 9, 9, 40, tzinfo=BERLIN)


def test_a_holiday_on_that_monday_moves_the_deadline_to_tuesday_0955(berlin_rep, one_hour_policy, make_lead):
    TeamHoliday.objects.create(team=berlin_rep.team, day=date(2026, 3, 9), name="Team day off")
    lead = make_lead(owner=berlin_rep)
    clock = services.sla_start_for_assignment(lead=lead, assigned_at=FRIDAY_1755)
    assert clock.due_at.astimezone(BERLIN) == datetime(2026, 3, 10, 9, 55, tzinfo=BERLIN)


def test_starting_the_same_assignment_twice_gives_one_clock(berlin_rep, one_hour_policy, make_lead):
    lead = make_lead(owner=berlin_rep)
    first = services.sla_start_for_assignment(lead=lead, assigned_at=FRIDAY_1755)
    again = services.sla_start_for_assignment(lead=lead, assigned_at=FRIDAY_1755)
    assert first.pk == again.pk
    assert lead.sla_clocks.count() == 1


def test_a_lead_in_a_queue_without_an_owner_gets_no_clock(one_hour_policy, make_lead):
    assert services.sla_start_for_assignment(lead=make_lead(owner=None), assigned_at=FRIDAY_1755) is None


def test_reassigning_stops_the_previous_owners_clock(personas, one_hour_policy, make_lead):
    lead = make_lead(owner=personas.bob)
    first = services.sla_start_for_assignment(lead=lead, assigned_at=FRIDAY_1755)
    lead.owner = personas.carol
    lead.save()
    second = services.sla_start_for_assignment(lead=lead, assigned_at=datetime(2026, 3, 9, 10, tzinfo=BERLIN))
    first.refresh_from_db()
    assert first.stop_reason == "reassigned" and second.owner == personas.carol
