"""Reads for people: users_with_role, team_calendar, user_is_away."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from accord.core.errors import ApplicationError
from accord.people.models import Absence, Role, TeamHoliday
from accord.people.selectors import team_calendar, user_calendar, user_is_away, users_with_role
from accord.people.tests.factories import UserFactory


def names(users) -> list[str]:
    return [u.username for u in users]


def test_users_with_role(personas):
    assert names(users_with_role(Role.SALES_REP)) == ["bob", "carol", "charlie"]
    assert names(users_with_role(Role.MARKETING_HEAD)) == ["mona"]


def test_users_with_role_leaves_out_deactivated_users(personas):
    personas.carol.is_active = False
    personas.carol.save()
    assert names(users_with_role(Role.SALES_REP)) == ["bob", "charlie"]
    assert names(users_with_role(Role.SALES_REP, include_inactive=True)) == ["bob", "carol", "charlie"]


def test_superusers_count_as_admins(personas):
    UserFactory(username="zed", is_superuser=True)
    assert names(users_with_role(Role.ADMIN)) == ["root", "zed"]


def test_users_with_role_lists_each_user_once(personas):
    from accord.people.models import UserRole

    UserRole.objects.create(user=personas.bob, role=Role.SALES_MANAGER)
    assert names(users_with_role(Role.SALES_MANAGER)) == ["bob", "fiona", "mike"]


def test_users_with_role_refuses_an_unknown_role(db):
    with pytest.raises(ApplicationError, match="Unknown role 'wizard'"):
        users_with_role("wizard")


def test_team_calendar_reads_the_team(personas):
    health = personas.health
    health.time_zone = "Europe/Berlin"
    health.work_start, health.work_end = time(8), time(16)
    health.workdays = "1234"
    health.save()
    TeamHoliday.objects.create(team=health, day=date(2025, 12, 25), name="Christmas")

    calendar = team_calendar(health)
    assert calendar.tz == "Europe/Berlin"
    assert (calendar.start, calendar.end) == (time(8), time(16))
    assert calendar.workdays == frozenset({1, 2, 3, 4})
    assert calendar.holidays == frozenset({date(2025, 12, 25)})


def test_team_calendar_counts_business_hours_for_the_team(personas):
    health = personas.health
    health.time_zone = "Europe/Berlin"
    health.save()
    TeamHoliday.objects.create(team=health, day=date(2025, 6, 9))
    friday_evening = datetime(2025, 6, 6, 15, 55, tzinfo=UTC)  # 17:55 in Berlin
    assert team_calendar(health).add_business_hours(friday_evening, 1) == datetime(
        2025, 6, 10, 7, 55, tzinfo=UTC
    )


def test_people_without_a_team_get_the_default_calendar(personas, settings):
    calendar = team_calendar(None)
    assert calendar.tz == settings.TIME_ZONE
    assert (calendar.start, calendar.end) == (time(9), time(18))
    assert calendar.workdays == frozenset({1, 2, 3, 4, 5})
    assert user_calendar(personas.alice) == calendar


def test_user_calendar_is_the_team_calendar(personas):
    assert user_calendar(personas.bob) == personas.health.calendar()


def test_user_is_away_during_an_absence_inclusive(personas):
    Absence.objects.create(user=personas.bob, start=date(2025, 7, 1), end=date(2025, 7, 14), reason="Holiday")
    assert not user_is_away(personas.bob, date(2025, 6, 30))
    assert user_is_away(personas.bob, date(2025, 7, 1))
    assert user_is_away(personas.bob, date(2025, 7, 7))
    assert user_is_away(personas.bob, date(2025, 7, 14))
    assert not user_is_away(personas.bob, date(2025, 7, 15))
    assert not user_is_away(personas.carol, date(2025, 7, 7))
