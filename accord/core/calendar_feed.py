"""What a person's calendar holds: each app adds its own entries, the feed (an iCalendar file behind a
secret URL) and the pages read them all through ``calendar_entries``.

Apps register a source in their AppConfig.ready, so core names no app::

    from accord.core.calendar_feed import CalendarEntry, register_calendar_source

    def launches_for(user, start, end):
        yield CalendarEntry(uid=f"launch-{c.pk}@accord", title=..., starts_at=..., url=...)

    register_calendar_source("launches", launches_for)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalendarEntry:
    """One event or deadline. ``starts_at`` is an aware datetime, or a date for an all-day entry."""

    uid: str  # stable across feeds, e.g. "task-12@accord": calendars update the entry instead of adding one
    title: str
    starts_at: datetime | date
    ends_at: datetime | date | None = None
    description: str = ""
    url: str = ""  # a path in Accord ("/leads/4/"); the feed makes it absolute with ACCORD_SITE_URL
    kind: str = ""  # the source's name, filled in by calendar_entries
    categories: tuple[str, ...] = field(default_factory=tuple)


# source(user, start, end) -> the entries of that user between start and end
CalendarSource = Callable[[Any, datetime, datetime], Iterable[CalendarEntry]]

_sources: dict[str, CalendarSource] = {}


def register_calendar_source(name: str, source: CalendarSource) -> CalendarSource:
    """Add ``source`` to every person's calendar under ``name``; registering a name again replaces it."""
    _sources[name] = source
    return source


def calendar_source_names() -> list[str]:
    return list(_sources)


def calendar_entries(user: Any, start: datetime, end: datetime) -> list[CalendarEntry]:
    """Every registered source's entries for ``user`` between ``start`` and ``end``, sorted by start.
    A source that fails is logged and left out, so one broken app does not empty the calendar."""
    entries: list[CalendarEntry] = []
    for name, source in _sources.items():
        try:
            for entry in source(user, start, end):
                entries.append(entry if entry.kind else _with_kind(entry, name))
        except Exception:
            log.exception("calendar source %s failed for user %s", name, getattr(user, "pk", user))
    return sorted(entries, key=_sort_key)


def _with_kind(entry: CalendarEntry, kind: str) -> CalendarEntry:
    from dataclasses import replace

    return replace(entry, kind=kind)


def _sort_key(entry: CalendarEntry) -> tuple[str, str]:
    value = entry.starts_at
    return (value.isoformat() if isinstance(value, datetime) else f"{value.isoformat()}T00:00", entry.uid)
