"""Every change to a tracked record leaves a ChangeRecord naming who, when, the channel, old and new."""

from __future__ import annotations

import pytest

from accord.audit.context import audit_context
from accord.audit.models import AuditChannel, ChangeAction, ChangeRecord
from accord.audit.registry import MASK
from accord.campaigns.tests.factories import CampaignFactory, LeadFactory
from accord.leads.models import Source, Stage

pytestmark = pytest.mark.django_db


def records_for(obj) -> list[ChangeRecord]:
    label = f"{obj._meta.app_label}.{obj._meta.model_name}"
    return list(ChangeRecord.objects.filter(object_type=label, object_id=str(obj.pk)).order_by("id"))


def test_a_stage_change_on_a_page_is_recorded_with_the_user_the_channel_and_old_and_new(personas, client_for):
    lead = LeadFactory(owner=personas.bob, stage=Stage.MQL)
    response = client_for(personas.alice).post(
        f"/leads/{lead.pk}/stage", {"stage": Stage.NURTURE, "reason": "not ready"}
    )
    assert response.status_code == 302
    change = records_for(lead)[-1]
    assert change.action == ChangeAction.UPDATE
    assert change.channel == AuditChannel.PAGE
    assert change.actor == personas.alice
    assert change.changes["stage"] == [Stage.MQL, Stage.NURTURE]
    assert change.request_id


