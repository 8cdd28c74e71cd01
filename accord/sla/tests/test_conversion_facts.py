"""C7 conversion facts on the inbox, checked against a hand-built event history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accord.core.models import Event
from accord.sla.selectors import conversion_facts_for, conversion_team_for

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday; Team Health works 09:00-18:00 UTC Mon-Fri
MONDAY = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)


def event(type_: str, lead_id: int, at: datetime, stage: str = "", **payload) -> None:
    Event.objects.create(
        type=type_, subject_type="lead", subject_id=lead_id, occurred_at=at, stage=stage, payload=payload
    )


@pytest.fixture
def history(personas):
    """22 leads assigned to Team Health: 12 touched within the business hour (6 became opportunities),
    10 touched later or never (2 became opportunities); 10 accepted, 4 of them reached SQL later."""
    bob, carol, charlie = personas.bob.pk, personas.carol.pk, personas.charlie.pk
    lead = 1000
    for i in range(11):  # fast: touched 30 minutes after assignment
        lead += 1
        at = MONDAY + timedelta(days=i % 4, minutes=i)
        event("lead.assigned", lead, at, owner_id=bob if i % 2 else carol)
        event("lead.touched", lead, at + timedelta(minutes=30))
        if i < 5:
            event("lead.stage_changed", lead, at + timedelta(days=9), stage="opportunity")
    # Fast across a weekend: Friday 17:45 -> Monday 09:10 is 25 business minutes.
    lead += 1
    friday = datetime(2026, 2, 6, 17, 45, tzinfo=UTC)
    event("lead.assigned", lead, friday, owner_id=bob)
    event("lead.touched", lead, datetime(2026, 2, 9, 9, 10, tzinfo=UTC))
    event("lead.stage_changed", lead, datetime(2026, 2, 20, 9, 0, tzinfo=UTC), stage="customer")
    for i in range(10):  # slow: 5 touched 3 business hours later, 5 never touched
        lead += 1
        at = MONDAY + timedelta(days=7 + i % 4, minutes=i)
        event("lead.assigned", lead, at, owner_id=bob)
        if i < 5:
            event("lead.touched", lead, at + timedelta(hours=3))
        if i in (0, 7):
            event("lead.stage_changed", lead, at + timedelta(days=10), stage="opportunity")
    # An opportunity before the assignment does not count for it; a touch before it neither.
    lead += 1
    event("lead.stage_changed", lead, MONDAY - timedelta(days=20), stage="opportunity")
    event("lead.touched", lead, MONDAY - timedelta(days=20))
    event("lead.assigned", lead, MONDAY + timedelta(days=14), owner_id=carol)
    # Outside the team or the 12 months: ignored.
    event("lead.assigned", 5001, MONDAY, owner_id=charlie)
    event("lead.touched", 5001, MONDAY + timedelta(minutes=5))
    event("lead.assigned", 5002, NOW - timedelta(days=400), owner_id=bob)
    # Accepted by the team: 10, of which 4 reached SQL (or beyond) afterwards.
    for i in range(10):
        accepted_at = MONDAY + timedelta(days=i, hours=1)
        event("lead.accepted", 2000 + i, accepted_at, owner=bob)
        if i < 3:
            event("lead.stage_changed", 2000 + i, accepted_at + timedelta(days=5), stage="sql")
        if i == 3:
            event("lead.stage_changed", 2000 + i, accepted_at + timedelta(days=5), stage="opportunity")
        if i == 4:  # reached SQL before it was (re-)accepted: not a conversion of this acceptance
            event("lead.stage_changed", 2000 + i, accepted_at - timedelta(days=1), stage="sql")
    event("lead.accepted", 3000, MONDAY, owner=charlie)
    event("lead.stage_changed", 3000, MONDAY + timedelta(days=1), stage="sql")
    return personas


def test_the_figures_match_the_hand_built_history(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        facts = conversion_facts_for(teams=[history.health], now=NOW)

    assert (facts.fast.hits, facts.fast.n, facts.fast.percent) == (6, 12, 50.0)
    assert (facts.slow.hits, facts.slow.n, facts.slow.percent) == (2, 11, 18.2)
    assert (facts.accept_to_sql.hits, facts.accept_to_sql.n, facts.accept_to_sql.percent) == (4, 10, 40.0)
    assert facts.enough


def test_small_samples_say_not_enough_data(personas):
    event("lead.assigned", 1, MONDAY, owner_id=personas.bob.pk)
    event("lead.touched", 1, MONDAY + timedelta(minutes=5))

    facts = conversion_facts_for(teams=[personas.health], now=NOW)

    assert (facts.fast.n, facts.fast.percent, facts.enough) == (1, None, False)


def test_the_inbox_shows_the_facts_of_the_reps_team(client, history):
    assert conversion_team_for(history.bob) == ([history.health], "Team Health")
    client.login(username="bob", password=history.password)

    import time_machine

    with time_machine.travel(NOW, tick=False):
        html = client.get("/inbox/").content.decode()

    assert "became opportunities at" in html
    assert "50.0%</strong> (n=12)" in html
    assert "18.2%</strong> (n=11)" in html
    assert "40.0%</strong> (n=10)" in html


def test_the_inbox_says_not_enough_data_yet_for_a_new_team(client, personas):
    client.login(username="charlie", password=personas.password)

    assert "not enough data yet" in client.get("/inbox/").content.decode()
