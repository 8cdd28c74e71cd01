"""Each person's iCalendar feed: its secret URL, resetting it, and the .ics text built from
``accord.core.calendar_feed.calendar_entries`` (tasks, SLA deadlines, meetings: whatever apps registered).

A calendar app subscribes to the URL and polls it without signing in, so the URL carries a random secret,
compared in constant time. The feed covers 30 days back and 180 days ahead.
"""

from __future__ import annotations

import hmac
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from accord.core.calendar_feed import CalendarEntry, calendar_entries
from accord.core.events import event_record
from accord.people.models import CalendarFeed, User

FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=180)
RESET = "calendar_feed.reset"


def calendar_feed_for(*, user: User) -> CalendarFeed:
    """The person's feed, made with a fresh secret the first time it is asked for."""
    feed, _ = CalendarFeed.objects.get_or_create(user=user, defaults={"secret": CalendarFeed.new_secret()})
    return feed


@transaction.atomic
def calendar_feed_reset(*, user: User) -> CalendarFeed:
    """A new secret for the person's feed: the old URL stops working at once."""
    feed = calendar_feed_for(user=user)
    feed = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
    feed.secret = CalendarFeed.new_secret()
    feed.reset_at = timezone.now()
    feed.save(update_fields=["secret", "reset_at", "updated_at"])
    event_record(type=RESET, subject=user, actor=user, payload={"user": str(user)})
    return feed


def calendar_feed_path(*, user: User) -> str:
    feed = calendar_feed_for(user=user)
    return reverse("calendar_feed", kwargs={"user_id": user.pk, "secret": feed.secret})


def calendar_feed_url(*, user: User) -> str:
    """The absolute URL a calendar app subscribes to (built from ACCORD_SITE_URL)."""
    return f"{settings.SITE_URL}{calendar_feed_path(user=user)}"


def calendar_feed_owner(*, user_id: int, secret: str) -> User | None:
    """The active user whose feed ``secret`` opens, or None (wrong secret, reset feed, unknown user)."""
    feed = CalendarFeed.objects.select_related("user").filter(user_id=user_id, user__is_active=True).first()
    # compare_digest runs in constant time whatever the guess, so timing tells nothing about the secret.
    if feed is None or not hmac.compare_digest(feed.secret.encode(), (secret or "").encode()):
        return None
    return feed.user


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL}{url}" if url.startswith("/") else url


def _event(entry: CalendarEntry, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("summary", entry.title)
    event.add("dtstart", entry.starts_at)
    if entry.ends_at is not None:
        event.add("dtend", entry.ends_at)
    elif isinstance(entry.starts_at, date) and not isinstance(entry.starts_at, datetime):
        event.add("dtend", entry.starts_at + timedelta(days=1))
    url = _absolute(entry.url) if entry.url else ""
    description = "\n\n".join(part for part in (entry.description, url) if part)
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    if entry.categories:
        event.add("categories", list(entry.categories))
    return event


def calendar_feed_ics(*, user: User, now: datetime | None = None) -> bytes:
    """The person's calendar as iCalendar text."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Accord//Working day//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Accord: {user}")
    for entry in calendar_entries(user, now - FEED_PAST, now + FEED_AHEAD):
        calendar.add_component(_event(entry, now))
    return calendar.to_ical()
