"""Reassigning a lead by hand, and re-routing the open leads of a rep who leaves."""

from __future__ import annotations

import pytest
import time_machine

from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.models import Event
from accord.leads.models import Stage
from accord.routing.models import LeadRouting
from accord.routing.selectors import ASSIGNED
from accord.routing.services import lead_reassign, lead_route, user_deactivate_reroute
from accord.routing.tests.factories import active_rules, make_account, make_lead

pytestmark = pytest.mark.django_db

TODAY = "2026-03-10 10:00Z"


@time_machine.travel(TODAY, tick=False)
def test_a_manager_reassigns_a_lead_with_a_reason_on_the_record(personas):
    lead = make_lead(owner=personas.bob)

    result = lead_reassign(
        lead=lead, to_user=personas.carol, reason="Bob is on a trade fair", actor=personas.mike
    )

    lead.refresh_from_db()
    assert lead.owner == personas.carol
    assert result.explanation == "reassigned by Mike from Bob to Carol: Bob is on a trade fair"
    event = Event.objects.get(type=ASSIGNED, subject_id=lead.pk)
    assert event.actor == personas.mike
    assert event.payload["reason"] == "reassigned"
    assert event.payload["note"] == "Bob is on a trade fair"
    assert event.payload["previous_owner_id"] == personas.bob.pk
    assert LeadRouting.objects.get(lead=lead).queue is None


def test_a_reassignment_needs_a_reason_an_active_rep_and_a_manager(personas):
    lead = make_lead(owner=personas.bob)
    with pytest.raises(ApplicationError, match="Give a reason"):
        lead_reassign(lead=lead, to_user=personas.carol, reason="  ", actor=personas.mike)
    with pytest.raises(AccessDenied):
        lead_reassign(lead=lead, to_user=personas.carol, reason="mine now", actor=personas.carol)
    with pytest.raises(AccessDenied):
        lead_reassign(lead=lead, to_user=personas.carol, reason="marketing", actor=personas.mona)
    with pytest.raises(Conflict):
        lead_reassign(lead=lead, to_user=personas.bob, reason="again", actor=personas.sam)
    personas.carol.is_active = False
    personas.carol.save()
    with pytest.raises(ApplicationError, match="inactive"):
        lead_reassign(lead=lead, to_user=personas.carol, reason="x", actor=personas.sam)


@time_machine.travel(TODAY, tick=False)
def test_a_deactivated_reps_open_leads_are_rerouted_never_orphaned(personas):
    active_rules({"target_team": personas.health})
    acme = make_account("Acme", owner=personas.bob)
    open_leads = [
        make_lead(owner=personas.bob, account=acme),
        make_lead(owner=personas.bob),
        make_lead(owner=personas.bob, stage=Stage.SAL),
    ]
    won = make_lead(owner=personas.bob, stage=Stage.CUSTOMER)

    results = user_deactivate_reroute(user=personas.bob, actor=personas.mike)

    personas.bob.refresh_from_db()
    assert personas.bob.is_active is False
    assert len(results) == 3
    for lead in open_leads:
        lead.refresh_from_db()
        assert lead.owner == personas.carol
    won.refresh_from_db()
    assert won.owner == personas.bob  # closed business keeps its history
    event = Event.objects.filter(type=ASSIGNED, subject_id=open_leads[0].pk).get()
    assert event.payload["previous_owner_id"] == personas.bob.pk
    assert event.payload["note"] == "Bob was deactivated"
    assert "account owner Bob of Acme is inactive" in event.payload["explanation"]


@time_machine.travel(TODAY, tick=False)
def test_a_deactivated_reps_leads_go_to_the_fallback_queue_when_nobody_else_can_take_them(personas):
    active_rules({"target_user": personas.charlie})
    lead = make_lead(owner=personas.charlie)

    user_deactivate_reroute(user=personas.charlie)

    lead.refresh_from_db()
    assert lead.owner is None
    assert LeadRouting.objects.get(lead=lead).queue.is_fallback


@time_machine.travel(TODAY, tick=False)
def test_routing_after_a_reassignment_leaves_the_lead_alone(personas):
    active_rules({"target_team": personas.health})
    lead = make_lead()
    lead_route(lead=lead)
    lead_reassign(lead=lead, to_user=personas.charlie, reason="speaks German", actor=personas.sam)
    assert lead_route(lead=lead).routed is False


@time_machine.travel(TODAY, tick=False)
def test_deleting_a_rep_reroutes_their_open_leads_first(personas):
    active_rules({"target_team": personas.health})
    leads = [make_lead(owner=personas.bob) for _ in range(2)]

    personas.bob.delete()

    for lead in leads:
        lead.refresh_from_db()
        assert lead.owner == personas.carol
