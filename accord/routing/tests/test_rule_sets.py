"""Rule versions: drafts, editing, activation, the overlap/gap check and the dry run."""

from __future__ import annotations

import pytest
import time_machine

from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.models import Event
from accord.leads.models import Lead
from accord.routing.models import LeadRouting, RoundRobinPointer, RoutingRuleSet, RuleSetStatus, TargetKind
from accord.routing.selectors import rule_set_check
from accord.routing.services import (
    ACTIVATED,
    routing_dry_run,
    rule_add,
    rule_move,
    rule_remove,
    rule_set_activate,
    rule_set_create,
    rule_set_update,
)
from accord.routing.tests.factories import active_rules, cond, make_account, make_lead, make_queue

pytestmark = pytest.mark.django_db

TODAY = "2026-03-10 10:00Z"


def names(rule_set):
    return list(rule_set.rules.order_by("position").values_list("name", flat=True))


def test_a_new_draft_copies_the_active_version(personas):
    active = active_rules({"name": "Health", "target_team": personas.health})

    draft = rule_set_create(actor=personas.sam, notes="Add Finance")

    assert draft.version == active.version + 1
    assert draft.status == RuleSetStatus.DRAFT
    assert names(draft) == ["Health"]


def test_rules_are_added_removed_and_reordered_in_a_draft(personas):
    draft = rule_set_create(actor=personas.mike)
    rule_add(
        rule_set=draft,
        actor=personas.mike,
        name="Health",
        target_kind=TargetKind.TEAM,
        target_team=personas.health,
        conditions=[cond("industry", "equals", "Healthcare")],
    )
    finance = rule_add(
        rule_set=draft,
        actor=personas.mike,
        name="Finance",
        target_kind=TargetKind.TEAM,
        target_team=personas.finance,
        conditions=[],
    )
    rule_add(
        rule_set=draft,
        actor=personas.mike,
        name="VIP",
        target_kind=TargetKind.USER,
        target_user=personas.charlie,
        conditions=[cond("score", "gte", 90)],
        position=1,
    )
    assert names(draft) == ["VIP", "Health", "Finance"]

    rule_move(rule=finance, actor=personas.mike, offset=-1)
    assert names(draft) == ["VIP", "Finance", "Health"]
    rule_remove(rule=draft.rules.get(name="VIP"), actor=personas.mike)
    assert names(draft) == ["Finance", "Health"]
    assert list(draft.rules.order_by("position").values_list("position", flat=True)) == [1, 2]


def test_bad_rules_are_refused_with_the_reason(personas):
    draft = rule_set_create(actor=personas.sam)
    with pytest.raises(ApplicationError, match="bad condition: condition 1: unknown field 'shoe'"):
        rule_add(
            rule_set=draft,
            actor=personas.sam,
            name="x",
            target_kind="team",
            target_team=personas.health,
            conditions=[cond("shoe", "equals", "9")],
        )
    with pytest.raises(ApplicationError, match="Choose the rep"):
        rule_add(rule_set=draft, actor=personas.sam, name="x", target_kind="user", conditions=[])


def test_only_drafts_can_be_edited(personas):
    active = active_rules({"target_team": personas.health})
    with pytest.raises(Conflict, match="only drafts can be edited"):
        rule_set_update(rule_set=active, actor=personas.sam, notes="no")


def test_reps_and_marketing_may_not_edit_or_activate_rules(personas):
    with pytest.raises(AccessDenied):
        rule_set_create(actor=personas.bob)
    draft = rule_set_create(actor=personas.sam)
    with pytest.raises(AccessDenied):
        rule_set_activate(rule_set=draft, actor=personas.mona)


@time_machine.travel(TODAY, tick=False)
def test_activating_a_draft_retires_the_active_version_and_records_an_event(personas):
    old = active_rules({"target_team": personas.health})
    draft = rule_set_create(actor=personas.mike)
    rule_set_update(
        rule_set=draft,
        actor=personas.mike,
        rules=[
            {"name": "Finance", "target_kind": "team", "target_team": personas.finance, "conditions": []},
        ],
    )

    rule_set_activate(rule_set=draft, actor=personas.mike)

    old.refresh_from_db()
    draft.refresh_from_db()
    assert old.status == RuleSetStatus.RETIRED
    assert draft.status == RuleSetStatus.ACTIVE
    assert draft.activated_by == personas.mike
    event = Event.objects.get(type=ACTIVATED)
    assert event.payload == {"version": draft.version, "previous_version": old.version, "rules": 1}
    assert RoutingRuleSet.objects.filter(status=RuleSetStatus.ACTIVE).count() == 1


def test_the_database_refuses_two_active_versions(personas):
    from django.db import IntegrityError

    active_rules()
    with pytest.raises(IntegrityError):
        RoutingRuleSet.objects.create(version=99, status=RuleSetStatus.ACTIVE)


def test_the_check_shows_overlapping_rules_and_leads_that_fall_through(personas):
    rule_set = active_rules(
        {
            "name": "Healthcare",
            "conditions": [cond("industry", "equals", "Healthcare")],
            "target_team": personas.health,
        },
        {"name": "Big", "conditions": [cond("company_size", "gte", 1000)], "target_team": personas.finance},
    )
    both = make_lead(industry="Healthcare", company_size=5000)
    health = make_lead(industry="Healthcare", company_size=10)
    neither = make_lead(industry="Retail", company_size=10)

    check = rule_set_check(rule_set, [both, health, neither])

    assert check.checked == 3
    assert [(o.lead, [r.name for r in o.rules]) for o in check.overlaps] == [(both, ["Healthcare", "Big"])]
    assert check.gaps == [neither]
    assert not check.ok


@time_machine.travel(TODAY, tick=False)
def test_the_dry_run_shows_where_leads_would_go_and_writes_nothing(personas):
    partners = make_queue("Partners", owner=personas.sam)
    rule_set = active_rules(
        {
            "name": "Partner",
            "conditions": [cond("lead_source", "equals", "partner")],
            "target_queue": partners,
        },
        {
            "name": "Health",
            "conditions": [cond("industry", "equals", "Healthcare")],
            "target_team": personas.health,
        },
    )
    make_lead(industry="Healthcare")
    make_lead(industry="Healthcare")
    make_lead(lead_source="partner")
    make_lead(industry="Retail")
    make_lead(account=make_account("Acme", owner=personas.charlie))
    counts = (Event.objects.count(), LeadRouting.objects.count(), RoundRobinPointer.objects.count())

    rows = routing_dry_run(rule_set, limit=100)

    assert (Event.objects.count(), LeadRouting.objects.count(), RoundRobinPointer.objects.count()) == counts
    assert not Lead.objects.filter(owner__isnull=False).exists()
    assert [(r.owner, r.queue_name, r.rule_number) for r in rows] == [
        (personas.bob, "", 2),
        (personas.carol, "", 2),  # the simulated round-robin moves on
        (None, "Partners", 1),
        (None, "Unassigned leads", None),
        (personas.charlie, "", None),
    ]
    assert rows[4].explanation == "account owner Charlie owns Acme"


def test_the_dry_run_looks_at_the_newest_leads_only(personas):
    rule_set = active_rules({"target_team": personas.health})
    for _ in range(5):
        make_lead()
    assert len(routing_dry_run(rule_set, limit=3)) == 3
