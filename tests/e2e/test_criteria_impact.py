"""The heads read a draft's rules in words and its impact on open leads, then sign it off."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_heads_sign_off_a_change_after_reading_its_impact_preview(
    page, live_server, personas, sign_in, sign_out
):
    from accord.leads.models import Lead, Stage
    from accord.qualification.models import CriteriaSet, CriteriaStatus
    from accord.qualification.services import criteria_draft_update, criteria_rescore
    from accord.qualification.tests.factories import criteria_with_rules, lead_create

    active = criteria_with_rules(
        version=1,
        status=CriteriaStatus.ACTIVE,
        rules=[
            {"kind": "fit", "field": "title", "operator": "regex", "value": "(^|[^a-z])(vp|chief)([^a-z]|$)",
             "points": 70, "label": "Senior title"},
        ],
    )  # fmt: skip
    lead_create("vera@acme.example", first_name="Vera", title="VP Sales", country="USA")
    lead_create("dan@acme.example", first_name="Dan", title="Director", country="United States")
    lead_create("ann@acme.example", first_name="Ann", title="Analyst", country="France")
    criteria_rescore(criteria_set=active)

    sign_in(page, personas.mona, personas.password)
    page.goto(f"{live_server.url}/criteria/")
    page.click("#new-draft")  # starts from the active version
    page.wait_for_url("**/edit/")
    draft = CriteriaSet.objects.get(version=2)
    assert draft.rules.count() == 1
    criteria_draft_update(
        criteria_set=draft,
        user=personas.mona,
        name=draft.name,
        mql_threshold=60,
        notes="Directors in the US count too",
        rules=[
            {"kind": "fit", "field": "title", "operator": "regex", "value": "(^|[^a-z])(vp|chief)([^a-z]|$)",
             "points": 70, "label": "Senior title"},
            {"kind": "fit", "field": "title", "operator": "contains", "value": "director", "points": 30},
            {"kind": "fit", "field": "country", "operator": "in", "value": ["US"], "points": 30},
        ],
    )  # fmt: skip
    page.goto(f"{live_server.url}/criteria/{draft.pk}/")
    rules = page.inner_text("#criteria-rules")
    assert "Title contains the words VP or Chief" in rules and "Country is United States" in rules
    page.wait_for_selector("#impact-summary")
    assert page.inner_text("#impact-stage-changed") == "1"
    moves = page.inner_text("#impact-moves")
    assert "Nurture" in moves and "MQL" in moves and "Dan" in moves and "Vera" not in moves
    page.click("#sign-off-marketing-head")
    page.wait_for_selector("#sign-off-marketing-head-status:has-text('signed by')")
    sign_out(page)

    sign_in(page, personas.sam, personas.password)
    page.goto(f"{live_server.url}/criteria/{draft.pk}/")
    page.wait_for_selector("#impact-summary")
    assert page.inner_text("#impact-stage-changed") == "1"
    page.click("#sign-off-sales-head")
    page.wait_for_selector("#criteria-status[data-status=active]")
    criteria_rescore(criteria_set=CriteriaSet.objects.get(pk=draft.pk))  # what the worker does
    assert Lead.objects.get(first_name="Dan").stage == Stage.MQL
    assert Lead.objects.get(first_name="Ann").stage == Stage.NURTURE
