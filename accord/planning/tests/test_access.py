"""Planning's records in the one access layer: ``restrict`` knows every planning model, and the rules per
record (who sees, who acts) are answered by ``accord.people.access`` like every other record's."""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.utils import timezone

from accord.core.errors import AccessDenied, NotFound
from accord.people import access
from accord.planning.models import Disagreement, Goal, Meeting, Plan, Preview, Promise
from accord.planning.services import (
    disagreement_raise,
    goal_create,
    meeting_create,
    preview_mark_done,
    promise_make,
)
from accord.planning.tests.factories import plan_previewed

pytestmark = pytest.mark.django_db

EVERYONE = ("alice", "mona", "bob", "carol", "mike", "fiona", "sam", "charlie", "eve", "root")


def _who(personas, queryset_for, record) -> set[str]:
    return {name for name in EVERYONE if queryset_for(getattr(personas, name)).filter(pk=record.pk).exists()}


def test_restrict_knows_every_planning_model(personas):
    for model in apps.get_app_config("planning").get_models():
        assert model._meta.label_lower in access.POLICIES, model._meta.label
        assert access.restrict(model.objects.all(), personas.root, "view") is not None


def test_every_role_reads_planning_and_a_user_without_a_role_nothing(personas):
    from accord.people.tests.factories import user_with_roles

    plan, _ = plan_previewed(personas)
    nobody = user_with_roles("nobody")
    for model in (Plan, Preview):
        assert set(access.restrict(model.objects.all(), personas.bob, "view")) == set(model.objects.all())
        assert not access.restrict(model.objects.all(), nobody, "view").exists()
    with pytest.raises(NotFound):
        access.access_plan_by_id(nobody, plan.pk, action="view")


def test_preview_comment_and_done_follow_the_team_and_its_chain(personas):
    _, preview = plan_previewed(personas)
    assert _who(personas, lambda u: access.restrict(Preview.objects.all(), u, "comment"), preview) == {
        "alice", "mona", "bob", "carol", "mike", "sam", "root"
    }  # fmt: skip
    assert _who(personas, lambda u: access.previews_actionable_by(u, "done"), preview) == {
        "mike",
        "sam",
        "root",
    }
    assert access.may_act(personas.mike, preview, "done")
    assert not access.may_act(personas.bob, preview, "done")


def test_a_refused_preview_write_is_a_403_that_says_who_may_and_changes_nothing(personas):
    _, preview = plan_previewed(personas)
    with pytest.raises(AccessDenied, match="team's lead"):
        preview_mark_done(preview=preview, actor=personas.bob)
    preview.refresh_from_db()
    assert preview.done_at is None
    assert preview_mark_done(preview=preview, actor=personas.mike).done_at is not None


def test_a_disagreement_is_resolved_by_its_assignee_those_above_the_sponsor_and_admins(personas):
    plan, preview = plan_previewed(personas, sponsor=personas.eve)
    item = plan.versions.get(kind="plan").items.get(key="sqls")
    d = disagreement_raise(item=item, actor=personas.bob, body="Too many", preview=preview)
    assert d.assignee == personas.mike
    resolvers = _who(personas, lambda u: access.restrict(Disagreement.objects.all(), u, "resolve"), d)
    assert resolvers == {"mike", "sam", "eve", "root"}
    with pytest.raises(AccessDenied, match="waits on"):
        access.access_disagreement_by_id(personas.alice, d.pk, action="resolve")


def test_outside_a_preview_marketing_sales_managers_and_heads_disagree(personas):
    plan, _ = plan_previewed(personas)
    item = plan.versions.get(kind="plan").items.get(key="sqls")
    may = _who(personas, lambda u: access.plan_items_actionable_by(u, "disagree"), item)
    assert may == {"alice", "mona", "mike", "fiona", "sam", "root"}
    with pytest.raises(AccessDenied, match="raise disagreements"):
        disagreement_raise(item=item, actor=personas.bob, body="No")


def test_goals_meetings_and_promises(personas):
    goal = goal_create(actor=personas.sam, side="sales", metric="custom", unit="joint calls", target=5,
                       period_start=date(2027, 1, 1), period_end=date(2027, 3, 31), owner=personas.bob)  # fmt: skip
    assert _who(personas, lambda u: access.restrict(Goal.objects.all(), u, "act"), goal) == {
        "bob", "mike", "fiona", "sam", "root"
    }  # fmt: skip
    meeting = meeting_create(actor=personas.alice, kind="team", title="Tactics", starts_at=timezone.now(),
                             team=personas.health)  # fmt: skip
    assert _who(personas, access.meetings_actionable_by, meeting) == {"alice", "mona", "mike", "sam", "root"}
    assert set(access.restrict(Meeting.objects.all(), personas.fiona, "run")) == set()
    promise = promise_make(actor=personas.alice, title="Deck", owner=personas.bob, due_on=date(2027, 1, 5))
    assert _who(personas, lambda u: access.restrict(Promise.objects.all(), u, "keep"), promise) == {
        "bob", "mike", "sam", "mona", "root"
    }  # fmt: skip


def test_statements_are_read_by_the_person_their_managers_heads_executives_and_admins(personas):
    readers = {
        name for name in EVERYONE if access.may_read_statement_of(getattr(personas, name), personas.bob)
    }
    assert readers == {"bob", "mike", "sam", "mona", "eve", "root"}
