"""Policies are rows tried in priority order; the decision says why."""

from __future__ import annotations

from accord.leads.models import Source, Stage
from accord.sla.models import SlaPolicy
from accord.sla.services import sla_policy_for


def test_the_first_matching_policy_by_priority_wins_and_explains_itself(db, make_lead, hot_policy):
    webinar = Source.objects.create(name="Webinar")
    SlaPolicy.objects.create(name="Webinar", priority=20, source=webinar, accept_hours=16)
    found = sla_policy_for(lead=make_lead(score=85, source=webinar))
    assert found.policy == hot_policy
    assert found.reason == "policy 'Hot': score 85 ≥ 80"
    assert sla_policy_for(lead=make_lead(score=10, source=webinar)).policy.name == "Webinar"


def test_without_a_match_the_default_policy_applies_and_is_made_when_missing(db, make_lead):
    found = sla_policy_for(lead=make_lead(score=10, stage=Stage.MQL))
    assert found.policy.is_default and found.policy.name == "Standard"
    assert SlaPolicy.objects.filter(is_default=True).count() == 1


def test_inactive_policies_are_skipped(db, make_lead, hot_policy):
    hot_policy.is_active = False
    hot_policy.save()
    assert sla_policy_for(lead=make_lead(score=99)).policy.is_default
