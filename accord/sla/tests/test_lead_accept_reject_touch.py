"""Accepting, rejecting and logging touches: who may, what they change, and the events they leave."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import events_for
from accord.leads.models import Stage
from accord.sla import services
from accord.sla.models import ClockKind, ClockStatus, RejectionReason, SlaClock, TouchKind, TouchOutcome

NOW = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def assigned(personas, make_lead):
    with time_machine.travel(NOW, tick=False):
        lead = make_lead(owner=personas.bob, utm_campaign="spring-webinar")
        services.sla_start_for_assignment(lead=lead, assigned_at=NOW)
    return lead


@time_machine.travel(NOW.replace(minute=20), tick=False)
def test_the_owner_accepts_which_meets_the_accept_clock_and_starts_first_touch(personas, assigned):
    lead = services.lead_accept(lead=assigned, user=personas.bob)
    assert lead.stage == Stage.SAL
    accept = SlaClock.objects.get(lead=lead, kind=ClockKind.ACCEPT)
    assert accept.status == ClockStatus.MET and accept.met_on_time
    first = SlaClock.objects.open().get(lead=lead)
    assert first.kind == ClockKind.FIRST_TOUCH and first.started_at == NOW.replace(minute=20)
    assert "lead.accepted" in [e.type for e in events_for(lead)]


def test_the_reps_manager_may_accept_for_them(personas, assigned):
    assert services.lead_accept(lead=assigned, user=personas.mike).stage == Stage.SAL


def test_a_teammate_or_an_outsider_may_not_accept(personas, assigned):
    with pytest.raises(AccessDenied):  # carol sees her teammate's lead but may not act on it
        services.lead_accept(lead=assigned, user=personas.carol)
    for user in (personas.charlie, personas.fiona):  # outside their scope: the lead does not exist for them
        with pytest.raises(NotFound):
            services.lead_accept(lead=assigned, user=user)


def test_accepting_twice_is_a_conflict(personas, assigned):
    services.lead_accept(lead=assigned, user=personas.bob)
    with pytest.raises(Conflict):
        services.lead_accept(lead=assigned, user=personas.bob)


def test_a_rejection_needs_a_known_reason_and_other_needs_a_note(personas, assigned):
    with pytest.raises(ApplicationError) as missing:
        services.lead_reject(lead=assigned, user=personas.bob, reason="")
    assert "reason" in missing.value.detail
    with pytest.raises(ApplicationError) as no_note:
        services.lead_reject(lead=assigned, user=personas.bob, reason=RejectionReason.OTHER, note="  ")
    assert "note" in no_note.value.detail


def test_not_ready_goes_to_nurture_and_the_owner_is_cleared_for_marketing(personas, assigned):
    lead = services.lead_reject(
        lead=assigned, user=personas.bob, reason=RejectionReason.NOT_READY, note="budget next year"
    )
    assert lead.stage == Stage.NURTURE and lead.owner is None
    assert not SlaClock.objects.open().filter(lead=lead).exists()
    event = events_for(lead).get(type="lead.rejected")
    assert event.payload["reason"] == "not_ready" and event.payload["previous_owner"] == personas.bob.pk
    assert event.payload["campaign"] == "spring-webinar"


def test_other_reasons_disqualify_and_rejecting_in_time_meets_the_accept_clock(personas, assigned):
    lead = services.lead_reject(lead=assigned, user=personas.bob, reason=RejectionReason.BAD_DATA)
    assert lead.stage == Stage.DISQUALIFIED
    assert SlaClock.objects.get(lead=lead, kind=ClockKind.ACCEPT).status == ClockStatus.MET


def test_a_touch_meets_first_touch_and_starts_next_touch(personas, assigned):
    services.lead_accept(lead=assigned, user=personas.bob)
    touch = services.touch_log(
        lead=assigned,
        user=personas.bob,
        kind=TouchKind.CALL,
        outcome=TouchOutcome.CONNECTED,
        note="wants a demo",
    )
    assert SlaClock.objects.get(lead=assigned, kind=ClockKind.FIRST_TOUCH).status == ClockStatus.MET
    nxt = SlaClock.objects.open().get(lead=assigned)
    assert nxt.kind == ClockKind.NEXT_TOUCH and nxt.started_at == touch.occurred_at
    touched = events_for(assigned).get(type="lead.touched")
    assert touched.payload["kind"] == "call" and touched.payload["outcome"] == "connected"


def test_a_touch_on_a_lead_awaiting_acceptance_accepts_it_first(personas, assigned):
    services.touch_log(lead=assigned, user=personas.bob, kind=TouchKind.EMAIL)
    assigned.refresh_from_db()
    assert assigned.stage == Stage.SAL
    kinds = dict(SlaClock.objects.filter(lead=assigned).values_list("kind", "met_at"))
    assert kinds[ClockKind.ACCEPT] and kinds[ClockKind.FIRST_TOUCH]
    assert SlaClock.objects.open().get(lead=assigned).kind == ClockKind.NEXT_TOUCH


def test_unknown_touch_kinds_and_outcomes_are_refused(personas, assigned):
    with pytest.raises(ApplicationError):
        services.touch_log(lead=assigned, user=personas.bob, kind="fax")
    with pytest.raises(ApplicationError):
        services.touch_log(lead=assigned, user=personas.bob, kind=TouchKind.CALL, outcome="maybe")


def test_a_rejection_reads_in_words_on_the_lead_page_never_as_its_code(personas, assigned, client_for):
    services.lead_reject(
        lead=assigned, user=personas.bob, reason=RejectionReason.BAD_DATA, note="typo in email"
    )
    html = client_for(personas.root).get(f"/leads/{assigned.pk}/").content.decode()
    assert "bad_data" not in html
    assert "Reason: rejected by sales: Bad data" in html  # the stage change
    assert "Rejected by Bob: Bad data" in html and "Note: typo in email" in html  # the rejection itself
