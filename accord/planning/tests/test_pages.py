"""Every planning page renders for the people who read it, and the forms write through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from accord.planning.tests.factories import plan_previewed

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(personas):
    from accord.planning.services import (
        disagreement_raise,
        goal_create,
        meeting_create,
        profile_create,
        promise_make,
    )

    plan, preview = plan_previewed(personas, sponsor=personas.eve)
    item = plan.versions.get(kind="plan").items.get(key="sqls")
    sales = goal_create(
        actor=personas.sam,
        side="sales",
        title="Revenue",
        metric="won_revenue",
        target=100000,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 3, 31),
        owner=personas.sam,
        plan=plan,
    )
    goal_create(
        actor=personas.alice,
        side="marketing",
        title="SQLs",
        metric="sqls",
        target=40,
        serves=[sales],
        period_start=date(2027, 1, 1),
        period_end=date(2027, 3, 31),
        owner=personas.alice,
        plan=plan,
    )
    d = disagreement_raise(item=item, actor=personas.bob, body="Too many", preview=preview)
    meeting = meeting_create(
        actor=personas.mona,
        kind="pre_planning",
        title="Pre-planning",
        plan=plan,
        starts_at=datetime(2027, 1, 5, 10, tzinfo=UTC),
        attendees=[personas.mona, personas.sam],
    )
    promise = promise_make(
        actor=personas.alice,
        title="Battlecards by March",
        owner=personas.alice,
        due_on=date(2027, 3, 1),
        meeting=meeting,
    )
    profile = profile_create(
        actor=personas.alice, name="Mid-size hospitals", industries="Healthcare", min_size=200
    )
    return plan, preview, d, meeting, promise, profile


def test_every_page_renders_for_marketing_and_a_rep(personas, client_for, planned):
    plan, preview, d, meeting, _promise, profile = planned
    pages = [
        "/planning/",
        "/planning/goals/",
        f"/planning/plans/{plan.pk}/",
        f"/planning/plans/{plan.pk}/diff/",
        f"/planning/previews/{preview.pk}/",
        f"/planning/disagreements/{d.pk}/",
        "/planning/meetings/",
        f"/planning/meetings/{meeting.pk}/",
        "/planning/promises/",
        "/planning/profiles/",
        f"/planning/profiles/{profile.pk}/",
        "/planning/calendar/",
        "/planning/statement/",
    ]
    for user in (personas.alice, personas.bob, personas.mike):
        client = client_for(user)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, (user, url, response.status_code)
    assert client_for(personas.alice).get("/planning/plans/new/").status_code == 200
    assert client_for(personas.bob).get("/planning/plans/new/").status_code == 403
    page = client_for(personas.mike).get(f"/planning/previews/{preview.pk}/").content.decode()
    assert "mark-preview-done" in page and "Warm leads in your vertical" in page
    assert (
        "mark-preview-done"
        not in client_for(personas.bob).get(f"/planning/previews/{preview.pk}/").content.decode()
    )
    # Reps do not see revenue figures on the plan page (they are internal to the revenue readers).
    assert "roi-campaign" not in client_for(personas.bob).get(f"/planning/plans/{plan.pk}/").content.decode()
    assert "roi-campaign" in client_for(personas.alice).get(f"/planning/plans/{plan.pk}/").content.decode()


def test_a_goal_form_without_a_number_says_what_is_missing(personas, client_for):
    response = client_for(personas.alice).post(
        "/planning/goals/",
        {
            "side": "marketing",
            "metric": "mqls",
            "owner": personas.alice.pk,
            "period_start": "2027-01-01",
            "period_end": "2027-03-31",
        },
        follow=True,
    )
    assert "a number (the target) is missing" in response.content.decode()


def test_the_statement_is_one_s_own_or_of_those_one_manages(personas, client_for, planned):
    assert client_for(personas.bob).get(f"/planning/statement/?person={personas.carol.pk}").status_code == 403
    assert (
        client_for(personas.mike).get(f"/planning/statement/?person={personas.carol.pk}").status_code == 200
    )
    csv = client_for(personas.mike).get(
        f"/planning/statement.csv?person={personas.bob.pk}&start=2027-01-01&end=2027-03-31"
    )
    assert csv.status_code == 200
    assert csv.content.decode().splitlines()[0] == "person,from,to,figure,value,internal,record,link"


def test_the_shareable_export_has_no_revenue(personas, client_for, planned):
    plan = planned[0]
    body = client_for(personas.alice).get(f"/planning/plans/{plan.pk}/shareable.csv").content.decode()
    assert "People reached" in body and "revenue results are reported by sales" in body
    assert "Revenue" not in body.replace("revenue results are reported by sales", "")


def test_the_calendar_shows_launches_meetings_and_deadlines(personas, client_for, planned):
    import time_machine

    from accord.campaigns.models import Campaign

    Campaign.objects.create(
        name="Spring launch",
        is_launch=True,
        start_date=date(2027, 1, 12),
        benefit_for_sales="Warm leads",
        override_reason="",
    )
    d = planned[2]
    d.due_at = datetime(2027, 1, 6, 15, tzinfo=UTC)
    d.save()
    with time_machine.travel(datetime(2027, 1, 4, 9, tzinfo=UTC), tick=False):
        page = client_for(personas.alice).get("/planning/calendar/").content.decode()
        mona = client_for(personas.mona).get("/planning/calendar/").content.decode()
        mike = client_for(personas.mike).get("/planning/calendar/").content.decode()
    assert "Launch: Spring launch" in page and "What&#x27;s in it for sales: Warm leads" in page
    assert "Promised to sales: Battlecards by March" in page
    assert "Pre-planning" in mona
    assert "Decide: disagreement on SQLs" in mike


def test_a_plan_s_fiscal_year_follows_the_organisation_s_start_month(db):
    from accord.core.models import Organization
    from accord.planning.views import fiscal_year_bounds

    assert fiscal_year_bounds(2027) == (date(2027, 1, 1), date(2027, 12, 31))
    org = Organization.current()
    org.fiscal_year_start_month = 7
    org.save()
    assert fiscal_year_bounds(2027) == (date(2026, 7, 1), date(2027, 6, 30))
