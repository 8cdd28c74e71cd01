"""Twenty leads posted at the same moment are each created once and assigned exactly once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from accord.core.models import Event
from accord.intake.tests.test_intake import criteria_make
from accord.leads.models import Lead
from accord.leads.services import source_create
from accord.routing.services import rule_add, rule_set_activate, rule_set_create

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_intakes_give_twenty_single_assignments(personas, settings):
    # Routing runs as each intake commits, so the twenty routings race each other too.
    settings.TASKS = IMMEDIATE_TASKS
    criteria_make(personas.mona, personas.sam, threshold=0)
    rules = rule_set_create(actor=personas.sam)
    rule_add(
        rule_set=rules,
        actor=personas.sam,
        name="Everyone to Health",
        conditions=[],
        target_kind="team",
        target_team=personas.health,
    )
    rule_set_activate(rule_set=rules, actor=personas.sam)
    source = source_create(name="Launch form")
    start = threading.Barrier(20)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def submit(n: int) -> None:
        try:
            start.wait()
            response = Client().post(
                f"/f/{source.public_key}",
                {"email": f"buyer{n}@hospital{n}.org"},
                HTTP_ACCEPT="application/json",
            )
            statuses.append(response.status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert statuses == [200] * 20
    leads = list(Lead.objects.all())
    assert len(leads) == 20
    assignments = Event.objects.filter(type="lead.assigned")
    assert assignments.count() == 20
    assert sorted(assignments.values_list("subject_id", flat=True)) == sorted(lead.pk for lead in leads)
    owners = [lead.owner.username for lead in leads]
    assert sorted(set(owners)) == ["bob", "carol"]
    assert abs(owners.count("bob") - owners.count("carol")) <= 1


@pytest.mark.django_db(transaction=True)
def test_posts_to_a_busy_form_and_two_drains_side_by_side_make_each_lead_once(personas):
    """Twenty posts to a queued form at once, then two workers draining at once (SKIP LOCKED on
    PostgreSQL, the write lock on SQLite): every submission is worked once and makes one lead."""
    from accord.intake.queue import submissions_drain
    from accord.leads.models import QueuedSubmission, SubmissionState

    source = source_create(name="Webinar form", queue_submissions=True)
    start = threading.Barrier(20)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(job) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            job()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def post(n: int) -> None:
        response = Client().post(
            f"/f/{source.public_key}",
            {"email": f"guest{n % 15}@hospital.org"},
            HTTP_ACCEPT="application/json",
        )
        statuses.append(response.status_code)

    posts = [threading.Thread(target=run, args=(lambda n=n: post(n),)) for n in range(20)]
    for thread in posts:
        thread.start()
    for thread in posts:
        thread.join(120)
    assert errors == [] and statuses == [200] * 20
    assert QueuedSubmission.objects.filter(state=SubmissionState.QUEUED).count() == 20

    start = threading.Barrier(2)
    worked: list[int] = []
    drains = [
        threading.Thread(target=run, args=(lambda: worked.append(submissions_drain(batch=3)),))
        for _ in range(2)
    ]
    for thread in drains:
        thread.start()
    for thread in drains:
        thread.join(120)
    assert errors == []
    assert sum(worked) == 20
    assert QueuedSubmission.objects.filter(state=SubmissionState.DONE, attempts=1).count() == 20
    # Fifteen people (five posted twice): fifteen leads, each made once and updated by its second post.
    assert Lead.objects.count() == 15
    assert Event.objects.filter(type="lead.intake").count() == 20
