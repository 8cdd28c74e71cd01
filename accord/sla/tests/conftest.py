"""SLA test helpers: leads for the personas, a policy, and running the task queue at the travelled time."""

from __future__ import annotations

import itertools

import pytest

from accord.notifications.tests.smtp import smtp_server  # noqa: F401

_emails = itertools.count(1)


@pytest.fixture
def make_lead():
    from accord.leads.models import Lead, Stage

    def make(*, owner=None, stage=Stage.MQL, score=50, **fields):
        n = next(_emails)
        email = fields.pop("email", f"pat{n}@hospital{n}.example")
        return Lead.objects.create(
            email=email,
            email_key=email.lower(),
            first_name="Pat",
            last_name=f"Lee{n}",
            company=f"Hospital {n}",
            stage=stage,
            score=score,
            owner=owner,
            **fields,
        )

    return make


@pytest.fixture
def hot_policy(db):
    from accord.sla.models import SlaPolicy

    return SlaPolicy.objects.create(
        name="Hot",
        priority=10,
        min_score=80,
        accept_hours=1,
        first_touch_hours=2,
        next_touch_hours=8,
        reminder_before_minutes=30,
        escalate_after_hours=2,
        recycle_after_hours=4,
    )


@pytest.fixture
def run_due_tasks(django_capture_on_commit_callbacks):
    """Runs every queued task whose run_after has come (by the possibly travelled clock), like a worker.

    Each task runs with its on-commit callbacks executed, so tasks it enqueues and emails it sends
    happen as they would after a real commit. Returns the names of the tasks it ran.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run() -> list[str]:
        ran: list[str] = []
        while True:
            result = DBTaskResult.objects.ready().order_by("run_after", "enqueued_at").first()
            if result is None:
                return ran
            result.claim(worker.worker_id)
            with django_capture_on_commit_callbacks(execute=True):
                worker.run_task(result)
            result.refresh_from_db()
            if result.status == TaskResultStatus.FAILED:
                raise AssertionError(f"task {result.task_path} failed: {result.traceback}")
            ran.append(result.task_path.rsplit(".", 1)[-1])

    return run
