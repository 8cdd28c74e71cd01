"""Drafting, sign-off, activation and bulk re-scoring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.models import Event
from accord.leads.models import Lead, Stage
from accord.qualification.models import CriteriaStatus
from accord.qualification.selectors import criteria_active_spec, evaluate_lead, next_stage
from accord.qualification.services import (
    criteria_draft_create,
    criteria_draft_update,
    criteria_rescore,
    criteria_sign_off,
)
from accord.qualification.tests.factories import DEFAULT_RULES, criteria_with_rules, intake_event, lead_create


def _update(draft, user, *, threshold=60, rules=None):
    return criteria_draft_update(
        criteria_set=draft,
        user=user,
        name="Criteria",
        mql_threshold=threshold,
        notes="",
        rules=rules or DEFAULT_RULES,
    )


def test_a_new_draft_takes_the_next_version_and_copies_the_rules(personas):
    v1 = criteria_with_rules(version=1, status=CriteriaStatus.ACTIVE)
    draft = criteria_draft_create(user=personas.alice, based_on=v1)
    assert draft.version == 2
    assert draft.status == CriteriaStatus.DRAFT
    assert [(r.field, r.value) for r in draft.rules.all()] == [
        (r["field"], r["value"]) for r in DEFAULT_RULES
    ]
    assert Event.objects.filter(type="criteria.drafted", subject_id=draft.pk).exists()


def test_a_sales_rep_may_not_start_a_draft(personas):
    with pytest.raises(AccessDenied):
        criteria_draft_create(user=personas.bob)


def test_it_refuses_activation_with_one_sign_off(personas):
    draft = criteria_with_rules()
    criteria_sign_off(criteria_set=draft, user=personas.mona, comment="fine by marketing")
    draft.refresh_from_db()
    assert draft.status == CriteriaStatus.DRAFT
    assert draft.sign_offs.get().role == "marketing_head"


def test_the_same_person_cannot_sign_off_twice_even_holding_both_roles(personas):
    from accord.people.services import user_roles_set

    user_roles_set(user=personas.mona, roles=["marketing_head", "sales_head"])
    draft = criteria_with_rules()
    criteria_sign_off(criteria_set=draft, user=personas.mona)
    with pytest.raises(Conflict):
        criteria_sign_off(criteria_set=draft, user=personas.mona)
    draft.refresh_from_db()
    assert draft.status == CriteriaStatus.DRAFT


def test_a_user_without_a_head_role_cannot_sign_off(personas):
    draft = criteria_with_rules()
    for user in (personas.bob, personas.alice, personas.root):
        with pytest.raises(AccessDenied):
            criteria_sign_off(criteria_set=draft, user=user)


def test_editing_a_draft_clears_its_sign_offs(personas):
    draft = criteria_with_rules()
    criteria_sign_off(criteria_set=draft, user=personas.mona)
    _update(draft, personas.alice, threshold=70)
    assert draft.sign_offs.count() == 0
    draft.refresh_from_db()
    assert draft.mql_threshold == 70


def test_saving_a_draft_unchanged_keeps_its_sign_offs(personas):
    draft = criteria_with_rules()
    _update(draft, personas.alice)
    criteria_sign_off(criteria_set=draft, user=personas.mona)
    _update(draft, personas.alice)
    assert draft.sign_offs.count() == 1


def test_bad_rules_are_refused_naming_the_position_and_field(personas):
    draft = criteria_with_rules()
    rules = [
        *DEFAULT_RULES,
        {"kind": "fit", "field": "shoe_size", "operator": "equals", "value": "9", "points": 1},
    ]
    with pytest.raises(ApplicationError) as caught:
        _update(draft, personas.alice, rules=rules)
    assert "rules[3].field" in caught.value.detail
    assert "rule 4 (shoe_size)" in caught.value.detail["rules[3].field"]


def test_the_second_sign_off_activates_and_retires_the_previous_version(
    personas, django_capture_on_commit_callbacks
):
    old = criteria_with_rules(version=1, status=CriteriaStatus.ACTIVE)
    draft = criteria_with_rules(version=2, threshold=50)
    criteria_sign_off(criteria_set=draft, user=personas.mona)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        criteria_sign_off(criteria_set=draft, user=personas.sam)
    draft.refresh_from_db()
    old.refresh_from_db()
    assert draft.status == CriteriaStatus.ACTIVE and draft.activated_at is not None
    assert old.status == CriteriaStatus.RETIRED and old.retired_at is not None
    assert Event.objects.filter(type="criteria.activated", subject_id=draft.pk).count() == 1
    # The bulk re-score was enqueued after commit (besides the events' hand-offs to outgoing webhooks).
    assert len([c for c in callbacks if type(c).__name__ != "_Handover"]) == 1
    assert criteria_active_spec().version == 2


def test_signing_an_active_version_is_a_conflict(personas):
    active = criteria_with_rules(status=CriteriaStatus.ACTIVE)
    with pytest.raises(Conflict):
        criteria_sign_off(criteria_set=active, user=personas.sam)


def test_rescore_writes_only_changed_leads_and_records_events(personas):
    criteria = criteria_with_rules(status=CriteriaStatus.ACTIVE)
    vp = lead_create("vp@acme.com", title="VP Sales", company_size=500)
    small = lead_create("x@tiny.io", title="Analyst")
    free = lead_create("vp@gmail.com", title="VP")
    accepted = lead_create("vp2@acme.com", title="VP", company_size=300, stage=Stage.SAL)

    counts = criteria_rescore(criteria_set=criteria)
    assert counts == {"evaluated": 4, "changed": 4, "stage_changed": 3}
    vp.refresh_from_db()
    assert (vp.stage, vp.score, vp.fit_score, vp.criteria_version_id) == (Stage.MQL, 70, 70, criteria.pk)
    assert vp.explanation == "title contains 'VP' +40; company size ≥ 200 +30; score 70 ≥ 60: MQL"
    assert Lead.objects.get(pk=small.pk).stage == Stage.NURTURE
    assert Lead.objects.get(pk=free.pk).stage == Stage.DISQUALIFIED
    accepted.refresh_from_db()
    assert (accepted.stage, accepted.score) == (Stage.SAL, 70)

    event = Event.objects.get(type="lead.scored", subject_id=vp.pk)
    assert event.stage == Stage.MQL
    assert event.payload["previous_stage"] == Stage.INQUIRY
    assert event.payload["score"] == 70
    assert Event.objects.get(type="lead.scored", subject_id=accepted.pk).stage == ""

    assert criteria_rescore(criteria_set=criteria) == {"evaluated": 4, "changed": 0, "stage_changed": 0}
    assert Event.objects.filter(type="lead.scored").count() == 4


def test_rescore_uses_decayed_engagement_from_intake_events(personas):
    rules = [
        {
            "kind": "engagement",
            "field": "activity",
            "operator": "equals",
            "value": "demo request",
            "points": 40,
            "half_life_days": 10,
            "label": "demo request",
        }
    ]
    criteria = criteria_with_rules(status=CriteriaStatus.ACTIVE, threshold=50, rules=rules)
    lead = lead_create("a@b.com")
    now = timezone.now()
    intake_event(lead, activity="demo request", at=now - timedelta(days=10))
    intake_event(lead, activity="Demo Request", at=now)
    criteria_rescore(criteria_set=criteria, lead_ids=[lead.pk], as_of=now)
    lead.refresh_from_db()
    assert (lead.engagement_score, lead.stage) == (60, Stage.MQL)
    evaluation = evaluate_lead(lead, as_of=now)
    assert (evaluation.engagement, evaluation.explanation) == (60, lead.explanation)


def test_next_stage_leaves_sales_stages_alone(personas):
    criteria_with_rules(status=CriteriaStatus.ACTIVE)
    lead = lead_create("vp@acme.com", title="VP", company_size=900)
    evaluation = evaluate_lead(lead)
    assert next_stage(Stage.INQUIRY, evaluation) == Stage.MQL
    assert next_stage(Stage.OPPORTUNITY, evaluation) == Stage.OPPORTUNITY


def test_evaluate_lead_is_none_without_active_criteria(personas):
    assert evaluate_lead(lead_create("a@b.com")) is None


def test_the_rescore_task_is_idempotent_and_skips_retired_versions(personas):
    from accord.qualification.tasks import criteria_rescore_task

    criteria = criteria_with_rules(status=CriteriaStatus.ACTIVE)
    lead_create("vp@acme.com", title="VP")
    assert criteria_rescore_task.call(criteria.pk)["changed"] == 1
    assert criteria_rescore_task.call(criteria.pk)["changed"] == 0
    criteria.status = CriteriaStatus.RETIRED
    criteria.save()
    assert criteria_rescore_task.call(criteria.pk)["evaluated"] == 0


def test_a_bulk_rescore_leaves_audit_records_of_the_fields_it_changed(personas):
    from accord.audit.context import audit_context
    from accord.audit.models import ChangeRecord

    criteria = criteria_with_rules(status=CriteriaStatus.ACTIVE)
    vp = lead_create("vp@acme.com", title="VP Sales", company_size=500)
    accepted = lead_create("vp2@acme.com", title="VP", company_size=300, stage=Stage.SAL)
    ChangeRecord.objects.all().delete()
    with audit_context(actor=personas.mona, channel="task"):
        criteria_rescore(criteria_set=criteria)
    record = ChangeRecord.objects.get(object_type="leads.lead", object_id=str(vp.pk))
    assert (record.action, record.channel, record.actor) == ("update", "task", personas.mona)
    assert record.changes["stage"] == [Stage.INQUIRY, Stage.MQL]
    assert record.changes["score"][1] == 70 and record.changes["criteria_version"][1] == criteria.pk
    kept = ChangeRecord.objects.get(object_id=str(accepted.pk)).changes
    assert "stage" not in kept and kept["score"][1] == 70
    criteria_rescore(criteria_set=criteria)  # nothing changes: nothing more recorded
    assert ChangeRecord.objects.filter(object_type="leads.lead").count() == 2


def test_the_first_sign_off_tells_the_other_head_the_draft_waits_for_them(personas):
    from accord.notifications.models import Notification

    draft = criteria_with_rules()
    criteria_sign_off(criteria_set=draft, user=personas.mona)
    waiting = Notification.objects.get(kind="criteria_sign_off")
    assert waiting.user == personas.sam
    assert f"version {draft.version}" in waiting.subject and waiting.url == f"/criteria/{draft.pk}/"
    assert not Notification.objects.filter(kind="criteria_sign_off", user=personas.mona).exists()
    criteria_sign_off(criteria_set=draft, user=personas.sam)  # the second sign-off activates: nobody waits
    assert Notification.objects.filter(kind="criteria_sign_off").count() == 1
