"""Marketing submits the plan to a sales team; the team lead comments and disagrees; the disagreement
waits its business days, climbs the chain and is resolved; then the plan is published."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_disagreement_in_a_preview_climbs_is_resolved_and_the_plan_is_published(
    page, live_server, personas, sign_in, sign_out
):
    from accord.planning.models import Disagreement
    from accord.planning.services import disagreements_escalate_due
    from accord.planning.tests.factories import plan_make

    plan = plan_make(personas, days=2, sponsor=personas.eve)

    # Marketing submits the plan to Team Health.
    sign_in(page, personas.mona, personas.password)
    page.goto(f"{live_server.url}/planning/plans/{plan.pk}/")
    page.check(f"#previews-form input[name=teams][value='{personas.health.pk}']")
    page.click("#submit-to-sales")
    page.wait_for_selector("#previews a:has-text('Team Health')")
    preview = plan.previews.get()
    sign_out(page)

    # The team lead comments on one item and disagrees with another.
    sign_in(page, personas.mike, personas.password)
    page.goto(f"{live_server.url}/planning/previews/{preview.pk}/")
    page.fill("#item-webinars textarea[name=body]", "We can bring customers to the webinars.")
    page.click("#comment-webinars")
    page.wait_for_selector("#item-webinars .timeline-item:has-text('bring customers')")
    page.click("#item-sqls details summary")
    page.fill("#item-sqls details textarea[name=body]", "400 SQLs is more than the team can work.")
    page.click("#disagree-sqls")
    page.wait_for_selector("#item-sqls .timeline-item:has-text('Disagreement')")
    d = Disagreement.objects.get()
    assert (d.assignee, d.level) == (personas.sam, 1)  # Mike's manager decides first
    page.click("#mark-preview-done")
    page.wait_for_selector("#preview-done")
    sign_out(page)

    # Time passes: the sales head lets the due date go by (two business days of his calendar), and the
    # periodic sweep climbs the disagreement to the plan's executive sponsor.
    with time_machine.travel(d.due_at - timedelta(minutes=1), tick=False):
        assert disagreements_escalate_due() == 0
    later = time_machine.travel(d.due_at + timedelta(minutes=1), tick=True)
    later.start()
    try:
        assert disagreements_escalate_due() == 1
        d.refresh_from_db()
        assert (d.assignee, d.level) == (personas.eve, 2)
        _resolve_and_publish(page, live_server, personas, sign_in, sign_out, d, plan)
    finally:
        later.stop()
    assert [s.kind for s in Disagreement.objects.get().steps.all()] == ["raised", "escalated", "resolved"]


def _resolve_and_publish(page, live_server, personas, sign_in, sign_out, d, plan):
    from accord.planning.models import Plan

    # The sponsor sees the history and decides.
    sign_in(page, personas.eve, personas.password)
    page.goto(f"{live_server.url}/planning/disagreements/{d.pk}/")
    assert "Escalated" in page.inner_text("#disagreement-history")
    page.fill("#resolution", "Keep 400 SQLs; marketing adds two webinars for the team.")
    page.click("#resolve-disagreement")
    page.wait_for_selector("#disagreement-status[data-status=resolved]")
    sign_out(page)

    # Nothing blocks the plan any more: marketing publishes it.
    sign_in(page, personas.mona, personas.password)
    page.goto(f"{live_server.url}/planning/plans/{plan.pk}/")
    page.click("#publish-plan")
    page.wait_for_selector("#plan-status[data-status=published]")
    assert Plan.objects.get(pk=plan.pk).status == "published"
