"""Marketing submits a material built on its brief, the committee rep comments within the window, legal
approves, marketing publishes, and another rep finds it in the library."""

from __future__ import annotations

from datetime import date

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_a_material_goes_from_its_brief_through_the_committee_and_legal_into_the_library(
    page, live_server, personas, sign_in, sign_out, settings, tmp_path
):
    from accord.enablement.models import BRIEF_OUTCOMES, BRIEF_QUESTIONS, Approver, Committee, Material
    from accord.enablement.services import brief_agree, brief_create
    from accord.people.models import Role
    from accord.people.tests.factories import user_with_roles

    settings.MEDIA_ROOT = str(tmp_path / "media")
    p = personas
    lena = user_with_roles("lena", Role.EXECUTIVE)
    Approver.objects.create(user=lena, gate="legal")
    committee = Committee.objects.create(
        name="This period", starts_on=date(2000, 1, 1), ends_on=date(2099, 12, 31)
    )
    committee.members.set([p.bob])
    texts = {name: f"{label} (answered)" for name, label in BRIEF_QUESTIONS + BRIEF_OUTCOMES}
    texts["value_proposition"] = "Claims settled in days, not weeks"
    brief = brief_create(user=p.alice, title="Claims module launch", product="Claims", texts=texts)
    brief_agree(brief=brief, user=p.alice)
    brief_agree(brief=brief, user=p.carol)

    # Marketing makes the material on the brief and sends it to review.
    sign_in(page, p.alice, p.password)
    page.goto(f"{live_server.url}/enablement/materials/new/")
    page.fill("#material-title", "Claims battlecard for hospitals")
    page.select_option("#id_brief", str(brief.pk))
    page.set_input_files(
        "#material-file", files=[{"name": "battlecard.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.check("#material-needs-legal")
    page.fill("#id_product", "Claims")
    page.click("#save-material")
    page.wait_for_selector("#material-status[data-status=draft]")
    assert "Claims settled in days, not weeks" in page.inner_text("#brief-message")
    page.click("#submit-review")
    page.wait_for_selector("#material-status[data-status=in_review]")
    assert page.inner_text("#review-deadline").strip()
    material = Material.objects.get(title="Claims battlecard for hospitals")
    sign_out(page)

    # The committee rep finds it waiting and comments within the window, anchored to a page.
    sign_in(page, p.bob, p.password)
    page.goto(f"{live_server.url}/enablement/")
    page.click("#my-reviews a")
    page.fill("#comment-body", "Open with the audit trail: that is what hospital buyers ask about.")
    page.fill("#comment-page", "1")
    page.click("#add-comment")
    page.wait_for_selector("#review-outcome:has-text('Every committee member commented')")
    assert "after the deadline" not in page.inner_text("#comments")
    assert page.query_selector("#publish-material") is None  # the committee advises; it does not publish
    sign_out(page)

    # Legal approves: the blocking gate.
    sign_in(page, lena, p.password)
    page.goto(f"{live_server.url}/enablement/materials/{material.pk}/")
    page.click("#approve-legal")
    page.wait_for_selector("#material-status[data-status=approved]")
    sign_out(page)

    # Marketing publishes, saying what is new and why.
    sign_in(page, p.alice, p.password)
    page.goto(f"{live_server.url}/enablement/materials/{material.pk}/")
    page.fill(
        "#publish-note",
        "New: the hospital battlecard, with the audit trail up front as the committee advised.",
    )
    page.click("#publish-material")
    page.wait_for_selector("#material-status[data-status=published]")
    sign_out(page)

    # Another rep finds it in the library.
    sign_in(page, p.carol, p.password)
    page.goto(f"{live_server.url}/library/")
    page.fill("#library-q", "battlecard")
    page.click("#library-search")
    page.click("#library-results a:has-text('Claims battlecard for hospitals')")
    page.wait_for_selector("#library-title")
    assert page.inner_text("#library-title") == "Claims battlecard for hospitals"
    assert "Claims settled in days, not weeks" in page.inner_text("#brief-message")
    assert page.get_attribute("#open-material", "href").endswith("/file")

    # Before sharing, the rep sees under whose name an email would go: carol never agreed to send under
    # her name, so it would go from the company's address.
    from accord.leads.models import Lead, Stage

    Lead.objects.create(email="vera@stanne.example", email_key="vera@stanne.example", first_name="Vera",
                        company="St. Anne's", stage=Stage.SAL, owner=p.carol)  # fmt: skip
    page.fill("#id_lead_email", "vera@stanne.example")
    page.dispatch_event("#id_lead_email", "change")
    page.wait_for_selector("#share-sender")
    assert "from the company's address" in page.inner_text("#share-sender")
    assert "has not agreed" in page.inner_text("#share-sender")

    # The pages fit a phone.
    page.set_viewport_size({"width": 390, "height": 844})
    for url in ("/library/", f"/library/{material.pk}/", f"/enablement/materials/{material.pk}/"):
        page.goto(f"{live_server.url}{url}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
