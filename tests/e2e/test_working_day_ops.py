"""The working day's operations in a real browser: a manager claims and assigns queued leads, a rep sets
a follow-up task and finds it in their iCalendar feed, and a rep marks themself away so the next lead
goes to a teammate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from accord.leads.models import Lead, Stage
from accord.people.models import Absence
from accord.routing.services import lead_route
from accord.routing.tests.factories import active_rules, make_lead
from accord.sla.models import FollowUp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_manager_claims_one_queued_lead_and_assigns_two_to_a_rep(page, live_server, personas, sign_in):
    leads = [
        make_lead(first_name=name, last_name="Queued", company=f"{name} Clinic")
        for name in ("Ada", "Ben", "Cy")
    ]
    for lead in leads:
        assert lead_route(lead=lead).queue is not None  # no rules: they wait in the fallback queue

    sign_in(page, personas.mike, personas.password)
    page.click("nav.mainnav summary:has-text('Sales')")  # Queues sits in the Sales menu
    page.click("nav.mainnav >> text=Queues")
    table = page.locator("#queue-leads")
    for lead in leads:
        assert table.locator(f"#lead-{lead.pk}").count() == 1

    page.check(f"#lead-{leads[0].pk}")
    page.click("text=Take the ticked leads")
    page.wait_for_selector(".message-success")
    assert "You took" in page.locator(".message-success").inner_text()
    assert Lead.objects.get(pk=leads[0].pk).owner == personas.mike
    assert page.locator(f"#lead-{leads[0].pk}").count() == 0  # it left the queue

    page.check(f"#lead-{leads[1].pk}")
    page.check(f"#lead-{leads[2].pk}")
    page.select_option("#queue-to", str(personas.carol.pk))
    page.click("#queue-give")
    page.wait_for_selector(".message-success")
    assert "Carol now has" in page.locator(".message-success").inner_text()
    assert set(Lead.objects.filter(owner=personas.carol).values_list("pk", flat=True)) == {
        leads[1].pk,
        leads[2].pk,
    }
    assert page.locator("#queue-leads .empty").count() == 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert no_sideways_scroll(page)


def test_a_rep_sets_a_task_on_a_lead_and_finds_it_in_their_calendar_feed(
    page, live_server, personas, sign_in, settings
):
    settings.SITE_URL = live_server.url  # the feed address the page shows is built from ACCORD_SITE_URL
    lead = make_lead(
        owner=personas.bob, stage=Stage.SAL, first_name="Vera", last_name="Park", company="Acme Health"
    )
    due = timezone.localtime(timezone.now() + timedelta(days=2)).replace(
        hour=10, minute=30, second=0, microsecond=0
    )

    sign_in(page, personas.bob, personas.password)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.fill("#task-title", "Call back about the pilot")
    page.fill("#task-due", due.strftime("%Y-%m-%dT%H:%M"))
    page.click("#follow-up-form button[type=submit]")
    page.wait_for_selector(".message-success")
    task = FollowUp.objects.get(lead=lead)
    assert task.assignee == personas.bob and task.due_at == due
    assert "Call back about the pilot" in page.locator("#follow-ups").inner_text()

    page.click(".user-menu summary")
    page.click("text=Calendar feed")
    feed_url = page.locator("#calendar-feed-url").inner_text().strip()
    assert feed_url.startswith(live_server.url)
    answer = page.context.request.get(feed_url)  # as a calendar app would: the secret URL, no session needed
    assert answer.ok and answer.headers["content-type"].startswith("text/calendar")
    events = {str(e["summary"]): e for e in Calendar.from_ical(answer.body()).walk("VEVENT")}
    entry = events[f"Task: Call back about the pilot ({lead})"]
    assert entry.decoded("dtstart") == due

    page.click("text=Make a new address")  # resetting closes the old address
    page.wait_for_selector(".message-success")
    assert page.context.request.get(feed_url).status == 404


def test_a_rep_marks_themself_away_and_the_next_lead_goes_to_a_teammate(page, live_server, personas, sign_in):
    active_rules({"target_team": personas.health})
    today = timezone.localdate()

    sign_in(page, personas.bob, personas.password)
    page.click(".user-menu summary")
    page.click("text=Away…")
    page.fill("#id_start", today.isoformat())
    page.fill("#id_end", (today + timedelta(days=2)).isoformat())
    page.fill("#id_reason", "Trade fair")
    page.click("text=Mark me away")
    page.wait_for_selector(".message-success")
    assert "new leads go to your teammates" in page.locator(".message-success").inner_text()
    assert Absence.objects.filter(user=personas.bob, start=today).exists()

    owners = [lead_route(lead=make_lead(company=f"Next {n}")).owner for n in range(3)]
    assert owners == [personas.carol] * 3

    page.click("#absences button[type=submit]")  # back early: bob takes leads again
    page.wait_for_selector(".message-success")
    assert not Absence.objects.filter(user=personas.bob).exists()
    assert personas.bob in {lead_route(lead=make_lead(company=f"Back {n}")).owner for n in range(2)}


def test_the_working_day_pages_fit_a_phone(page, live_server, personas, sign_in):
    from accord.sla.models import SlaPolicy

    SlaPolicy.objects.create(name="Standard", is_default=True)
    lead = make_lead(
        owner=personas.bob, stage=Stage.SAL, first_name="Vera", last_name="Park", company="Acme Health"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, personas.sam, personas.password)
    for path in ("/queues/", "/teams/", f"/teams/{personas.health.pk}/", "/teams/new/", "/sla/policies/",
                 "/sla/policies/new/", "/account/away/", "/account/calendar/", f"/leads/{lead.pk}/"):  # fmt: skip
        page.goto(f"{live_server.url}{path}")
        assert no_sideways_scroll(page), path
