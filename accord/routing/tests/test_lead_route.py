"""lead_route: account control, rule order, skipping unavailable reps, queues and the fallback."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from accord.core.models import Event
from accord.people.models import Absence
from accord.routing.models import LeadRouting, Queue, RepCapacity
from accord.routing.selectors import ASSIGNED
from accord.routing.services import QUEUE_ALERT, lead_route
from accord.routing.tests.factories import active_rules, cond, make_account, make_lead, make_queue

pytestmark = pytest.mark.django_db

TODAY = "2026-03-10 10:00Z"  # a Tuesday


def assigned_events(lead):
    return list(Event.objects.filter(type=ASSIGNED, subject_type="lead", subject_id=lead.pk))


@time_machine.travel(TODAY, tick=False)
def test_the_account_owner_gets_the_lead_first(personas):
    active_rules({"target_team": personas.finance})
    acme = make_account("Acme", owner=personas.bob)
    lead = make_lead(account=acme)

    result = lead_route(lead=lead)

    lead.refresh_from_db()
    assert lead.owner == personas.bob
    assert result.explanation == "account owner Bob owns Acme"
    [event] = assigned_events(lead)
    assert event.payload["reason"] == "account_owner"
    assert event.payload["owner_id"] == personas.bob.pk


@time_machine.travel(TODAY, tick=False)
def test_an_away_account_owner_is_passed_over_and_the_rules_decide(personas):
    active_rules({"name": "Finance", "target_team": personas.finance})
    Absence.objects.create(user=personas.bob, start=date(2026, 3, 9), end=date(2026, 3, 13))
    lead = make_lead(account=make_account("Acme", owner=personas.bob))

    result = lead_route(lead=lead)

    assert result.owner == personas.charlie
    assert result.explanation == (
        "rule 1 'Finance': every lead → team Team Finance, round-robin → Charlie "
        "(passed over: account owner Bob of Acme is away)"
    )


@time_machine.travel(TODAY, tick=False)
def test_an_account_owner_at_capacity_is_passed_over(personas):
    active_rules({"target_team": personas.finance})
    RepCapacity.objects.create(user=personas.bob, daily_limit=1)
    acme = make_account("Acme", owner=personas.bob)
    first, second = make_lead(account=acme), make_lead(account=acme)

    assert lead_route(lead=first).owner == personas.bob
    assert lead_route(lead=second).owner == personas.charlie


@time_machine.travel(TODAY, tick=False)
def test_rules_are_tried_in_order(personas):
    active_rules(
        {
            "name": "Healthcare",
            "conditions": [cond("industry", "equals", "Healthcare")],
            "target_team": personas.health,
        },
        {"name": "Anything", "target_user": personas.charlie},
    )
    health_lead = make_lead(industry="Healthcare")
    other_lead = make_lead(industry="Retail")

    health = lead_route(lead=health_lead)
    other = lead_route(lead=other_lead)

    assert health.owner in (personas.bob, personas.carol)
    assert health.explanation.startswith(
        "rule 1 'Healthcare': industry = Healthcare → team Team Health, round-robin → "
    )
    assert other.owner == personas.charlie
    assert other.explanation == "rule 2 'Anything': every lead → rep Charlie"
    event = assigned_events(health_lead)[0]
    assert event.payload["rule_set_version"] == 1
    assert event.payload["explanation"] == health.explanation


@time_machine.travel(TODAY, tick=False)
def test_inactive_reps_are_skipped(personas):
    personas.bob.is_active = False
    personas.bob.save()
    active_rules({"name": "Bob's", "target_user": personas.bob}, {"target_team": personas.health})

    owners = {lead_route(lead=make_lead()).owner for _ in range(4)}

    assert owners == {personas.carol}


@time_machine.travel(TODAY, tick=False)
def test_a_queue_rule_parks_the_lead_and_alerts_the_queue_owner(personas):
    partners = make_queue("Partners", owner=personas.sam)
    active_rules(
        {
            "name": "Partner leads",
            "conditions": [cond("lead_source", "equals", "partner")],
            "target_queue": partners,
        }
    )
    lead = make_lead(lead_source="Partner")

    result = lead_route(lead=lead)

    lead.refresh_from_db()
    assert lead.owner is None
    assert LeadRouting.objects.get(lead=lead).queue == partners
    assert result.explanation == "rule 1 'Partner leads': lead_source = partner → queue Partners"
    alert = Event.objects.get(type=QUEUE_ALERT, subject_id=lead.pk)
    assert alert.payload["recipient_id"] == personas.sam.pk
    assert alert.payload["fallback"] is False


@time_machine.travel(TODAY, tick=False)
def test_a_lead_no_rule_matches_goes_to_a_fallback_queue_made_on_demand(personas):
    active_rules(
        {
            "name": "Healthcare",
            "conditions": [cond("industry", "equals", "Healthcare")],
            "target_team": personas.health,
        }
    )
    lead = make_lead(industry="Retail")

    result = lead_route(lead=lead)

    fallback = Queue.objects.get(is_fallback=True)
    assert fallback.name == "Unassigned leads"
    assert fallback.owner == personas.sam  # the sales head watches it
    assert result.queue == fallback
    assert result.explanation == "no rule matched → fallback queue Unassigned leads"
    alert = Event.objects.get(type=QUEUE_ALERT, subject_id=lead.pk)
    assert alert.payload == {
        "queue_id": fallback.pk,
        "queue": "Unassigned leads",
        "fallback": True,
        "recipient_id": personas.sam.pk,
        "recipient": "Sam",
        "explanation": result.explanation,
    }


@time_machine.travel(TODAY, tick=False)
def test_without_active_rules_leads_still_land_in_the_fallback_queue(personas):
    result = lead_route(lead=make_lead())
    assert result.queue.is_fallback
    assert result.explanation == "no routing rules are active → fallback queue Unassigned leads"


@time_machine.travel(TODAY, tick=False)
def test_routing_an_assigned_lead_again_does_nothing_unless_forced(personas):
    active_rules({"target_team": personas.health})
    lead = make_lead()
    first = lead_route(lead=lead)

    again = lead_route(lead=lead)
    assert again.routed is False
    assert len(assigned_events(lead)) == 1

    forced = lead_route(lead=lead, force=True)
    assert forced.routed is True
    assert forced.owner != first.owner  # round-robin moved on
    events = assigned_events(lead)
    assert len(events) == 2
    assert events[1].payload["previous_owner_id"] == first.owner.pk


@time_machine.travel(TODAY, tick=False)
def test_a_lead_waiting_in_a_queue_counts_as_routed(personas):
    lead = make_lead()
    lead_route(lead=lead)
    assert lead_route(lead=lead).routed is False
