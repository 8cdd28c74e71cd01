"""The marketing head edits a criteria draft and signs it; the sales head signs; the version goes live."""

from __future__ import annotations

import pytest

from accord.intake.tests.test_intake import criteria_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_both_heads_sign_off_an_edited_draft_and_it_becomes_active(
    page, live_server, personas, sign_in, sign_out
):
    from accord.qualification.models import CriteriaSet, CriteriaStatus
    from accord.qualification.services import criteria_draft_create

    active = criteria_make(personas.mona, personas.sam)
    draft = criteria_draft_create(user=personas.mona, based_on=active)
    rules_before = draft.rules.count()

    sign_in(page, personas.mona, personas.password)
    page.goto(f"{live_server.url}/criteria/{draft.pk}/edit/")
    page.fill("#criteria-mql-threshold", "55")
    page.click("#add-rule")
    page.wait_for_selector(f"#rule-{rules_before}-field")
    new = f"#rule-{rules_before}"
    page.select_option(f"{new}-kind", "fit")
    page.fill(f"{new}-field", "country")
    page.select_option(f"{new}-operator", "equals")
    page.fill(f"{new}-value", "Canada")
    page.fill(f"{new}-points", "5")
    page.fill(f"{new}-label", "Canadian")
    page.click("#save-criteria")
    page.wait_for_url(f"**/criteria/{draft.pk}/")
    assert page.inner_text("#criteria-threshold-value") == "55"
    assert "Canadian" in page.inner_text("#criteria-rules")
    page.click("#sign-off-marketing-head")
    page.wait_for_selector("#sign-off-marketing-head-status:has-text('signed by')")
    sign_out(page)

    sign_in(page, personas.sam, personas.password)
    page.goto(f"{live_server.url}/criteria/{draft.pk}/")
    page.click("#sign-off-sales-head")
    page.wait_for_selector("#criteria-status[data-status=active]")

    draft.refresh_from_db()
    active.refresh_from_db()
    assert (draft.status, draft.mql_threshold, draft.rules.count()) == (
        CriteriaStatus.ACTIVE,
        55,
        rules_before + 1,
    )
    assert active.status == CriteriaStatus.RETIRED
    assert CriteriaSet.objects.filter(status=CriteriaStatus.ACTIVE).count() == 1
