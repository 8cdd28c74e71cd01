"""Each person's iCalendar feed behind a secret URL they can reset, and what ``/api/v1/me`` says."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from icalendar import Calendar

from accord.core import calendar_feed as feed_registry
from accord.core.calendar_feed import CalendarEntry, register_calendar_source
from accord.people.calendar_feeds import calendar_feed_for, calendar_feed_owner, calendar_feed_path

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def meetings():
    """A stand-in for an app above people registering a source (the planning app's meetings)."""

    def source(user, start, end):
        yield CalendarEntry(uid=f"meeting-1-{user.pk}@accord", title="Team meeting: spring tactics",
                            starts_at=datetime(2026, 3, 12, 14, 0, tzinfo=UTC),
                            ends_at=datetime(2026, 3, 12, 15, 0, tzinfo=UTC), url="/planning/meetings/1/")  # fmt: skip
        yield CalendarEntry(
            uid="launch-1@accord", title="Launch: webinar series", starts_at=date(2026, 3, 20)
        )

    register_calendar_source("test_meetings", source)
    yield
    feed_registry._sources.pop("test_meetings", None)


@time_machine.travel(NOW, tick=False)
def test_the_feed_is_an_icalendar_file_of_the_persons_entries(client, personas, meetings, settings):
    settings.SITE_URL = "https://accord.example"
    answer = client.get(calendar_feed_path(user=personas.bob))  # no sign-in: calendar apps cannot

    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    meeting = events[f"meeting-1-{personas.bob.pk}@accord"]
    assert str(meeting["summary"]) == "Team meeting: spring tactics"
    assert meeting.decoded("dtstart") == datetime(2026, 3, 12, 14, 0, tzinfo=UTC)
    assert str(meeting["url"]) == "https://accord.example/planning/meetings/1/"
    launch = events["launch-1@accord"]
    assert launch.decoded("dtstart") == date(2026, 3, 20) and launch.decoded("dtend") == date(2026, 3, 21)


def test_a_wrong_or_reset_secret_opens_nothing(client, personas):
    old = calendar_feed_path(user=personas.bob)
    feed = calendar_feed_for(user=personas.bob)
    assert client.get(old.replace(feed.secret, feed.secret[:-1] + "x")).status_code == 404
    # Bob's secret does not open Carol's calendar.
    assert client.get(old.replace(f"/{personas.bob.pk}/", f"/{personas.carol.pk}/")).status_code == 404
    assert calendar_feed_owner(user_id=personas.bob.pk, secret="") is None

    client.force_login(personas.bob)
    assert client.get("/account/calendar/").status_code == 200
    assert client.post("/account/calendar/").status_code == 302
    client.logout()

    assert client.get(old).status_code == 404
    assert client.get(calendar_feed_path(user=personas.bob)).status_code == 200


def test_a_deactivated_persons_feed_is_closed(client, personas):
    path = calendar_feed_path(user=personas.bob)
    personas.bob.is_active = False
    personas.bob.save()
    assert client.get(path).status_code == 404


def test_me_names_the_person_and_gives_their_feed_url(api_client_for, personas, settings):
    settings.SITE_URL = "https://accord.example"
    body = api_client_for(personas.bob).get("/api/v1/me").json()
    assert body["id"] == personas.bob.pk and body["name"] == str(personas.bob)
    assert body["roles"] == ["sales_rep"] and body["team"] == "Team Health"
    assert body["calendar_feed_url"] == "https://accord.example" + calendar_feed_path(user=personas.bob)


def test_the_calendar_page_shows_the_address_to_subscribe_to(client, personas):
    client.force_login(personas.carol)
    page = client.get("/account/calendar/")
    assert calendar_feed_path(user=personas.carol).encode() in page.content
