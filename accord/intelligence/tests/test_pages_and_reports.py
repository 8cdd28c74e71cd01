"""Field reports and corroboration, ride-alongs, the collaboration panel, and every page for its readers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accord.core.collaboration import (
    CollaborationFigure,
    FigureValue,
    TraceTable,
    register_collaboration_figure,
)
from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.intelligence import services
from accord.intelligence.models import FieldReport, RideAlong
from accord.intelligence.selectors import field_report_themes

NOW = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


def test_a_report_is_anecdotal_until_another_rep_or_a_source_backs_it(personas, api_client_for):
    r = api_client_for(personas.bob).post(
        "/api/v1/field-reports",
        {"topic": "competitor", "competitor": "Medica", "summary": "Medica gives implementation away"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["corroborated"] is False
    first = FieldReport.objects.get(pk=r.json()["id"])
    with pytest.raises(ApplicationError, match="another person"):
        services.field_report_create(
            user=personas.bob, topic="competitor", competitor="Medica", summary="again", corroborates=first
        )
    r = api_client_for(personas.carol).post(
        "/api/v1/field-reports",
        {
            "topic": "competitor",
            "competitor": "Medica",
            "summary": "Same offer heard",
            "corroborates": first.pk,
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    first.refresh_from_db()
    assert first.corroborated
    sourced = services.field_report_create(
        user=personas.bob, topic="buzz", summary="Analyst note", source_url="https://example.com/note"
    )
    assert sourced.corroborated


def test_customer_research_is_marketings_and_backs_a_reps_report(personas, api_client_for):
    r = api_client_for(personas.bob).post(
        "/api/v1/field-reports",
        {"topic": "buzz", "origin": "trade_show", "summary": "Booth talk"},
        content_type="application/json",
    )
    assert r.status_code == 403
    rumour = services.field_report_create(
        user=personas.bob, topic="product", product="App", summary="Offline wanted"
    )
    research = services.field_report_create(
        user=personas.alice,
        topic="product",
        product="App",
        origin="service_call",
        summary="Support hears it too",
    )
    services.field_report_corroborate(user=personas.alice, report=rumour, by_report=research)
    rumour.refresh_from_db()
    assert rumour.corroborated
    [theme] = [t for t in field_report_themes() if t.tag == "App"]
    assert (theme.reports, theme.corroborated, theme.people) == (2, 1, 2)


def test_a_ride_along_request_is_accepted_declined_or_expires(
    personas, run_due_tasks, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        asked = services.ride_along_request(user=personas.bob, reason="Hospital CFO call")
        with pytest.raises(AccessDenied):
            services.ride_along_decide(user=personas.carol, ride_along_id=asked.pk, accept=True)
        with pytest.raises(ApplicationError, match="why"):
            services.ride_along_decide(user=personas.alice, ride_along_id=asked.pk, accept=False)
        accepted = services.ride_along_decide(user=personas.alice, ride_along_id=asked.pk, accept=True)
        assert (accepted.status, accepted.marketer) == ("accepted", personas.alice)
        with pytest.raises(Conflict):
            services.ride_along_decide(user=personas.mona, ride_along_id=asked.pk, accept=True)
        done = services.ride_along_complete(
            user=personas.alice,
            ride_along_id=asked.pk,
            notes="CFO worries about migration\nmore",
            topic="objection",
        )
        assert done.status == "done"
        assert FieldReport.objects.get(ride_along=done).summary == "CFO worries about migration"
        with django_capture_on_commit_callbacks(execute=True):
            late = services.ride_along_request(user=personas.carol, reason="Need help")
    with time_machine.travel(NOW + timedelta(hours=25), tick=False):
        run_due_tasks()
    late.refresh_from_db()
    assert late.status == "expired"


def test_an_answer_after_the_deadline_expires_the_request_and_tells_the_rep(personas):
    from accord.notifications.models import Notification

    with time_machine.travel(NOW, tick=False):
        asked = services.ride_along_request(user=personas.bob, reason="Hospital CFO call")
    # The deadline task has not run yet (no worker): the late answer expires it itself, and it stays so.
    with (
        time_machine.travel(NOW + timedelta(hours=25), tick=False),
        pytest.raises(Conflict, match="time to answer has passed"),
    ):
        services.ride_along_decide(user=personas.alice, ride_along_id=asked.pk, accept=True)
    asked.refresh_from_db()
    assert (asked.status, asked.marketer) == ("expired", None)
    assert Notification.objects.filter(user=personas.bob, subject__contains="answered in time").count() == 1


def test_the_rotation_gives_each_marketer_one_rep_a_quarter(personas, make_rep):
    with time_machine.travel(NOW, tick=False):
        first = services.rotation_propose(user=personas.mona, on=date(2026, 5, 12))
        assert [r.marketer for r in first] == [personas.alice]
        assert services.rotation_propose(user=personas.mona, on=date(2026, 5, 12)) == []
        nxt = services.rotation_propose(user=personas.mona, on=date(2026, 8, 12))
    assert nxt[0].rep != first[0].rep  # the rep visited least is next
    with pytest.raises(AccessDenied):
        services.rotation_propose(user=personas.alice)
    assert RideAlong.objects.count() == 2


def test_the_panel_shows_figures_with_the_previous_quarter_and_traces_them(personas, client_for, lead_for):
    from accord.sla.services import touch_log

    lead = lead_for(personas.bob)
    with time_machine.travel(NOW, tick=False):
        question = services.research_question_create(
            user=personas.alice, text="Competitor?", options=["Yes", "No"], activate=True
        )
        touch_log(
            lead=lead, user=personas.bob, kind="call", answers=[{"question": question.pk, "option": "Yes"}]
        )
        touch_log(lead=lead, user=personas.bob, kind="call")
        client = client_for(personas.eve)
        page = client.get("/intelligence/collaboration/").content.decode()
        assert "Calls and meetings with research answers" in page and "50%" in page
        trace = client.get("/intelligence/collaboration/research_response_rate/").content.decode()
        assert trace.count(f"/leads/{lead.pk}/") == 2
        team_page = client.get(f"/intelligence/collaboration/?team={personas.finance.pk}").content.decode()
        assert "50%" not in team_page
    assert client_for(personas.bob).get("/intelligence/collaboration/").status_code == 403


def test_an_app_adds_its_own_figure_to_the_panel(personas, client_for):
    register_collaboration_figure(
        CollaborationFigure(
            "test_promises",
            "Promises kept on time",
            compute=lambda scope: FigureValue(0.75, "percent", 4),
            trace=lambda scope: TraceTable(["Promise"], [(["Send the deck"], "")]),
            order=60,
        )
    )
    try:
        page = client_for(personas.mona).get("/intelligence/collaboration/").content.decode()
        assert "Promises kept on time" in page and "75%" in page
        trace = client_for(personas.mona).get("/intelligence/collaboration/test_promises/").content.decode()
        assert "Send the deck" in trace
    finally:
        from accord.core import collaboration

        collaboration._figures.pop("test_promises", None)


PAGES = [
    "/intelligence/",
    "/intelligence/surveys/",
    "/intelligence/reports/",
    "/intelligence/ride-alongs/",
    "/knowledge/",
]


@pytest.mark.parametrize("who", ["bob", "alice", "mona", "eve", "root", "mike"])
def test_every_page_opens_for_every_role(personas, client_for, who, question):
    client = client_for(getattr(personas, who))
    for url in [*PAGES, f"/intelligence/questions/{question.pk}/"]:
        assert client.get(url).status_code == 200, url


def test_marketing_writes_a_question_from_the_page_and_reps_cannot(personas, client_for):
    r = client_for(personas.alice).post(
        "/intelligence/questions/new", {"text": "Budget?", "options": "Yes\nNo"}
    )
    assert r.status_code == 302
    r = client_for(personas.bob).post(
        "/intelligence/questions/new", {"text": "Mine?", "options": "Yes\nNo"}, follow=True
    )
    assert "Only" in r.content.decode()


def test_an_accepted_ride_along_is_in_both_calendars(personas):
    from accord.core.calendar_feed import calendar_entries

    with time_machine.travel(NOW, tick=False):
        asked = services.ride_along_request(user=personas.bob, reason="Hospital CFO call")
        services.ride_along_decide(
            user=personas.alice, ride_along_id=asked.pk, accept=True, call_on=date(2026, 5, 20)
        )
    for user in (personas.alice, personas.bob):
        entries = calendar_entries(user, NOW, NOW + timedelta(days=30))
        assert [e.uid for e in entries if e.kind == "intelligence"] == [f"ride-along-{asked.pk}@accord"]
    assert not [
        e for e in calendar_entries(personas.carol, NOW, NOW + timedelta(days=30)) if e.kind == "intelligence"
    ]