def test_a_change_through_the_api_is_recorded_as_api_with_the_tokens_user(personas, api_client_for):
    campaign = CampaignFactory(name="Spring webinar", owner=personas.alice)
    response = api_client_for(personas.mona).patch(
        f"/api/v1/campaigns/{campaign.pk}", {"name": "Spring webinar 2"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    change = records_for(campaign)[-1]
    assert (change.channel, change.actor, change.action) == (
        AuditChannel.API,
        personas.mona,
        ChangeAction.UPDATE,
    )
    assert change.changes == {"name": ["Spring webinar", "Spring webinar 2"]}


def test_the_request_id_a_caller_sends_is_kept_and_echoed(personas, api_client_for):
    campaign = CampaignFactory(name="A", owner=personas.alice)
    response = api_client_for(personas.mona).patch(
        f"/api/v1/campaigns/{campaign.pk}", {"name": "B"}, content_type="application/json",
        HTTP_X_REQUEST_ID="req-123",
    )  # fmt: skip
    assert response["X-Request-ID"] == "req-123"
    assert records_for(campaign)[-1].request_id == "req-123"


def test_a_change_inside_a_task_context_is_recorded_as_task(personas):
    lead = LeadFactory(owner=personas.bob, score=10)
    with audit_context(channel=AuditChannel.TASK):
        lead.score = 75
        lead.save()
    change = records_for(lead)[-1]
    assert (change.channel, change.actor) == (AuditChannel.TASK, None)
    assert change.changes == {"score": [10, 75]}


def test_a_task_run_by_the_worker_is_recorded_as_task():
    from types import SimpleNamespace

    from django_tasks.signals import task_finished, task_started

    result = SimpleNamespace(
        id="task-1", task=SimpleNamespace(module_path="t"), status="RUNNING", backend="default"
    )
    task_started.send(sender=object, task_result=result)
    try:
        lead = LeadFactory()
    finally:
        task_finished.send(sender=object, task_result=result)
    assert records_for(lead)[0].channel == AuditChannel.TASK
    assert records_for(lead)[0].request_id == "task-1"


def test_an_import_names_its_user_and_channel(personas):
    with audit_context(actor=personas.alice, channel=AuditChannel.IMPORT):
        lead = LeadFactory(email="new@example.com")
    change = records_for(lead)[0]
    assert (change.action, change.channel, change.actor) == (
        ChangeAction.CREATE,
        AuditChannel.IMPORT,
        personas.alice,
    )
    assert change.changes["email"] == [None, "new@example.com"]


def test_outside_any_context_a_change_is_recorded_as_system():
    lead = LeadFactory()
    assert records_for(lead)[0].channel == AuditChannel.SYSTEM


def test_a_delete_through_the_admin_is_recorded_as_admin(personas, client_for):
    from accord.people.models import Team

    team = Team.objects.create(name="Team Retail", segment="Retail")
    response = client_for(personas.root).post(f"/admin/people/team/{team.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    change = (
        ChangeRecord.objects.filter(object_type="people.team", object_id=str(team.pk)).order_by("id").last()
    )
    assert (change.action, change.channel, change.actor) == (
        ChangeAction.DELETE,
        AuditChannel.ADMIN,
        personas.root,
    )
    assert change.changes["name"] == ["Team Retail", None]
    assert change.is_configuration


def test_an_edit_through_the_admin_is_recorded_as_admin_with_old_and_new(personas, client_for):
    from accord.routing.models import Queue

    queue = Queue.objects.create(name="Overflow")
    response = client_for(personas.root).post(
        f"/admin/routing/queue/{queue.pk}/change/", {"name": "Overflow EU", "owner": "", "is_fallback": ""}
    )
    assert response.status_code == 302, response.content[:2000]
    change = records_for(queue)[-1]
    assert (change.channel, change.actor) == (AuditChannel.ADMIN, personas.root)
    assert change.changes == {"name": ["Overflow", "Overflow EU"]}


def test_saving_without_a_change_leaves_no_record(personas):
    lead = LeadFactory()
    lead.save()
    lead.save(update_fields=["updated_at"])
    assert [c.action for c in records_for(lead)] == [ChangeAction.CREATE]


def test_a_rolled_back_change_leaves_no_record(personas):
    from django.db import transaction

    lead = LeadFactory(score=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        lead.score = 99
        lead.save()
        raise RuntimeError("boom")
    assert [c.action for c in records_for(lead)] == [ChangeAction.CREATE]


def test_secrets_are_masked_never_stored(personas):
    source = Source.objects.create(name="Website", signing_secret="s3cret-one")
    source.signing_secret = "s3cret-two"
    source.save()
    created, updated = records_for(source)
    assert created.changes["signing_secret"] == [None, MASK]
    assert updated.changes == {"signing_secret": [MASK, MASK]}
    assert "s3cret" not in str(created.changes) + str(updated.changes)
    assert source.public_key not in str(created.changes)


def test_a_password_change_is_recorded_as_changed_without_the_hash(personas):
    personas.bob.set_password("another-long-passphrase")
    personas.bob.save()
    change = records_for(personas.bob)[-1]
    assert change.changes == {"password": [MASK, MASK]}


def test_an_owner_change_records_user_ids(personas):
    lead = LeadFactory(owner=personas.bob)
    lead.owner = personas.carol
    lead.save()
    assert records_for(lead)[-1].changes == {"owner": [personas.bob.pk, personas.carol.pk]}


# --- configuration --------------------------------------------------------------------------------------


def test_criteria_drafts_and_their_rules_are_recorded_as_configuration(personas):
    from accord.qualification.services import criteria_draft_create, criteria_draft_update

    with audit_context(actor=personas.mona, channel=AuditChannel.PAGE):
        draft = criteria_draft_create(user=personas.mona)
        criteria_draft_update(
            criteria_set=draft, user=personas.mona, name="Q3 criteria", mql_threshold=70, notes="tighter",
            rules=[{"kind": "fit", "field": "title", "operator": "contains", "value": "VP", "points": 40}],
        )  # fmt: skip
    changes = records_for(draft)
    assert changes[-1].changes["mql_threshold"] == [60, 70]
    assert all(c.is_configuration and c.actor == personas.mona for c in changes)
    rules = ChangeRecord.objects.filter(object_type="qualification.criteriarule")
    assert rules.filter(action=ChangeAction.CREATE, changes__points=[None, 40]).exists()


def test_routing_rule_changes_are_recorded(personas):
    from accord.routing.services import rule_add, rule_set_create

    with audit_context(actor=personas.sam, channel=AuditChannel.API):
        rule_set = rule_set_create(actor=personas.sam)
        rule = rule_add(
            rule_set=rule_set, actor=personas.sam, name="Health to Health", conditions=[],
            target_kind="team", target_team=personas.health,
        )  # fmt: skip
    change = records_for(rule)[0]
    assert change.is_configuration and change.channel == AuditChannel.API
    assert change.changes["target_team"] == [None, personas.health.pk]


def test_an_sla_policy_change_is_recorded(personas):
    from accord.sla.models import SlaPolicy

    policy = SlaPolicy.objects.create(name="Hot", accept_hours=8)
    policy.accept_hours = 4
    policy.save()
    assert records_for(policy)[-1].changes == {"accept_hours": [8.0, 4.0]}


def test_role_changes_are_recorded(personas):
    from accord.people.services import user_roles_set

    with audit_context(actor=personas.root, channel=AuditChannel.ADMIN):
        user_roles_set(user=personas.bob, roles=["sales_manager"])
    role_changes = ChangeRecord.objects.filter(object_type="people.userrole", actor=personas.root)
    assert set(role_changes.values_list("action", flat=True)) == {ChangeAction.CREATE, ChangeAction.DELETE}
    assert role_changes.get(action=ChangeAction.DELETE).changes["role"] == ["sales_rep", None]
    assert role_changes.get(action=ChangeAction.CREATE).changes["role"] == [None, "sales_manager"]


def test_the_registry_names_only_fields_that_exist():
    from accord.audit.capture import unknown_fields

    assert unknown_fields() == []
