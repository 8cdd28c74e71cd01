"""The committee's review deadline: two business days on the reviewers' team calendars.

Each reviewer gets two of their own working days (their team's hours, weekdays and holidays, from
``accord.people.selectors.user_calendar``): the deadline is the latest of theirs, so nobody's window is
cut short by a colleague's calendar. With no reviewer, the default calendar counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from accord.core.calendar import BusinessCalendar
from accord.people.models import User
from accord.people.selectors import default_calendar, user_calendar

REVIEW_BUSINESS_DAYS = 2


def working_day_hours(calendar: BusinessCalendar) -> float:
    """How many working hours one of the calendar's days has."""
    start = calendar.start.hour * 60 + calendar.start.minute
    end = calendar.end.hour * 60 + calendar.end.minute
    return (end - start) / 60


def business_days_after(calendar: BusinessCalendar, moment: datetime, days: int) -> datetime:
    """``days`` whole working days of ``calendar`` after ``moment`` (the same working hour, ``days``
    working days on; a moment outside hours counts from the next opening)."""
    return calendar.add_business_hours(moment, working_day_hours(calendar) * days)


def review_deadline(
    reviewers: Iterable[User], submitted_at: datetime, days: int = REVIEW_BUSINESS_DAYS
) -> datetime:
    calendars = [user_calendar(user) for user in reviewers] or [default_calendar()]
    return max(business_days_after(calendar, submitted_at, days) for calendar in calendars)
