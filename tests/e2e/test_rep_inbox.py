"""A rep signs in, finds an assigned MQL in the inbox, accepts it and logs a call, each in one click and
without the page reloading."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accord.core.events import event_record
from accord.leads.models import Lead, Stage
from accord.sla.services import sla_start_for_assignment
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_rep_accepts_a_lead_and_logs_a_call_from_the_inbox_without_a_reload(
    page, live_server, personas, sign_in
):
    lead = Lead.objects.create(
        email="vera.park@acmehealth.com",
        email_key="vera.park@acmehealth.com",
        first_name="Vera",
        last_name="Park",
        company="Acme Health",
        title="VP Operations",
        stage=Stage.MQL,
        score=85,
        owner=personas.bob,
        utm_campaign="spring-webinar",
    )
    now = timezone.now()
    event_record(type="lead.assigned", subject=lead, occurred_at=now, payload={"owner_id": personas.bob.pk})
    clock = sla_start_for_assignment(lead=lead, assigned_at=now)
    assert clock is not None

    # The deadline counts business hours, so on a weekend or an evening it lies a day or more away and
    # the countdown shows days and minutes only. The page gets its own clock, three hours before the
    # deadline, then paused two hours before it and moved on by hand: the countdown's seconds are the
    # same whatever the real date, hour or load of the machine.
    page.clock.install(time=clock.due_at - timedelta(hours=3))
    sign_in(page, personas.bob, personas.password)
    page.goto(f"{live_server.url}/inbox/")
    row = page.locator(f"#inbox-lead-{lead.pk}")
    assert "Vera Park" in row.inner_text()
    assert row.get_attribute("data-stage") == "mql"
    countdown = row.locator(".countdown")
    page.clock.pause_at(clock.due_at - timedelta(hours=2))
    page.clock.run_for(1_000)
    first = countdown.inner_text()
    page.clock.run_for(1_000)  # the countdown ticks every second
    second = countdown.inner_text()
    assert re.fullmatch(r"in 1h 59m 5\ds", first), first
    assert re.fullmatch(r"in 1h 59m 5\ds", second) and second != first, (first, second)
    page.clock.resume()  # HTMX settles swaps with timers: let time flow again
    page.evaluate("window.__noReload = 'still here'")

    row.get_by_role("button", name="Accept").click()
    page.wait_for_selector(f"#inbox-lead-{lead.pk}[data-stage='sal']")
    row = page.locator(f"#inbox-lead-{lead.pk}")
    assert "Accepted." in row.inner_text()
    assert "First touch by" in row.inner_text()
    assert row.get_by_role("button", name="Accept").count() == 0

    row.get_by_role("button", name="Log call").click()
    page.wait_for_selector(f"#inbox-lead-{lead.pk} .row-message.notice:has-text('Call logged.')")
    row = page.locator(f"#inbox-lead-{lead.pk}")
    assert "Next touch by" in row.inner_text()
    assert "Call" in row.locator(".inbox-last-touch").inner_text()

    assert page.evaluate("window.__noReload") == "still here"
    assert page.url == f"{live_server.url}/inbox/"
    lead.refresh_from_db()
    assert lead.stage == Stage.SAL
    assert lead.touches.filter(kind="call", user=personas.bob).count() == 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "rep-inbox.png"), full_page=True)
