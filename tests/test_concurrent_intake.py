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
