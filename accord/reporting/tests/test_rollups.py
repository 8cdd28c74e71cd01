"""The rollups equal a from-scratch computation, however the events arrive."""

from __future__ import annotations

from datetime import timedelta

from accord.core.models import Event
from accord.leads.models import Lead
from accord.reporting.models import LeadFact, StageDaily, StageSpan
from accord.reporting.rollups import rollups_rebuild, rollups_refresh
from accord.reporting.tests import dataset
from accord.reporting.tests.test_grains import snapshot as grain_snapshot


def snapshot():
    daily = sorted(
        StageDaily.objects.values_list(
            "day", "stage", "source_id", "campaign_id", "owner_id", "criteria_id", "entries"
        )
    )
    facts = sorted(
        LeadFact.objects.values_list(
            "lead_id", "created_day", "source_id", "campaign_id", "owner_id", "current_stage", "furthest_rank"
        )
    )
    spans = sorted(
        StageSpan.objects.values_list("lead_id", "stage", "entered_at", "exited_day", "seconds", "owner_id")
    )
    return daily, facts, spans, grain_snapshot()


def test_daily_rollup_equals_the_raw_stage_events(data):
    rollups_rebuild()
    raw: dict = {}
    leads = dataset.leads_by_id()
    for e in dataset.stage_events():
        lead = leads[e.subject_id]
        key = (e.occurred_at.date(), e.stage, lead.source_id or 0, lead.owner_id or 0)
        raw[key] = raw.get(key, 0) + 1
    rolled: dict = {}
    for day, stage, source, owner, n in StageDaily.objects.values_list(
        "day", "stage", "source_id", "owner_id", "entries"
    ):
        rolled[(day, stage, source, owner)] = rolled.get((day, stage, source, owner), 0) + n
    assert rolled == raw


def test_incremental_refresh_equals_a_full_rebuild(data):
    p = data["personas"]
    rollups_refresh()  # first refresh from an empty state
    # New events: a lead moves on, another changes owner (moving all its history to the new rep).
    lead = Lead.objects.order_by("pk").first()
    last = Event.objects.filter(subject_id=lead.pk).order_by("-occurred_at").first()
    Event.objects.create(
        type="lead.stage_changed",
        subject_type="lead",
        subject_id=lead.pk,
        stage="sql",
        occurred_at=last.occurred_at + timedelta(hours=3),
    )
    other = Lead.objects.order_by("-pk").first()
    Lead.objects.filter(pk=other.pk).update(owner=p.charlie)
    Event.objects.create(
        type="lead.assigned",
        subject_type="lead",
        subject_id=other.pk,
        occurred_at=dataset.NOW,
        payload={"owner_id": p.charlie.pk},
    )
    Event.objects.create(
        type="lead.accepted",
        subject_type="lead",
        subject_id=other.pk,
        actor=p.charlie,
        occurred_at=dataset.NOW,
    )
    assert rollups_refresh() == 3
    incremental = snapshot()
    rollups_rebuild()
    assert snapshot() == incremental
    assert rollups_refresh() == 0
