"""The planning pages fit a 390 px phone: no page scrolls sideways (wide tables scroll inside their box)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_planning_pages_fit_a_phone(page, live_server, personas, sign_in):
    from datetime import date

    from accord.planning.services import disagreement_raise, goal_create, meeting_create, profile_create
    from accord.planning.tests.factories import plan_previewed

    plan, preview = plan_previewed(personas, sponsor=personas.eve)
    sales = goal_create(
        actor=personas.sam,
        side="sales",
        title="New revenue from hospital groups this quarter",
        metric="won_revenue",
        target=750000,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 3, 31),
        owner=personas.sam,
        plan=plan,
    )
    goal_create(
        actor=personas.alice,
        side="marketing",
        title="Sales-qualified leads for hospital groups",
        metric="sqls",
        target=250,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 3, 31),
        owner=personas.alice,
        serves=[sales],
        plan=plan,
    )
    d = disagreement_raise(
        item=plan.versions.get(kind="plan").items.get(key="sqls"),
        actor=personas.bob,
        body="Too many for three reps to follow up within the SLA.",
        preview=preview,
    )
    from django.utils import timezone

    meeting = meeting_create(
        actor=personas.mona, kind="pre_planning", title="", starts_at=timezone.now(), plan=plan
    )
    profile = profile_create(
        actor=personas.alice, name="Hospital groups", industries="Healthcare", min_size=200
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, personas.mona, personas.password)
    for path in (
        "/planning/",
        "/planning/goals/",
        f"/planning/plans/{plan.pk}/",
        f"/planning/plans/{plan.pk}/diff/",
        f"/planning/previews/{preview.pk}/",
        f"/planning/disagreements/{d.pk}/",
        "/planning/meetings/",
        f"/planning/meetings/{meeting.pk}/",
        "/planning/promises/",
        f"/planning/profiles/{profile.pk}/",
        "/planning/calendar/",
        "/planning/statement/",
    ):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width}px wide on a 390px phone"
