"""A rep edits a lead on its page; the admin sees who changed what in the audit trail."""

from __future__ import annotations

import pytest

from accord.campaigns.tests.factories import LeadFactory
from accord.leads.models import Lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_edit_a_lead_on_its_page_and_see_the_change_in_the_audit_trail(
    page, live_server, personas, sign_in, sign_out
):
    lead = LeadFactory(
        email="ana.ruiz@acme.example", first_name="Ana", last_name="Ruiz", owner=personas.carol,
        stage="sal", title="Analyst", mobile="",
    )  # fmt: skip

    sign_in(page, personas.carol, personas.password)
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    page.click("#edit-lead")
    page.wait_for_url(f"**/leads/{lead.pk}/edit")
    # A rep edits contact details, not the email or the first-touch attribution.
    assert page.locator("input[name=email]").count() == 0
    page.fill("input[name=title]", "Head of Operations")
    page.fill("input[name=mobile]", "+44 7700 900123")
    page.click("#lead-edit-form button[type=submit]")
    page.wait_for_url(f"**/leads/{lead.pk}/")
    assert "Saved: title, mobile." in page.inner_text("body")
    assert "title Analyst → Head of Operations" in page.inner_text("#timeline")
    assert Lead.objects.get(pk=lead.pk).mobile == "+44 7700 900123"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/leads/{lead.pk}/edit")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    sign_out(page)
    sign_in(page, personas.root, personas.password)
    page.goto(f"{live_server.url}/audit/")
    row = page.locator("#audit-changes tbody tr", has_text="Head of Operations")
    assert row.count() == 1
    text = row.inner_text()
    assert "carol" in text.lower() and "Analyst → Head of Operations" in text and "+44 7700 900123" in text
    assert "Web page" in text
