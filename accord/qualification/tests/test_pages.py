"""Criteria pages: who sees and does what, the editor's round trip, sign-off buttons, glossary."""

from __future__ import annotations

import pytest

from accord.qualification.models import CriteriaStatus
from accord.qualification.tests.factories import criteria_with_rules


@pytest.fixture
def login(client, personas):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_pages_require_signing_in(db, client):
    for url in ("/criteria/", "/glossary/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"]


def test_everyone_signed_in_sees_the_list_and_a_version(login, personas):
    criteria = criteria_with_rules()
    client = login(personas.bob)
    assert client.get("/criteria/").status_code == 200
    page = client.get(f"/criteria/{criteria.pk}/")
    assert page.status_code == 200
    assert "Title contains “VP”" in page.content.decode()  # words, not the field's internal name
    assert client.get("/criteria/999/").status_code == 404


def test_a_rep_cannot_open_the_editor_or_start_drafts(login, personas):
    criteria = criteria_with_rules()
    client = login(personas.bob)
    assert client.get(f"/criteria/{criteria.pk}/edit/").status_code == 403
    assert client.post("/criteria/new/").status_code == 403


def test_the_editor_changes_threshold_and_adds_a_rule(login, personas):
    criteria = criteria_with_rules()
    client = login(personas.alice)
    form = client.get(f"/criteria/{criteria.pk}/edit/")
    assert form.status_code == 200
    assert 'id="criteria-mql-threshold"' in form.content.decode()
    data = {
        "name": "Criteria",
        "mql_threshold": "75",
        "notes": "",
        "rules-total": "4",
        "rules-0-kind": "fit",
        "rules-0-field": "title",
        "rules-0-operator": "contains",
        "rules-0-value": "VP",
        "rules-0-points": "40",
        "rules-1-kind": "fit",
        "rules-1-field": "company_size",
        "rules-1-operator": "gte",
        "rules-1-value": "200",
        "rules-1-points": "30",
        "rules-2-kind": "disqualifier",
        "rules-2-field": "email_domain",
        "rules-2-operator": "in",
        "rules-2-value": "gmail.com, yahoo.com",
        "rules-2-points": "0",
        "rules-2-delete": "1",
        "rules-3-kind": "engagement",
        "rules-3-field": "activity",
        "rules-3-operator": "equals",
        "rules-3-value": "demo request",
        "rules-3-points": "20",
        "rules-3-half_life_days": "14",
        "action": "save",
    }
    added = client.post(f"/criteria/{criteria.pk}/edit/", {**data, "action": "add-rule"})
    assert added.content.decode().count('class="rule-row"') == 4  # three kept rows and a blank one
    saved = client.post(f"/criteria/{criteria.pk}/edit/", data)
    assert saved.status_code == 302
    criteria.refresh_from_db()
    assert criteria.mql_threshold == 75
    assert [(r.field, r.value, r.half_life_days) for r in criteria.rules.all()] == [
        ("title", "VP", None),
        ("company_size", 200, None),
        ("activity", "demo request", 14),
    ]


def test_the_editor_shows_rule_errors_next_to_the_row(login, personas):
    criteria = criteria_with_rules()
    response = login(personas.alice).post(
        f"/criteria/{criteria.pk}/edit/",
        {
            "name": "C",
            "mql_threshold": "60",
            "rules-total": "1",
            "rules-0-kind": "fit",
            "rules-0-field": "shoe_size",
            "rules-0-operator": "equals",
            "rules-0-value": "9",
            "rules-0-points": "1",
        },
    )
    assert response.status_code == 400
    assert 'id="rule-0-errors"' in response.content.decode()
    assert "shoe_size" in response.content.decode()


def test_sign_off_buttons_are_enabled_only_for_the_matching_head(login, personas):
    criteria = criteria_with_rules()
    page = login(personas.mona).get(f"/criteria/{criteria.pk}/").content.decode()
    assert 'id="sign-off-marketing-head" >' not in page
    assert 'id="sign-off-marketing-head">' in page
    assert 'id="sign-off-sales-head" disabled' in page
    rep_page = login(personas.bob).get(f"/criteria/{criteria.pk}/").content.decode()
    assert 'id="sign-off-marketing-head" disabled' in rep_page


def test_both_heads_sign_off_through_the_pages_and_the_version_becomes_active(login, personas):
    criteria = criteria_with_rules()
    response = login(personas.mona).post(
        f"/criteria/{criteria.pk}/sign-off/", {"role": "marketing_head", "comment": "ok"}
    )
    assert response.status_code == 302
    criteria.refresh_from_db()
    assert criteria.status == CriteriaStatus.DRAFT
    login(personas.sam).post(f"/criteria/{criteria.pk}/sign-off/", {"role": "sales_head"})
    page = login(personas.sam).get(f"/criteria/{criteria.pk}/").content.decode()
    assert 'data-status="active"' in page


def test_a_rep_posting_a_sign_off_gets_403(login, personas):
    criteria = criteria_with_rules()
    assert (
        login(personas.bob).post(f"/criteria/{criteria.pk}/sign-off/", {"role": "sales_head"}).status_code
        == 403
    )


def test_the_diff_page_compares_with_the_previous_version(login, personas):
    criteria_with_rules(version=1, status=CriteriaStatus.RETIRED, threshold=60)
    new = criteria_with_rules(version=2, threshold=70, rules=[])
    page = login(personas.bob).get(f"/criteria/{new.pk}/diff/").content.decode()
    assert "MQL threshold: 60 → 70" in page
    assert "Fit points: Company size is 200 or more (+30 points)" in page  # kind and rule in words
    assert "<li>fit:" not in page


def test_the_glossary_lists_the_live_rules_of_the_active_criteria(login, personas):
    criteria_with_rules(version=1, status=CriteriaStatus.RETIRED, threshold=10)
    criteria_with_rules(
        version=2,
        status=CriteriaStatus.ACTIVE,
        threshold=65,
        rules=[
            {"kind": "fit", "field": "industry", "operator": "equals", "value": "Healthcare", "points": 25},
            {
                "kind": "engagement",
                "field": "activity",
                "operator": "equals",
                "value": "webinar",
                "points": 5,
                "half_life_days": 30,
                "label": "attended a webinar",
            },
            {
                "kind": "disqualifier",
                "field": "consent",
                "operator": "equals",
                "value": "denied",
                "points": 0,
            },
        ],
    )
    page = login(personas.bob).get("/glossary/").content.decode()
    assert "score ≥ 65" in page
    assert "score &lt; 65" in page
    assert "industry is &#x27;Healthcare&#x27; (+25)" in page
    assert "attended a webinar (+5 each, halves every 30 days)" in page
    assert "consent is &#x27;denied&#x27;" in page
    assert "score ≥ 10" not in page
    assert "Sales-accepted lead" in page
