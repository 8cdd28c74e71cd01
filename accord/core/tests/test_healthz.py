"""GET /healthz."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client

from accord.core.models import WorkerHeartbeat
from accord.core.workers import worker_heartbeat_beat

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_it_reports_ok_when_the_database_answers_and_a_worker_beat_recently(clock):
    worker_heartbeat_beat(worker_id="w1", started_at=NOW - timedelta(hours=1), now=NOW - timedelta(seconds=3))
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("ok", "ok")
    assert body["worker"] == {"seen_seconds_ago": 3, "ok": True}
    assert body["mail"] == {"failing": 0, "given_up": 0}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_a_section_that_cannot_be_read_says_so_without_failing_the_check():
    from accord.core.health import _sections, health_section_register

    saved = dict(_sections)

    def broken() -> dict:
        raise RuntimeError("boom")

    health_section_register("broken", broken)
    try:
        response = Client().get("/healthz")
    finally:
        _sections.clear()
        _sections.update(saved)
    assert response.status_code == 200
    assert response.json()["broken"] == {"error": "could not be read"}


@pytest.mark.django_db
def test_a_stale_worker_is_reported_but_the_answer_stays_200(clock, settings):
    settings.ACCORD_WORKER_STALE_SECONDS = 60
    worker_heartbeat_beat(
        worker_id="w1", started_at=NOW - timedelta(hours=1), now=NOW - timedelta(seconds=61)
    )
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"]) == ("degraded", "ok")
    assert body["worker"] == {"seen_seconds_ago": 61, "ok": False}


@pytest.mark.django_db
def test_the_newest_of_several_workers_counts(clock):
    worker_heartbeat_beat(worker_id="old", started_at=NOW, now=NOW - timedelta(minutes=30))
    worker_heartbeat_beat(worker_id="new", started_at=NOW, now=NOW - timedelta(seconds=8))
    assert Client().get("/healthz").json()["worker"] == {"seen_seconds_ago": 8, "ok": True}


@pytest.mark.django_db
def test_no_worker_ever_seen_is_not_ok(clock):
    body = Client().get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["worker"] == {"seen_seconds_ago": None, "ok": False}


@pytest.mark.django_db
def test_a_heartbeat_is_one_row_per_worker_moved_forward(clock):
    worker_heartbeat_beat(worker_id="w1", started_at=NOW, now=NOW)
    worker_heartbeat_beat(worker_id="w1", started_at=NOW, now=NOW + timedelta(seconds=10))
    (row,) = WorkerHeartbeat.objects.all()
    assert row.seen_at == NOW + timedelta(seconds=10) and row.started_at == NOW and row.pid > 0


@pytest.mark.django_db
def test_it_reports_503_with_retry_after_when_the_database_does_not_answer():
    with mock.patch("accord.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_it_needs_no_sign_in_and_only_answers_get():
    assert Client().post("/healthz").status_code == 405
