"""Nurture and recycle: a track with a re-check date on every way into nurture, and the daily re-check."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from accord.core.events import events_for
from accord.leads.models import Stage
from accord.qualification.models import CriteriaStatus
from accord.qualification.tests.factories import criteria_with_rules
from accord.routing.tasks import route_lead_task
from accord.sla.models import NurtureSource, NurtureTrack, RejectionReason
from accord.sla.nurture import nurture_enter, nurture_recheck_due
from accord.sla.services import lead_reject

TODAY = date(2026, 11, 23)


@pytest.fixture
def criteria(db):
    return criteria_with_rules(status=CriteriaStatus.ACTIVE)  # VP +40, 200+ staff +30, threshold 60


@pytest.fixture(autouse=True)
def on_a_monday():
    with time_machine.travel("2026-11-23 10:00 +0000", tick=False) as traveller:
        yield traveller


def _queued_routes(lead) -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        task_path=route_lead_task.module_path, args_kwargs__args=[lead.pk]
    ).count()


def test_entering_nurture_moves_the_stage_and_sets_a_recheck_in_90_days(personas, make_lead):
    lead = make_lead(stage=Stage.MQL)
    track = nurture_enter(lead=lead, reason="budget next year", actor=personas.alice)
    lead.refresh_from_db()
    assert lead.stage == Stage.NURTURE
    assert (track.source, track.reason, track.recheck_on) == (
        NurtureSource.MANUAL,
        "budget next year",
        TODAY + timedelta(days=90),
    )
    assert [e.type for e in events_for(lead)][-2:] == ["lead.stage_changed", "lead.nurture_entered"]


def test_the_recheck_interval_is_a_setting_and_a_date_can_be_given(personas, make_lead, settings):
    settings.ACCORD_NURTURE_RECHECK_DAYS = 30
    assert nurture_enter(lead=make_lead(), reason="x").recheck_on == TODAY + timedelta(days=30)
    assert nurture_enter(lead=make_lead(), reason="x", recheck_on=date(2027, 1, 4)).recheck_on == date(
        2027, 1, 4
    )


def test_a_rejection_as_not_ready_opens_a_nurture_track(personas, make_lead):
    lead = make_lead(owner=personas.bob)
    lead_reject(lead=lead, user=personas.bob, reason=RejectionReason.NOT_READY, note="call in spring")
    track = NurtureTrack.objects.get(lead=lead)
    assert track.source == NurtureSource.REJECTION
    assert track.reason == "rejected by sales as not ready: call in spring"


def test_other_rejections_open_no_track(personas, make_lead):
    lead_reject(lead=make_lead(owner=personas.bob), user=personas.bob, reason=RejectionReason.NOT_A_FIT)
    assert not NurtureTrack.objects.exists()


def test_a_due_lead_that_now_qualifies_becomes_an_mql_and_is_routed(
    personas, make_lead, criteria, django_capture_on_commit_callbacks
):
    lead = make_lead(stage=Stage.NURTURE, title="Head of Ops", company_size=450, score=30)
    nurture_enter(lead=lead, reason="too junior", recheck_on=TODAY)
    lead.title = "VP Operations"  # promoted since
    lead.save()
    with django_capture_on_commit_callbacks(execute=True):
        counts = nurture_recheck_due()
    assert counts["requalified"] == 1
    lead.refresh_from_db()
    assert (lead.stage, lead.score) == (Stage.MQL, 70)
    assert "lead.requalified" in [e.type for e in events_for(lead)]
    assert NurtureTrack.objects.get(lead=lead).exited_at is not None
    assert _queued_routes(lead) == 1


def test_a_due_lead_that_still_does_not_qualify_gets_its_next_recheck(personas, make_lead, criteria):
    lead = make_lead(stage=Stage.NURTURE, title="Analyst", company_size=450)
    nurture_enter(lead=lead, reason="too junior", recheck_on=TODAY - timedelta(days=1))
    assert nurture_recheck_due() == {"backfilled": 0, "kept": 1}
    track = NurtureTrack.objects.get(lead=lead)
    assert (track.recheck_on, track.recheck_count) == (TODAY + timedelta(days=90), 1)
    lead.refresh_from_db()
    assert (lead.stage, lead.score) == (Stage.NURTURE, 30)


def test_the_recheck_is_idempotent_and_leaves_leads_not_yet_due_alone(
    personas, make_lead, criteria, django_capture_on_commit_callbacks
):
    due = make_lead(stage=Stage.NURTURE, title="VP Sales", company_size=450)
    later = make_lead(stage=Stage.NURTURE, title="VP Sales", company_size=450)
    nurture_enter(lead=due, reason="x", recheck_on=TODAY)
    nurture_enter(lead=later, reason="x", recheck_on=TODAY + timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert nurture_recheck_due()["requalified"] == 1
        assert nurture_recheck_due() == {"backfilled": 0}
    later.refresh_from_db()
    assert later.stage == Stage.NURTURE and _queued_routes(due) == 1


def test_a_lead_that_left_nurture_by_new_engagement_just_closes_its_track(personas, make_lead, criteria):
    lead = make_lead(stage=Stage.NURTURE)
    nurture_enter(lead=lead, reason="x", recheck_on=TODAY)
    lead.stage = Stage.MQL  # intake re-qualified it meanwhile and routed it
    lead.save()
    assert nurture_recheck_due() == {"backfilled": 0, "left": 1}
    assert NurtureTrack.objects.get(lead=lead).exit_reason == "left nurture for mql"


def test_nurture_leads_without_a_track_get_one_at_the_next_run(personas, make_lead, criteria):
    lead = make_lead(stage=Stage.NURTURE, title="Analyst")
    lead.stage_changed_at = timezone.now() - timedelta(days=100)
    lead.save()
    counts = nurture_recheck_due()
    assert counts == {"backfilled": 1, "kept": 1}  # entered 100 days ago: due at once
    assert NurtureTrack.objects.get(lead=lead).source == NurtureSource.CRITERIA


def test_the_bulk_backfill_limited_to_some_leads_tracks_only_those_and_only_once(
    personas, make_lead, criteria
):
    from accord.sla.nurture import nurture_tracks_backfill

    moved = [make_lead(stage=Stage.NURTURE, title="Analyst") for _ in range(3)]
    other = make_lead(stage=Stage.NURTURE, title="Analyst")
    not_nurture = make_lead(stage=Stage.MQL)
    moved[0].stage_changed_at = timezone.now() - timedelta(days=10)
    moved[0].save()
    ids = [lead.pk for lead in moved] + [not_nurture.pk]
    assert nurture_tracks_backfill(lead_ids=ids) == 3
    assert nurture_tracks_backfill(lead_ids=ids) == 0  # already tracked
    assert nurture_tracks_backfill(lead_ids=[]) == 0
    tracks = {t.lead_id: t for t in NurtureTrack.objects.all()}
    assert set(tracks) == {lead.pk for lead in moved}
    assert tracks[moved[0].pk].recheck_on == TODAY - timedelta(days=10) + timedelta(days=90)
    assert tracks[moved[1].pk].recheck_on == TODAY + timedelta(days=90)
    assert tracks[moved[1].pk].source == NurtureSource.CRITERIA and tracks[moved[1].pk].exited_at is None
    assert nurture_tracks_backfill() == 1 and NurtureTrack.objects.filter(lead=other).exists()


def test_a_lead_back_in_nurture_by_bulk_rescoring_gets_its_closed_track_reopened(
    personas, make_lead, criteria
):
    from accord.sla.nurture import nurture_tracks_backfill

    lead = make_lead(stage=Stage.NURTURE, title="Analyst")
    nurture_enter(lead=lead, reason="x", recheck_on=TODAY)
    NurtureTrack.objects.filter(lead=lead).update(
        exited_at=timezone.now(), exit_reason="left nurture for mql"
    )
    lead.refresh_from_db()
    assert nurture_tracks_backfill(lead_ids=[lead.pk]) == 1
    track = NurtureTrack.objects.get(lead=lead)
    assert track.exited_at is None and track.exit_reason == ""
    assert track.recheck_on == timezone.localdate(lead.stage_changed_at) + timedelta(days=90)
    assert nurture_tracks_backfill(lead_ids=[lead.pk]) == 0 and nurture_tracks_backfill() == 0


def test_tracks_open_for_leads_the_hand_off_sent_to_nurture_and_a_closed_one_reopens(
    personas, make_lead, criteria
):
    from accord.sla.nurture import nurture_tracks_open

    leads = [make_lead(stage=Stage.NURTURE, title="Analyst") for _ in range(2)]
    NurtureTrack.objects.create(
        lead=leads[1],
        source=NurtureSource.MANUAL,
        reason="old",
        entered_at=timezone.now() - timedelta(days=400),
        recheck_on=TODAY - timedelta(days=300),
        exited_at=timezone.now() - timedelta(days=200),
        exit_reason="requalified",
    )
    moment = timezone.now() - timedelta(days=3)
    assert (
        nurture_tracks_open(reasons={lead.pk: f"score {lead.pk}" for lead in leads}, entered_at=moment) == 2
    )
    tracks = NurtureTrack.objects.order_by("lead_id")
    assert [(t.lead_id, t.reason) for t in tracks] == [(lead.pk, f"score {lead.pk}") for lead in leads]
    assert {(t.entered_at, t.recheck_on, t.source, t.exited_at, t.exit_reason) for t in tracks} == {
        (moment, TODAY - timedelta(days=3) + timedelta(days=90), NurtureSource.CRITERIA, None, "")
    }
    assert nurture_tracks_open(reasons={}, entered_at=moment) == 0


def test_leads_a_door_has_just_created_get_tracks_by_a_plain_insert(personas, make_lead, criteria):
    from django.db import IntegrityError, transaction

    from accord.sla.nurture import nurture_tracks_open

    leads = [make_lead(stage=Stage.NURTURE, title="Analyst") for _ in range(3)]
    moment = timezone.now() - timedelta(days=1)
    reasons = {lead.pk: f"score {lead.pk}" for lead in leads}
    assert nurture_tracks_open(reasons=reasons, entered_at=moment, new=True) == 3
    tracks = NurtureTrack.objects.order_by("lead_id")
    assert [(t.lead_id, t.reason, t.entered_at, t.exited_at) for t in tracks] == [
        (lead.pk, f"score {lead.pk}", moment, None) for lead in leads
    ]
    # "New" is the door's word that no track can exist: a lead that has one is refused, not upserted.
    with pytest.raises(IntegrityError), transaction.atomic():
        nurture_tracks_open(reasons={leads[0].pk: "again"}, entered_at=moment, new=True)
    assert NurtureTrack.objects.get(lead=leads[0]).reason == f"score {leads[0].pk}"
