"""The intake pipeline: match, update, account, qualify, stage, event, duplicates.

``criteria_make`` and ``lead_make`` are shared by the other test modules that need intake.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accord.core.errors import ApplicationError
from accord.core.events import events_for
from accord.core.models import Channel
from accord.intake.services import lead_intake
from accord.leads.models import Lead, PossibleDuplicate, Source, SourceKind, Stage
from accord.leads.services import lead_merge, lead_stage_set, source_create

pytestmark = pytest.mark.django_db

RULES: list[dict[str, Any]] = [
    {
        "kind": "fit",
        "field": "title",
        "operator": "contains",
        "value": "VP",
        "points": 30,
        "label": "Title contains VP",
    },
    {"kind": "fit", "field": "company_size", "operator": "gte", "value": 200, "points": 20},
    {"kind": "fit", "field": "industry", "operator": "in", "value": ["Healthcare", "Banking"], "points": 10},
    {"kind": "fit", "field": "email_domain", "operator": "in", "value": ["gmail.com"], "points": -20},
    {
        "kind": "engagement",
        "field": "activity",
        "operator": "equals",
        "value": "demo_request",
        "points": 40,
        "half_life_days": 30,
        "label": "Demo request",
    },
]


def criteria_make(
    marketing_head, sales_head, *, threshold: int = 60, rules: list[dict[str, Any]] | None = None
):
    """An active criteria version, drafted and signed off through the qualification services."""
    from accord.qualification import selectors
    from accord.qualification.services import criteria_draft_create, criteria_draft_update, criteria_sign_off

    # The active spec is cached by row id; SQLite reuses ids after a test's rollback.
    selectors._active_cache.clear()
    draft = criteria_draft_create(user=marketing_head)
    criteria_draft_update(
        criteria_set=draft,
        user=marketing_head,
        name="Test criteria",
        mql_threshold=threshold,
        notes="",
        rules=rules or RULES,
    )
    criteria_sign_off(criteria_set=draft, user=marketing_head)
    criteria_sign_off(criteria_set=draft, user=sales_head)
    draft.refresh_from_db()
    return draft


def lead_make(email: str, *, owner=None, source: Source | None = None, **fields: Any) -> Lead:
    data = {"email": email, **fields}
    lead = lead_intake(data=data, channel=Channel.API, source=source).lead
    if owner is not None:
        Lead.objects.filter(pk=lead.pk).update(owner=owner)
        lead.refresh_from_db()
    return lead


VP = {
    "first_name": "Vera",
    "last_name": "Park",
    "title": "VP Operations",
    "company": "Acme Health",
    "company_size": "450",
    "industry": "Healthcare",
}


@pytest.fixture
def criteria(personas):
    return criteria_make(personas.mona, personas.sam)


def test_it_creates_a_scored_lead_with_an_explanation(criteria):
    result = lead_intake(data={"email": "Vera.Park@Acme.com", **VP}, channel=Channel.API)
    lead = result.lead
    assert result.created
    assert lead.email_key == "vera.park@acme.com"
    assert (lead.fit_score, lead.engagement_score, lead.score) == (60, 0, 60)
    assert lead.stage == Stage.MQL
    assert lead.criteria_version_id == criteria.pk
    assert "Title contains VP +30" in lead.explanation
    assert lead.explanation.endswith("score 60 ≥ 60: MQL")


def test_it_records_an_intake_event_with_channel_source_activity_and_changes(criteria):
    source = source_create(name="Website", kind=SourceKind.FORM)
    lead = lead_intake(
        data={"email": "vera@acme.com", "activity": "Demo Request", **VP}, channel=Channel.FORM, source=source
    ).lead
    (event,) = events_for(lead)
    assert event.type == "lead.intake"
    assert event.stage == Stage.MQL
    assert event.payload["channel"] == "form"
    assert event.payload["source"] == "Website"
    assert event.payload["activity"] == "demo_request"
    assert event.payload["changes"]["title"] == ["", "VP Operations"]
    assert event.payload["score"] == 100


def test_it_matches_the_same_email_and_updates_fields(criteria):
    first = lead_intake(data={"email": "ana@acme.com", "title": "Analyst"}, channel=Channel.API)
    second = lead_intake(
        data={"email": "ANA@acme.com ", "title": "VP Sales", "phone": "+1 555 0100 200"}, channel=Channel.API
    )
    assert not second.created
    assert second.lead.pk == first.lead.pk
    assert second.changes["title"] == ["Analyst", "VP Sales"]
    assert Lead.objects.count() == 1
    assert Lead.objects.get().phone_key == "+15550100200"


def test_it_keeps_first_touch_utm_fields(criteria):
    lead_intake(data={"email": "ana@acme.com", "utm_campaign": "spring"}, channel=Channel.API)
    result = lead_intake(data={"email": "ana@acme.com", "utm_campaign": "autumn"}, channel=Channel.API)
    assert result.lead.utm_campaign == "spring"


def test_engagement_adds_up_and_decays_with_age(criteria):
    now = timezone.now()
    lead_intake(
        data={"email": "ana@acme.com", "activity": "demo_request"},
        channel=Channel.API,
        occurred_at=now - timedelta(days=30),
    )
    result = lead_intake(
        data={"email": "ana@acme.com", "activity": "demo_request"}, channel=Channel.API, occurred_at=now
    )
    # 40 halved after 30 days plus a fresh 40.
    assert result.lead.engagement_score == 60
    assert "Demo request (2 activities, decayed) +60" in result.lead.explanation


def test_it_explains_when_no_criteria_are_active(personas):
    lead = lead_intake(data={"email": "ana@acme.com"}, channel=Channel.API).lead
    assert lead.stage == Stage.INQUIRY
    assert lead.explanation.startswith("Not scored")


def test_it_rejects_a_bad_email_naming_the_field(criteria):
    with pytest.raises(ApplicationError) as caught:
        lead_intake(data={"email": "not-an-email"}, channel=Channel.API)
    assert caught.value.status_code == 422
    assert "email" in caught.value.detail
    assert Lead.objects.count() == 0


def test_it_links_colleagues_to_the_same_account(criteria):
    one = lead_intake(data={"email": "ana@acme.com", "company": "Acme Inc."}, channel=Channel.API)
    two = lead_intake(data={"email": "bo@acme.com"}, channel=Channel.API)
    assert one.account_match == "created"
    assert two.lead.account_id == one.lead.account_id


def test_a_lead_sales_works_keeps_its_stage_when_it_comes_back(criteria, personas):
    lead = lead_intake(data={"email": "vera@acme.com", **VP}, channel=Channel.API).lead
    lead_stage_set(lead=lead, stage=Stage.SAL, actor=personas.bob, reason="accepted")
    again = lead_intake(data={"email": "vera@acme.com", "title": "Intern"}, channel=Channel.API).lead
    assert again.stage == Stage.SAL
    assert again.score == 30


def test_the_email_of_a_merged_lead_leads_to_the_kept_lead(criteria, personas):
    keep = lead_make("vera@acme.com", phone="+1 555 010 0200", first_name="Vera")
    merged = lead_make("vera.park@gmail.com", phone="+1 555 010 0200")
    assert PossibleDuplicate.objects.filter(lead=keep, other=merged).exists()
    lead_merge(keep=keep, merge=merged, actor=personas.alice)
    result = lead_intake(data={"email": "vera.park@gmail.com", "title": "VP Care"}, channel=Channel.API)
    assert result.lead.pk == keep.pk
    assert not result.created
