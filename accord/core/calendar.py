"""Business-hours and fiscal-calendar arithmetic. Nothing else in Accord re-computes these inline.

All datetimes in and out are aware; the calendar works in its own time zone and answers in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours of one team: a time zone, a daily window, working weekdays and holidays.

    ``workdays`` uses ISO weekday numbers (1 = Monday ... 7 = Sunday).
    """

    tz: str = "UTC"
    start: time = time(9, 0)
    end: time = time(17, 0)
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"working hours end ({self.end}) must be after they start ({self.start})")
        if not self.workdays or not self.workdays <= {1, 2, 3, 4, 5, 6, 7}:
            raise ValueError("workdays must be a non-empty set of ISO weekday numbers 1..7")
        ZoneInfo(self.tz)  # raises for an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def is_working_day(self, day: date) -> bool:
        return day.isoweekday() in self.workdays and day not in self.holidays

    def _window(self, day: date) -> tuple[datetime, datetime]:
        """The day's working window in UTC.

        Arithmetic is done in UTC because Python adds and subtracts datetimes that share a tzinfo
        on the wall clock: across a DST change inside the window that miscounts the hour gained or
        lost, and can land on a local time that does not exist.
        """
        zone = self.zone
        return (
            datetime.combine(day, self.start, zone).astimezone(UTC),
            datetime.combine(day, self.end, zone).astimezone(UTC),
        )

    def _next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        for _ in range(3660):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day in the next ten years: check the calendar's holidays")

    def add_business_hours(self, moment: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``moment`` (which may fall outside hours), in UTC.

        A moment outside working hours starts counting at the next window's opening.
        """
        if moment.tzinfo is None:
            raise ValueError("add_business_hours needs an aware datetime")
        if hours < 0:
            raise ValueError("add_business_hours counts forward only: hours must not be negative")
        remaining = timedelta(hours=hours)
        instant = moment.astimezone(UTC)
        day = instant.astimezone(self.zone).date()
        if not self.is_working_day(day):
            day = self._next_working_day(day)
            cursor = self._window(day)[0]
        else:
            start, end = self._window(day)
            if instant >= end:
                day = self._next_working_day(day)
                cursor = self._window(day)[0]
            else:
                cursor = max(instant, start)
        while True:
            _, end = self._window(day)
            available = end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
            day = self._next_working_day(day)
            cursor = self._window(day)[0]

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours elapsed from ``start`` to ``end`` (0 when end is not after start)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("business_hours_between needs aware datetimes")
        if end <= start:
            return 0.0
        total = timedelta()
        start_utc, end_utc = start.astimezone(UTC), end.astimezone(UTC)
        day = start_utc.astimezone(self.zone).date()
        last = end_utc.astimezone(self.zone).date()
        while day <= last:
            if self.is_working_day(day):
                w_start, w_end = self._window(day)
                lo, hi = max(w_start, start_utc), min(w_end, end_utc)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total.total_seconds() / 3600


@dataclass(frozen=True)
class FiscalCalendar:
    """The company's fiscal year: it starts on the first day of ``start_month``."""

    start_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise ValueError("fiscal year start month must be 1..12")

    def fiscal_year(self, day: date) -> int:
        """Fiscal years are named by the calendar year in which they end."""
        if self.start_month == 1:
            return day.year
        return day.year + 1 if day.month >= self.start_month else day.year

    def quarter(self, day: date) -> int:
        offset = (day.month - self.start_month) % 12
        return offset // 3 + 1

    def month_of_quarter(self, day: date) -> int:
        return (day.month - self.start_month) % 12 % 3 + 1

    def quarter_bounds(self, day: date) -> tuple[date, date]:
        """First and last day of the fiscal quarter containing ``day``."""
        back = self.month_of_quarter(day) - 1
        year, month = day.year, day.month - back
        while month < 1:
            month += 12
            year -= 1
        first = date(year, month, 1)
        end_month, end_year = month + 3, year
        if end_month > 12:
            end_month -= 12
            end_year += 1
        return first, date(end_year, end_month, 1) - timedelta(days=1)

    def is_last_month_of_quarter(self, day: date) -> bool:
        return self.month_of_quarter(day) == 3

    def label(self, day: date) -> str:
        return f"FY{self.fiscal_year(day)} Q{self.quarter(day)}"


def calendar_from_days(days: Iterable[date]) -> frozenset[date]:
    return frozenset(days)


def fiscal_calendar() -> FiscalCalendar:
    """The organisation's fiscal calendar."""
    from accord.core.models import Organization

    return FiscalCalendar(Organization.current().fiscal_year_start_month)


@dataclass(frozen=True)
class FiscalQuarter:
    """One fiscal quarter: its first and last day (inclusive) and its name ('FY2027 Q1')."""

    first: date
    last: date
    label: str


def fiscal_quarter_current(today: date | None = None) -> FiscalQuarter:
    """The organisation's fiscal quarter containing ``today`` (default: today in the site's time zone):
    what a report answers for when no period is given."""
    from django.utils import timezone

    day = today or timezone.localdate()
    calendar = fiscal_calendar()
    first, last = calendar.quarter_bounds(day)
    return FiscalQuarter(first, last, calendar.label(day))
