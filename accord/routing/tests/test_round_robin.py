"""Team round-robin: fair spread, absences, weights and capacity."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
import time_machine

from accord.core.models import Event
from accord.people.models import Absence, Role
from accord.people.tests.factories import user_with_roles
from accord.routing.engine import smooth_weighted_pick
from accord.routing.models import RepCapacity, RoundRobinPointer
from accord.routing.services import QUEUE_ALERT, lead_route
from accord.routing.tests.factories import active_rules, make_lead

pytestmark = pytest.mark.django_db

TODAY = "2026-03-10 10:00Z"  # a Tuesday


@pytest.fixture
def health_reps(personas):
    """Team Health with five available reps (bob, carol, dave, erin, frank) and gina, who is away."""
    extra = [
        user_with_roles(name, Role.SALES_REP, team=personas.health, manager=personas.mike)
        for name in ("dave", "erin", "frank", "gina")
    ]
    gina = extra[-1]
    Absence.objects.create(user=gina, start=date(2026, 3, 1), end=date(2026, 3, 31), reason="leave")
    return [personas.bob, personas.carol, *extra[:3]], gina


@time_machine.travel(TODAY, tick=False)
def test_round_robin_over_1000_leads_gives_five_available_reps_200_each_and_never_an_absent_rep(
    personas, health_reps
):
    reps, gina = health_reps
    active_rules({"name": "Health", "target_team": personas.health})
    leads = [make_lead() for _ in range(1000)]

    owners = Counter(lead_route(lead=lead).owner for lead in leads)

    assert gina not in owners
    assert set(owners) == set(reps)
    assert all(199 <= owners[rep] <= 201 for rep in reps), owners
    assert RoundRobinPointer.objects.get(team=personas.health).counter == 1000


@time_machine.travel(TODAY, tick=False)
def test_the_manager_of_a_team_is_not_in_its_round_robin(personas):
    active_rules({"target_team": personas.health})
    owners = {lead_route(lead=make_lead()).owner for _ in range(6)}
    assert owners == {personas.bob, personas.carol}


@time_machine.travel(TODAY, tick=False)
def test_weighted_round_robin_follows_the_reps_weights(personas):
    RepCapacity.objects.create(user=personas.bob, weight=3)
    active_rules({"target_team": personas.health, "weighted": True})

    owners = Counter(lead_route(lead=make_lead()).owner for _ in range(40))

    assert owners == {personas.bob: 30, personas.carol: 10}


def test_smooth_weighted_pick_interleaves_rather_than_bunching():
    credits: dict[str, int] = {}
    picks = [smooth_weighted_pick({1: 2, 2: 1}, credits) for _ in range(6)]
    assert picks == [1, 2, 1, 1, 2, 1]


@time_machine.travel(TODAY, tick=False)
def test_a_rep_at_their_daily_limit_is_skipped(personas):
    RepCapacity.objects.create(user=personas.bob, daily_limit=2)
    active_rules({"target_team": personas.health})

    owners = Counter(lead_route(lead=make_lead()).owner for _ in range(10))

    assert owners == {personas.bob: 2, personas.carol: 8}


@time_machine.travel(TODAY, tick=False)
def test_daily_capacity_frees_up_the_next_day_but_weekly_capacity_does_not(personas):
    RepCapacity.objects.create(user=personas.bob, daily_limit=1, weekly_limit=2)
    RepCapacity.objects.create(user=personas.carol, accepts_leads=False)
    active_rules({"target_team": personas.health})

    assert lead_route(lead=make_lead()).owner == personas.bob
    assert lead_route(lead=make_lead()).owner is None
    with time_machine.travel("2026-03-11 10:00Z", tick=False):
        assert lead_route(lead=make_lead()).owner == personas.bob
    with time_machine.travel("2026-03-12 10:00Z", tick=False):
        result = lead_route(lead=make_lead())
    assert result.owner is None
    assert "Bob at weekly capacity (2)" in result.explanation
    with time_machine.travel("2026-03-16 10:00Z", tick=False):  # next Monday: a new week
        assert lead_route(lead=make_lead()).owner == personas.bob


@time_machine.travel(TODAY, tick=False)
def test_when_everyone_is_at_capacity_leads_go_to_the_fallback_queue_with_an_alert(personas):
    RepCapacity.objects.create(user=personas.bob, daily_limit=1)
    RepCapacity.objects.create(user=personas.carol, daily_limit=1)
    active_rules({"name": "Health", "target_team": personas.health})
    lead_route(lead=make_lead())
    lead_route(lead=make_lead())
    third = make_lead()

    result = lead_route(lead=third)

    assert result.owner is None
    assert result.queue.is_fallback
    assert result.explanation == (
        "rule 1 'Health': every lead → team Team Health: nobody in team Team Health is available "
        "(Bob at daily capacity (1), Carol at daily capacity (1)) → fallback queue Unassigned leads"
    )
    alert = Event.objects.get(type=QUEUE_ALERT, subject_id=third.pk)
    assert alert.payload["recipient_id"] == personas.sam.pk


@time_machine.travel(TODAY, tick=False)
def test_a_rep_target_at_capacity_passes_the_lead_to_the_next_rule(personas):
    RepCapacity.objects.create(user=personas.charlie, daily_limit=1)
    active_rules(
        {"name": "Charlie", "target_user": personas.charlie},
        {"name": "Health", "target_team": personas.health},
    )

    first, second = lead_route(lead=make_lead()), lead_route(lead=make_lead())

    assert first.owner == personas.charlie
    assert second.owner in (personas.bob, personas.carol)
    assert (
        "rule 1 'Charlie': every lead → rep Charlie: Charlie is at daily capacity (1)" in second.explanation
    )
