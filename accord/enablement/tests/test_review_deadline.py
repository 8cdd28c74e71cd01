"""The committee's deadline is two business days on the reviewers' team calendar: weekends and the
team's holidays do not count."""

from __future__ import annotations

from datetime import UTC, date, datetime

import time_machine

from accord.core.calendar import BusinessCalendar
from accord.enablement.deadlines import business_days_after, review_deadline
from accord.enablement.services import material_submit_review
from accord.people.models import TeamHoliday

# Team Health works 09:00-18:00 UTC, Monday to Friday (the Team defaults).


def test_two_business_days_from_a_friday_afternoon_end_on_tuesday_afternoon():
    calendar = BusinessCalendar(start=datetime(2027, 1, 1, 9).time(), end=datetime(2027, 1, 1, 18).time())
    friday = datetime(2027, 3, 5, 15, 0, tzinfo=UTC)
    assert business_days_after(calendar, friday, 2) == datetime(2027, 3, 9, 15, 0, tzinfo=UTC)


def test_a_weekend_and_a_team_holiday_both_push_the_deadline_out(enable):
    TeamHoliday.objects.create(team=enable.health, day=date(2027, 3, 8), name="Founders' day")  # Monday
    friday = datetime(2027, 3, 5, 15, 0, tzinfo=UTC)
    # Friday 15-18 (3 h), the weekend and Monday's holiday skipped, Tuesday 9-18 (9 h), Wednesday 9-15 (6 h).
    assert review_deadline([enable.bob], friday) == datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    # Charlie's team has no holiday: for him it is Tuesday.
    assert review_deadline([enable.charlie], friday) == datetime(2027, 3, 9, 15, 0, tzinfo=UTC)
    # Two reviewers each get two of their own working days: the later deadline counts.
    assert review_deadline([enable.charlie, enable.bob], friday) == datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


def test_sending_to_review_sets_the_deadline_on_the_committee_reps_calendar(enable, make_material):
    TeamHoliday.objects.create(team=enable.health, day=date(2027, 3, 8), name="Founders' day")
    with time_machine.travel(datetime(2027, 3, 5, 15, 0, tzinfo=UTC), tick=False):
        material = make_material()
        started = material_submit_review(material=material, user=enable.alice)
    assert started.deadline == datetime(2027, 3, 10, 15, 0, tzinfo=UTC)
    assert started.business_days == 2
    assert list(started.review.reviewers.all()) == [enable.bob]


def test_the_api_returns_the_deadline_in_business_days(enable, make_material, api_client_for):
    TeamHoliday.objects.create(team=enable.health, day=date(2027, 3, 8), name="Founders' day")
    with time_machine.travel(datetime(2027, 3, 5, 15, 0, tzinfo=UTC), tick=False):
        material = make_material()
        response = api_client_for(enable.alice).post(f"/api/v1/materials/{material.pk}/submit-review")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["deadline"].startswith("2027-03-10T15:00:00")
    assert body["business_days"] == 2 and body["reviewers"] == ["bob"] and body["committee_review"] is True


def test_the_committees_deadline_is_in_the_reviewers_calendar(enable, make_material):
    from datetime import timedelta

    from accord.core.calendar_feed import calendar_entries

    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=UTC), tick=False):
        material = make_material(title="Calendar deck")
        started = material_submit_review(material=material, user=enable.alice)
    window = (started.deadline - timedelta(days=1), started.deadline + timedelta(days=1))
    mine = [e for e in calendar_entries(enable.bob, *window) if e.kind == "enablement"]
    assert [(e.title, e.starts_at) for e in mine] == [
        ("Committee comments due: Calendar deck", started.deadline)
    ]
    assert [e for e in calendar_entries(enable.carol, *window) if e.kind == "enablement"] == []
