"""Dashboards never refresh the rollups themselves: the worker does, and every page, CSV and API
answer says how current its figures are."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from accord.core.models import Event
from accord.core.periodic import SCHEDULE
from accord.leads.models import Lead
from accord.reporting import services
from accord.reporting.models import RollupState
from accord.reporting.rollups import rollups_rebuild
from accord.reporting.tasks import rollups_refresh_task
from accord.reporting.tests import dataset

Q = "?quarter=2026-04-01"
BUILT_AT = datetime(2026, 6, 20, 9, 30, tzinfo=UTC)
REFRESH_TASK = "accord.reporting.tasks.rollups_refresh_task"


@pytest.fixture(autouse=True)
def fresh_requests(monkeypatch):
    """Each test starts as a process that has not asked for a refresh yet."""
    monkeypatch.setattr(services, "REFRESH_REQUESTS", services.RefreshRequests(seconds=30.0))


@pytest.fixture
def built(data):
    with time_machine.travel(BUILT_AT, tick=False):
        rollups_rebuild()
    return data


def new_stage_event() -> None:
    lead = Lead.objects.order_by("pk").first()
    Event.objects.create(
        type="lead.stage_changed",
        subject_type="lead",
        subject_id=lead.pk,
        stage="sql",
        occurred_at=dataset.NOW,
    )


def refresh_requests() -> int:
    return DBTaskResult.objects.filter(task_path=REFRESH_TASK).count()


def test_a_dashboard_shows_its_figures_as_of_the_last_refresh_and_leaves_new_events_to_the_worker(
    built, client_for, api_client_for, django_capture_on_commit_callbacks
):
    root = built["personas"].root
    watermark = RollupState.objects.get().event_watermark
    new_stage_event()
    with (
        time_machine.travel(BUILT_AT + timedelta(minutes=5), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        html = client_for(root).get(f"/dashboards/executive/{Q}").content.decode()
        text = client_for(root).get(f"/dashboards/executive/{Q}&format=csv").content.decode()
        body = api_client_for(root).get(f"/api/v1/reports/executive{Q}").json()
    # Nothing was refreshed inline: the watermark is where the rebuild left it.
    assert RollupState.objects.get().event_watermark == watermark
    assert "Figures as of 2026-06-20 09:30 UTC" in html  # ACCORD_DATE_FORMAT=iso
    assert "1 newer events are being added" in html
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["Figures as of 2026-06-20 09:30 UTC; 1 newer events are being added."]
    assert (body["as_of"], body["pending_events"]) == ("2026-06-20T09:30:00Z", 1)
    # The first page to see newer events asked the worker for a refresh; the next ones did not ask again.
    assert refresh_requests() == 1


def test_the_workers_refresh_brings_the_figures_up_to_date(built, api_client_for):
    root = built["personas"].root
    new_stage_event()
    entry = next(e for e in SCHEDULE if e.task == REFRESH_TASK)
    assert entry.every == timedelta(minutes=1)
    with time_machine.travel(BUILT_AT + timedelta(minutes=1), tick=False):
        assert rollups_refresh_task.call()["events"] == 1
        body = api_client_for(root).get(f"/api/v1/reports/executive{Q}").json()
    assert (body["as_of"], body["pending_events"]) == ("2026-06-20T09:31:00Z", 0)
    assert refresh_requests() == 0


def test_before_the_first_refresh_the_dashboard_says_its_figures_are_not_computed_yet(
    data, client_for, api_client_for
):
    root = data["personas"].root
    html = client_for(root).get(f"/dashboards/marketing/{Q}").content.decode()
    body = api_client_for(root).get(f"/api/v1/reports/marketing{Q}").json()
    assert "Figures not computed yet" in html
    assert body["as_of"] is None
    assert body["pending_events"] == Event.objects.order_by("-pk").first().pk
    assert not RollupState.objects.exists()
