"""The seams apps above core use to add to shared things: notification kinds, calendar entries, nav links."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from accord.core import calendar_feed
from accord.core.calendar_feed import CalendarEntry, calendar_entries, register_calendar_source
from accord.core.notify import (
    NotificationKind,
    notification_kind_label,
    notification_kinds,
    notify,
    register_notification_kind,
)


def test_a_registered_kind_is_listed_with_its_label_after_the_built_in_ones():
    register_notification_kind("test_kind", "A test kind")
    kinds = notification_kinds()
    assert kinds[: len(NotificationKind.choices)] == list(NotificationKind.choices)
    assert ("test_kind", "A test kind") in kinds
    assert notification_kind_label("test_kind") == "A test kind"
    assert notification_kind_label("sla_breach") == "SLA deadline missed"


def test_a_kind_cannot_be_redefined_or_too_long():
    with pytest.raises(ImproperlyConfigured, match="already defined"):
        register_notification_kind("sla_breach", "Something else")
    with pytest.raises(ImproperlyConfigured, match="longer than 32"):
        register_notification_kind("x" * 33, "Too long")


def test_notify_refuses_a_kind_nobody_registered():
    with pytest.raises(ImproperlyConfigured, match="unknown notification kind 'never_registered'"):
        notify(user=None, kind="never_registered", subject="s", body="b")


def test_calendar_entries_come_from_every_source_sorted_and_a_failing_source_is_left_out(monkeypatch):
    monkeypatch.setattr(calendar_feed, "_sources", {})
    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)

    def tasks(user, since, until):
        assert (since, until) == (start, end)
        yield CalendarEntry(
            uid="task-1@accord", title="Call back", starts_at=datetime(2027, 1, 5, 9, tzinfo=UTC)
        )

    def launches(user, since, until):
        return [CalendarEntry(uid="launch-1@accord", title="Launch", starts_at=date(2027, 1, 3))]

    def broken(user, since, until):
        raise RuntimeError("boom")

    register_calendar_source("tasks", tasks)
    register_calendar_source("launches", launches)
    register_calendar_source("broken", broken)
    entries = calendar_entries(object(), start, end)
    assert [(e.title, e.kind) for e in entries] == [("Launch", "launches"), ("Call back", "tasks")]


def test_registered_nav_links_go_after_their_anchor(monkeypatch):
    from accord.people import navigation
    from accord.people.navigation import NavLink, all_nav_links, register_nav_link

    monkeypatch.setattr(navigation, "_registered", [])
    register_nav_link(NavLink("Plans", "/planning/"), after="Campaigns")
    register_nav_link(NavLink("Library", "/library/"))
    labels = [link.label for link in all_nav_links()]
    assert labels[labels.index("Campaigns") + 1] == "Plans"
    assert labels[labels.index("Glossary") - 1] == "Library"
