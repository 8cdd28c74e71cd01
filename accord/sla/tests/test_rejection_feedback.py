"""Rejection feedback for marketing: counts by reason, source, campaign and criteria version, with notes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from accord.core.errors import AccessDenied
from accord.leads.services import source_create
from accord.sla import services
from accord.sla.models import RejectionReason
from accord.sla.selectors import rejection_feedback_for

WHEN = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def rejections(personas, make_lead):
    webinar = source_create(name="Webinar form")
    with time_machine.travel(WHEN, tick=False):
        for reason, campaign, note, source in (
            (RejectionReason.NOT_A_FIT, "spring-webinar", "", webinar),
            (RejectionReason.NOT_A_FIT, "spring-webinar", "retail, not health", webinar),
            (RejectionReason.OTHER, "ebook", "a student", None),
        ):
            lead = make_lead(owner=personas.bob, utm_campaign=campaign, source=source)
            services.sla_start_for_assignment(lead=lead, assigned_at=WHEN)
            services.lead_reject(lead=lead, user=personas.bob, reason=reason, note=note)
    with time_machine.travel(datetime(2026, 5, 5, 10, tzinfo=UTC), tick=False):
        lead = make_lead(owner=personas.bob)
        services.lead_reject(lead=lead, user=personas.bob, reason=RejectionReason.DUPLICATE)
    return personas


def test_rejections_are_counted_four_ways_with_the_notes(rejections, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        feedback = rejection_feedback_for(
            user=rejections.alice, start=date(2026, 3, 1), end=date(2026, 3, 31)
        )

    assert feedback.total == 3
    assert feedback.by_reason == [("Not a fit", 2), ("Other (note required)", 1)]
    assert feedback.by_source == [("Webinar form", 2), ("(no source)", 1)]
    assert feedback.by_campaign == [("spring-webinar", 2), ("ebook", 1)]
    assert feedback.by_criteria_version == [("(no criteria version)", 3)]
    assert sorted(n.note for n in feedback.notes) == ["a student", "retail, not health"]
    assert {n.rep for n in feedback.notes} == {str(rejections.bob)}


def test_a_rep_may_not_read_rejection_feedback(rejections):
    with pytest.raises(AccessDenied):
        rejection_feedback_for(user=rejections.bob, start=date(2026, 3, 1), end=date(2026, 3, 31))


@pytest.mark.parametrize(
    "who,status",
    [("alice", 200), ("mona", 200), ("sam", 200), ("eve", 200), ("root", 200), ("bob", 403), ("mike", 403)],
)
def test_the_page_is_for_marketing_heads_executives_and_admins(client, rejections, who, status):
    client.login(username=who, password=rejections.password)
    assert client.get("/feedback/rejections/").status_code == status


def test_the_page_shows_the_period_asked_for(client, rejections):
    client.login(username="alice", password=rejections.password)

    html = client.get("/feedback/rejections/?period=custom&start=2026-03-01&end=2026-03-31").content.decode()

    assert "3 rejections" in html
    assert "retail, not health" in html
    assert "spring-webinar" in html
    may = client.get("/feedback/rejections/?period=month&on=2026-05-10").content.decode()
    assert "1 rejection" in may and "Duplicate" in may


def test_the_navigation_offers_each_role_its_pages(client, personas):
    client.login(username="bob", password=personas.password)
    html = client.get("/inbox/").content.decode()
    assert 'href="/inbox/"' in html and 'href="/scorecards/"' not in html
    client.login(username="alice", password=personas.password)
    html = client.get("/leads/").content.decode()
    assert 'href="/feedback/rejections/"' in html and 'href="/inbox/"' not in html
    client.login(username="mike", password=personas.password)
    html = client.get("/inbox/").content.decode()
    assert 'href="/scorecards/"' in html
