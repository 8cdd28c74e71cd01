"""A visitor fills a website form; marketing finds the lead, its explanation and its timeline."""

from __future__ import annotations

import pytest

from accord.intake.tests.test_intake import criteria_make
from accord.leads.models import Lead
from accord.leads.services import source_create
from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_website_form_lead_shows_up_for_marketing_with_its_why_and_timeline(
    page, live_server, personas, sign_in
):
    criteria_make(personas.mona, personas.sam)
    source = source_create(name="Website demo form")
    page.set_content(f"""
      <form id="demo" action="{live_server.url}/f/{source.public_key}" method="post">
        <input name="email" value="">
        <input name="first_name"><input name="last_name"><input name="company"><input name="title">
        <input name="company_size"><input name="industry">
        <input type="hidden" name="activity" value="demo_request">
        <div style="position:absolute;left:-10000px" aria-hidden="true">
          <input type="text" name="{source.honeypot_field}" tabindex="-1" autocomplete="off">
        </div>
        <button type="submit">Send</button>
      </form>""")
    page.fill("input[name=email]", "vera.park@acmehealth.com")
    page.fill("input[name=first_name]", "Vera")
    page.fill("input[name=last_name]", "Park")
    page.fill("input[name=company]", "Acme Health")
    page.fill("input[name=title]", "VP Operations")
    page.fill("input[name=company_size]", "450")
    page.fill("input[name=industry]", "Healthcare")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Thank you")
    lead = Lead.objects.get(email_key="vera.park@acmehealth.com")
    assert lead.source == source

    sign_in(page, personas.alice, personas.password)
    page.goto(f"{live_server.url}/leads/")
    row = page.locator("#lead-table tbody tr", has_text="vera.park@acmehealth.com")
    assert row.count() == 1
    row.locator("summary", has_text="Why").click()  # the explanation is one click away
    assert "Title contains VP +30" in row.inner_text()
    assert "MQL" in row.inner_text()

    row.get_by_role("link", name="Vera Park").click()
    page.wait_for_url(f"**/leads/{lead.pk}/")
    assert "score 100 ≥ 60: MQL" in page.inner_text("#lead-explanation")
    timeline = page.inner_text("#timeline")
    assert "First came in through Public web form (Website demo form): demo request" in timeline
    assert "Scored 100" in timeline
    assert "MQL" in page.inner_text("#stage-history")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "lead-detail.png"), full_page=True)
