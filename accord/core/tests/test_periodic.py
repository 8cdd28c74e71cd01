"""Periodic work: due entries are enqueued once per due time, however many workers ask."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from accord.core import periodic
from accord.core.models import PeriodicRun
from accord.core.periodic import Periodic, periodic_enqueue_due, worker_startup_run
from accord.intake.importing import import_jobs_resume_stale

pytestmark = pytest.mark.django_db


@task()
def sample_periodic_task() -> str:
    return "ran"


DAILY = (Periodic("sample", f"{__name__}.sample_periodic_task", timedelta(days=1), time(2, 0)),)


def test_the_first_check_only_schedules_the_next_run():
    assert periodic_enqueue_due(now=datetime(2026, 3, 2, 1, 0, tzinfo=UTC), schedule=DAILY) == []
    assert PeriodicRun.objects.get(name="sample").next_run_at == datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def test_a_due_entry_is_enqueued_once_and_moved_to_its_next_time():
    periodic_enqueue_due(now=datetime(2026, 3, 2, 1, 0, tzinfo=UTC), schedule=DAILY)
    at = datetime(2026, 3, 2, 2, 0, 30, tzinfo=UTC)
    assert periodic_enqueue_due(now=at, schedule=DAILY) == ["sample"]
    assert periodic_enqueue_due(now=at, schedule=DAILY) == []  # a second worker finds it claimed
    assert DBTaskResult.objects.filter(task_path__endswith="sample_periodic_task").count() == 1
    assert PeriodicRun.objects.get(name="sample").next_run_at == datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


def test_every_declared_task_can_be_imported():
    from django.utils.module_loading import import_string

    from accord.core.periodic import SCHEDULE

    for entry in SCHEDULE:
        assert callable(import_string(entry.task).enqueue), entry.name


def test_a_starting_worker_requeues_stale_imports_through_the_step_the_intake_app_registered():
    assert import_jobs_resume_stale in periodic.WORKER_STARTUP


def test_a_failing_startup_step_is_logged_and_the_next_one_still_runs(monkeypatch, caplog):
    ran = []

    def broken():
        raise RuntimeError("database away")

    monkeypatch.setattr(periodic, "WORKER_STARTUP", [broken, lambda: ran.append("second")])
    worker_startup_run()
    assert ran == ["second"]
    assert "worker startup step" in caplog.text and "broken" in caplog.text


def test_every_app_declares_its_periodic_work_in_ready():
    assert {(e.name, e.task, e.every, e.at) for e in periodic.SCHEDULE} == {
        (
            "enablement-review-reminders",
            "accord.enablement.tasks.reviews_remind_task",
            timedelta(hours=1),
            None,
        ),
        (
            "criteria-decay-rescore",
            "accord.qualification.tasks.criteria_rescore_active_task",
            timedelta(days=1),
            time(2, 0),
        ),
        (
            "customer-stage-rules",
            "accord.deals.tasks.customer_stages_apply_rules_task",
            timedelta(days=1),
            time(3, 0),
        ),
        ("nurture-recheck", "accord.sla.nurture.nurture_recheck_due_task", timedelta(days=1), time(4, 0)),
        ("follow-up-reminders", "accord.sla.tasks.follow_ups_remind_due_task", timedelta(minutes=5), None),
        (
            "reporting-rollups-refresh",
            "accord.reporting.tasks.rollups_refresh_task",
            timedelta(minutes=1),
            None,
        ),
        (
            "reporting-rollups-rebuild",
            "accord.reporting.tasks.rollups_rebuild_task",
            timedelta(days=1),
            time(1, 30),
        ),
        (
            "executive-summary-email",
            "accord.reporting.tasks.executive_summary_email_task",
            timedelta(days=7),
            time(7, 0),
        ),
        (
            "notification-digests",
            "accord.notifications.tasks.notification_digests_send_task",
            timedelta(days=1),
            time(7, 0),
        ),
        ("webhooks-sweep", "accord.webhooks.tasks.webhooks_housekeeping_task", timedelta(minutes=5), None),
        (
            "import-jobs-resume",
            "accord.intake.tasks.import_jobs_resume_stale_task",
            timedelta(minutes=1),
            None,
        ),
        ("submissions-sweep", "accord.intake.tasks.submissions_sweep_task", timedelta(minutes=1), None),
        (
            "task-results-orphaned",
            "accord.core.tasks.task_results_requeue_orphaned_task",
            timedelta(minutes=1),
            None,
        ),
        ("rate-windows-forget", "accord.core.tasks.rate_windows_forget_task", timedelta(hours=1), None),
        (
            "planning-disagreements-escalate",
            "accord.planning.tasks.disagreements_escalate_task",
            timedelta(hours=1),
            None,
        ),
        (
            "planning-promises-remind",
            "accord.planning.tasks.promises_remind_task",
            timedelta(days=1),
            time(7, 0),
        ),
        ("pulse-surveys", "accord.intelligence.tasks.surveys_advance_task", timedelta(hours=1), None),
        (
            "knowledge-stale-answers",
            "accord.knowledge.tasks.answers_flag_stale_task",
            timedelta(days=1),
            time(6, 0),
        ),
    }


def test_registering_an_entry_again_replaces_it(monkeypatch):
    monkeypatch.setattr(periodic, "SCHEDULE", [])
    periodic.register_periodic(Periodic("sample", "x.y", timedelta(days=1)))
    periodic.register_periodic(Periodic("sample", "x.z", timedelta(hours=1)))
    assert [(e.name, e.task) for e in periodic.SCHEDULE] == [("sample", "x.z")]
