"""Business-hours and fiscal-calendar arithmetic (accord.core.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.calendar import BusinessCalendar, FiscalCalendar

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def team_hours() -> BusinessCalendar:
    """A Berlin team working 09:00-18:00, Monday to Friday."""
    return BusinessCalendar(tz="Europe/Berlin", start=time(9), end=time(18))


# --- add_business_hours -------------------------------------------------------------------------


def test_it_adds_hours_within_one_working_day(team_hours):
    assert team_hours.add_business_hours(berlin(2025, 6, 3, 10, 0), 3) == berlin(2025, 6, 3, 13, 0)


def test_friday_evening_plus_one_hour_is_monday_morning(team_hours):
    friday = berlin(2025, 6, 6, 17, 55)
    assert friday.isoweekday() == 5
    assert team_hours.add_business_hours(friday, 1) == berlin(2025, 6, 9, 9, 55)


def test_it_answers_in_utc(team_hours):
    result = team_hours.add_business_hours(berlin(2025, 6, 6, 17, 55), 1)
    assert result.utcoffset() == timedelta(0)
    assert result == datetime(2025, 6, 9, 7, 55, tzinfo=UTC)


def test_it_accepts_a_moment_in_any_time_zone(team_hours):
    # 15:55 UTC on a summer Friday is 17:55 in Berlin.
    assert team_hours.add_business_hours(datetime(2025, 6, 6, 15, 55, tzinfo=UTC), 1) == berlin(
        2025, 6, 9, 9, 55
    )


def test_a_moment_before_opening_starts_counting_at_opening(team_hours):
    assert team_hours.add_business_hours(berlin(2025, 6, 3, 6, 30), 2) == berlin(2025, 6, 3, 11, 0)


def test_a_moment_after_closing_starts_counting_next_working_day(team_hours):
    assert team_hours.add_business_hours(berlin(2025, 6, 3, 19, 0), 2) == berlin(2025, 6, 4, 11, 0)


def test_a_moment_exactly_at_closing_starts_counting_next_working_day(team_hours):
    assert team_hours.add_business_hours(berlin(2025, 6, 3, 18, 0), 0.5) == berlin(2025, 6, 4, 9, 30)


def test_a_moment_on_the_weekend_starts_counting_on_monday(team_hours):
    saturday = berlin(2025, 6, 7, 12, 0)
    assert team_hours.add_business_hours(saturday, 4) == berlin(2025, 6, 9, 13, 0)


def test_a_deadline_may_fall_exactly_at_closing(team_hours):
    assert team_hours.add_business_hours(berlin(2025, 6, 3, 17, 0), 1) == berlin(2025, 6, 3, 18, 0)


def test_zero_hours_inside_working_hours_is_the_same_moment(team_hours):
    assert team_hours.add_business_hours(berlin(2025, 6, 3, 11, 11), 0) == berlin(2025, 6, 3, 11, 11)


def test_zero_hours_outside_working_hours_is_the_next_opening(team_hours):
    assert team_hours.add_business_hours(berlin(2025, 6, 7, 11, 0), 0) == berlin(2025, 6, 9, 9, 0)


def test_it_spans_several_days(team_hours):
    # 9 hours a day: Tuesday 10:00 + 20h = Tue 8h, Wed 9h, Thu 3h -> Thursday 12:00.
    assert team_hours.add_business_hours(berlin(2025, 6, 3, 10, 0), 20) == berlin(2025, 6, 5, 12, 0)


def test_it_handles_fractions_of_an_hour(team_hours):
    assert team_hours.add_business_hours(berlin(2025, 6, 3, 10, 0), 0.25) == berlin(2025, 6, 3, 10, 15)


def test_holidays_are_skipped():
    whit_monday = date(2025, 6, 9)
    calendar = BusinessCalendar(
        tz="Europe/Berlin", start=time(9), end=time(18), holidays=frozenset({whit_monday})
    )
    assert calendar.add_business_hours(berlin(2025, 6, 6, 17, 55), 1) == berlin(2025, 6, 10, 9, 55)


def test_a_moment_on_a_holiday_starts_counting_on_the_next_working_day():
    calendar = BusinessCalendar(
        tz="Europe/Berlin", start=time(9), end=time(18), holidays=frozenset({date(2025, 6, 4)})
    )
    assert calendar.add_business_hours(berlin(2025, 6, 4, 10, 0), 1) == berlin(2025, 6, 5, 10, 0)


def test_consecutive_holidays_are_all_skipped():
    christmas = frozenset({date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26)})
    calendar = BusinessCalendar(tz="Europe/Berlin", start=time(9), end=time(18), holidays=christmas)
    # Tuesday 23 Dec 17:00 + 2h: one hour on the 23rd, then Wed-Fri holidays, weekend -> Mon 29th 10:00.
    assert calendar.add_business_hours(berlin(2025, 12, 23, 17, 0), 2) == berlin(2025, 12, 29, 10, 0)


def test_custom_workdays_are_honoured():
    # A team working Sunday to Thursday.
    calendar = BusinessCalendar(
        tz="Asia/Jerusalem", start=time(8), end=time(17), workdays=frozenset({7, 1, 2, 3, 4})
    )
    thursday_evening = datetime(2025, 6, 5, 16, 30, tzinfo=ZoneInfo("Asia/Jerusalem"))
    expected = datetime(2025, 6, 8, 8, 30, tzinfo=ZoneInfo("Asia/Jerusalem"))  # Sunday
    assert calendar.add_business_hours(thursday_evening, 1) == expected


def test_naive_datetimes_are_refused(team_hours):
    with pytest.raises(ValueError, match="aware"):
        team_hours.add_business_hours(datetime(2025, 6, 3, 10, 0), 1)


def test_negative_hours_are_refused(team_hours):
    with pytest.raises(ValueError, match="negative"):
        team_hours.add_business_hours(berlin(2025, 6, 3, 10, 0), -1)


def test_a_calendar_without_any_working_day_in_reach_says_so():
    every_day = frozenset(date(2025, 1, 1) + timedelta(days=n) for n in range(3700))
    calendar = BusinessCalendar(tz="UTC", holidays=every_day)
    with pytest.raises(ValueError, match="no working day"):
        calendar.add_business_hours(datetime(2025, 1, 1, 10, tzinfo=UTC), 1)


# --- daylight saving time ------------------------------------------------------------------------


def test_spring_forward_weekend_keeps_local_opening_hours(team_hours):
    # Berlin moves from CET (+1) to CEST (+2) on Sunday 30 March 2025.
    friday = berlin(2025, 3, 28, 17, 55)
    result = team_hours.add_business_hours(friday, 1)
    assert result == berlin(2025, 3, 31, 9, 55)
    assert result == datetime(2025, 3, 31, 7, 55, tzinfo=UTC)
    assert friday.astimezone(UTC) == datetime(2025, 3, 28, 16, 55, tzinfo=UTC)


def test_fall_back_weekend_keeps_local_opening_hours(team_hours):
    # Berlin moves from CEST (+2) back to CET (+1) on Sunday 26 October 2025.
    result = team_hours.add_business_hours(berlin(2025, 10, 24, 17, 30), 2)
    assert result == berlin(2025, 10, 27, 10, 30)
    assert result == datetime(2025, 10, 27, 9, 30, tzinfo=UTC)


def test_a_working_window_across_the_spring_change_is_one_hour_shorter():
    night_shift = BusinessCalendar(
        tz="Europe/Berlin", start=time(0), end=time(6), workdays=frozenset(range(1, 8))
    )
    # 00:00 CET to 06:00 CEST on 30 March 2025 is five real hours.
    assert night_shift.business_hours_between(berlin(2025, 3, 30, 0, 0), berlin(2025, 3, 30, 6, 0)) == 5
    # Two hours after midnight is 03:00 local: 02:00 does not exist that night.
    assert night_shift.add_business_hours(berlin(2025, 3, 30, 0, 0), 2) == berlin(2025, 3, 30, 3, 0)
    # Five hours fill the night; the sixth starts the next night.
    assert night_shift.add_business_hours(berlin(2025, 3, 30, 0, 0), 6) == berlin(2025, 3, 31, 1, 0)


def test_a_working_window_across_the_autumn_change_is_one_hour_longer():
    night_shift = BusinessCalendar(
        tz="Europe/Berlin", start=time(0), end=time(6), workdays=frozenset(range(1, 8))
    )
    assert night_shift.business_hours_between(berlin(2025, 10, 26, 0, 0), berlin(2025, 10, 26, 6, 0)) == 7
    assert night_shift.add_business_hours(berlin(2025, 10, 26, 0, 0), 7) == berlin(2025, 10, 26, 6, 0)


def test_us_dst_change_on_a_different_weekend_is_honoured():
    # New York springs forward on 9 March 2025, three weeks before Berlin.
    calendar = BusinessCalendar(tz="America/New_York", start=time(9), end=time(17))
    friday = datetime(2025, 3, 7, 16, 30, tzinfo=NEW_YORK)
    assert calendar.add_business_hours(friday, 1) == datetime(2025, 3, 10, 9, 30, tzinfo=NEW_YORK)
    assert calendar.add_business_hours(friday, 1) == datetime(2025, 3, 10, 13, 30, tzinfo=UTC)


# --- business_hours_between ----------------------------------------------------------------------


def test_hours_between_two_moments_on_one_day(team_hours):
    assert team_hours.business_hours_between(berlin(2025, 6, 3, 10), berlin(2025, 6, 3, 12, 30)) == 2.5


def test_hours_between_ignores_nights_and_weekends(team_hours):
    assert team_hours.business_hours_between(berlin(2025, 6, 6, 17, 0), berlin(2025, 6, 9, 10, 0)) == 2


def test_hours_between_ignores_time_outside_the_window(team_hours):
    assert team_hours.business_hours_between(berlin(2025, 6, 3, 6, 0), berlin(2025, 6, 3, 20, 0)) == 9


def test_hours_between_ignores_holidays():
    calendar = BusinessCalendar(
        tz="Europe/Berlin", start=time(9), end=time(18), holidays=frozenset({date(2025, 6, 4)})
    )
    assert calendar.business_hours_between(berlin(2025, 6, 3, 9), berlin(2025, 6, 5, 18)) == 18


def test_hours_between_is_zero_when_end_is_not_after_start(team_hours):
    moment = berlin(2025, 6, 3, 10)
    assert team_hours.business_hours_between(moment, moment) == 0
    assert team_hours.business_hours_between(moment, moment - timedelta(hours=3)) == 0


def test_hours_between_across_the_spring_weekend(team_hours):
    assert team_hours.business_hours_between(berlin(2025, 3, 28, 17, 0), berlin(2025, 3, 31, 10, 0)) == 2


def test_hours_between_accepts_mixed_time_zones(team_hours):
    start = datetime(2025, 6, 3, 8, 0, tzinfo=UTC)  # 10:00 Berlin
    end = datetime(2025, 6, 3, 6, 0, tzinfo=NEW_YORK)  # 12:00 Berlin
    assert team_hours.business_hours_between(start, end) == 2


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=0, max_value=60 * 200),
)
def test_adding_hours_and_counting_them_back_agree(start, minutes):
    calendar = BusinessCalendar(
        tz="Europe/Berlin", start=time(9), end=time(18), holidays=frozenset({date(2025, 12, 25)})
    )
    hours = minutes / 60
    deadline = calendar.add_business_hours(start, hours)
    assert deadline >= start
    assert calendar.business_hours_between(start, deadline) == pytest.approx(hours, abs=1e-6)


# --- construction ---------------------------------------------------------------------------------


def test_hours_must_end_after_they_start():
    with pytest.raises(ValueError, match="after they start"):
        BusinessCalendar(start=time(18), end=time(9))


def test_workdays_must_be_iso_weekdays():
    with pytest.raises(ValueError, match="ISO weekday"):
        BusinessCalendar(workdays=frozenset({0, 1}))
    with pytest.raises(ValueError, match="ISO weekday"):
        BusinessCalendar(workdays=frozenset())


def test_unknown_time_zones_are_refused():
    with pytest.raises(Exception, match="Mars"):
        BusinessCalendar(tz="Mars/Olympus_Mons")


def test_is_working_day(team_hours):
    assert team_hours.is_working_day(date(2025, 6, 3))
    assert not team_hours.is_working_day(date(2025, 6, 7))


# --- fiscal calendar --------------------------------------------------------------------------------


def test_calendar_year_fiscal_quarters():
    fiscal = FiscalCalendar(1)
    assert [fiscal.quarter(date(2025, m, 15)) for m in range(1, 13)] == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]
    assert fiscal.fiscal_year(date(2025, 12, 31)) == 2025
    assert fiscal.label(date(2025, 8, 1)) == "FY2025 Q3"


def test_april_fiscal_year_quarters():
    fiscal = FiscalCalendar(4)
    assert [fiscal.quarter(date(2025, m, 15)) for m in range(1, 13)] == [4, 4, 4, 1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_april_fiscal_year_is_named_by_the_year_it_ends():
    fiscal = FiscalCalendar(4)
    assert fiscal.fiscal_year(date(2025, 3, 31)) == 2025
    assert fiscal.fiscal_year(date(2025, 4, 1)) == 2026
    assert fiscal.label(date(2025, 4, 1)) == "FY2026 Q1"
    assert fiscal.label(date(2026, 2, 10)) == "FY2026 Q4"


def test_april_fiscal_year_last_month_of_quarter():
    fiscal = FiscalCalendar(4)
    last_months = [m for m in range(1, 13) if fiscal.is_last_month_of_quarter(date(2025, m, 1))]
    assert last_months == [3, 6, 9, 12]
    assert fiscal.is_last_month_of_quarter(date(2025, 6, 30))
    assert not fiscal.is_last_month_of_quarter(date(2025, 7, 1))


def test_february_fiscal_year_last_month_of_quarter():
    fiscal = FiscalCalendar(2)
    last_months = [m for m in range(1, 13) if fiscal.is_last_month_of_quarter(date(2025, m, 1))]
    assert last_months == [1, 4, 7, 10]


def test_month_of_quarter_counts_from_the_fiscal_start():
    fiscal = FiscalCalendar(4)
    assert [fiscal.month_of_quarter(date(2025, m, 1)) for m in (4, 5, 6, 7)] == [1, 2, 3, 1]


def test_april_fiscal_quarter_bounds():
    fiscal = FiscalCalendar(4)
    assert fiscal.quarter_bounds(date(2025, 5, 20)) == (date(2025, 4, 1), date(2025, 6, 30))
    assert fiscal.quarter_bounds(date(2026, 2, 28)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert fiscal.quarter_bounds(date(2025, 12, 1)) == (date(2025, 10, 1), date(2025, 12, 31))


def test_quarter_bounds_that_cross_a_calendar_year():
    fiscal = FiscalCalendar(11)
    assert fiscal.quarter(date(2025, 12, 15)) == 1
    assert fiscal.quarter_bounds(date(2025, 12, 15)) == (date(2025, 11, 1), date(2026, 1, 31))
    assert fiscal.quarter_bounds(date(2026, 1, 31)) == (date(2025, 11, 1), date(2026, 1, 31))
    assert fiscal.fiscal_year(date(2025, 11, 1)) == 2026


def test_quarter_bounds_handle_leap_years():
    fiscal = FiscalCalendar(12)
    assert fiscal.quarter_bounds(date(2024, 1, 10)) == (date(2023, 12, 1), date(2024, 2, 29))


@given(start_month=st.integers(1, 12), day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_day_lies_in_its_quarter_of_three_months(start_month, day):
    fiscal = FiscalCalendar(start_month)
    first, last = fiscal.quarter_bounds(day)
    assert first <= day <= last
    assert first.day == 1
    assert (last + timedelta(days=1)).day == 1
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    assert months == 3
    assert fiscal.quarter(first) == fiscal.quarter(last) == fiscal.quarter(day)
    assert fiscal.is_last_month_of_quarter(last)
    assert fiscal.month_of_quarter(first) == 1


def test_fiscal_start_month_must_be_a_month():
    for bad in (0, 13):
        with pytest.raises(ValueError, match=r"1\.\.12"):
            FiscalCalendar(bad)


def test_fiscal_calendar_reads_the_organisation(db):
    from accord.core.calendar import fiscal_calendar
    from accord.core.models import Organization

    org = Organization.current()
    org.fiscal_year_start_month = 4
    org.save()
    assert fiscal_calendar() == FiscalCalendar(4)


def test_the_current_fiscal_quarter_follows_the_organisations_year_start(db):
    import time_machine

    from accord.core.calendar import FiscalQuarter, fiscal_quarter_current
    from accord.core.models import Organization

    org = Organization.current()
    org.fiscal_year_start_month = 11
    org.save()
    with time_machine.travel(datetime(2026, 1, 31, 22, 0, tzinfo=UTC), tick=False):
        assert fiscal_quarter_current() == FiscalQuarter(date(2025, 11, 1), date(2026, 1, 31), "FY2026 Q1")
    assert fiscal_quarter_current(date(2026, 2, 1)) == FiscalQuarter(
        date(2026, 2, 1), date(2026, 4, 30), "FY2026 Q2"
    )
