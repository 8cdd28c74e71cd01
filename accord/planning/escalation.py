"""Who decides a disagreement at each level, and when each level's time is up (business days)."""

from __future__ import annotations

from datetime import datetime, timedelta

from accord.core.calendar import BusinessCalendar
from accord.people.models import User
from accord.people.selectors import user_calendar


def decision_chain(raised_by: User, sponsor: User | None) -> list[User]:
    """The people a disagreement climbs to, in order: the raiser's manager (their own, else their team's
    manager), that person's, and so on up, then the plan's executive sponsor. Cycles are cut."""
    chain: list[User] = []
    seen = {raised_by.pk}
    current: User | None = raised_by
    while current is not None:
        above = current.manager
        if above is None and current.team_id and current.team and current.team.manager_id:
            above = current.team.manager
        if above is None or above.pk in seen:
            break
        chain.append(above)
        seen.add(above.pk)
        current = above
    if sponsor is not None and sponsor.pk not in seen:
        chain.append(sponsor)
    return chain


def add_business_days(calendar: BusinessCalendar, moment: datetime, days: int) -> datetime:
    """The moment ``days`` working days after ``moment``, counted in working hours of ``calendar`` (a
    full working day each), so weekends and the team's holidays do not count and a disagreement raised
    on Friday afternoon is due on Wednesday afternoon with three days."""
    hours_per_day = (
        timedelta(hours=calendar.end.hour, minutes=calendar.end.minute)
        - timedelta(hours=calendar.start.hour, minutes=calendar.start.minute)
    ).total_seconds() / 3600
    return calendar.add_business_hours(moment, hours_per_day * days)


def due_for(assignee: User, moment: datetime, days: int) -> datetime:
    """When the level ``assignee`` decides at is due: ``days`` business days of their team's calendar."""
    return add_business_days(user_calendar(assignee), moment, days)
