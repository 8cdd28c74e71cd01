"""route_lead_task: thin and idempotent."""

from __future__ import annotations

import pytest
import time_machine

from accord.core.models import Event
from accord.routing.selectors import ASSIGNED
from accord.routing.tasks import route_lead_task
from accord.routing.tests.factories import active_rules, make_lead

pytestmark = pytest.mark.django_db


@time_machine.travel("2026-03-10 10:00Z", tick=False)
def test_the_task_routes_a_lead_once_however_often_it_runs(personas):
    active_rules({"target_team": personas.health})
    lead = make_lead()

    assert route_lead_task.call(lead.pk) == "rule_team"
    assert route_lead_task.call(lead.pk) == "already assigned"
    assert Event.objects.filter(type=ASSIGNED, subject_id=lead.pk).count() == 1
    assert Event.objects.get(type=ASSIGNED).channel == "task"


def test_the_task_ignores_a_lead_that_is_gone(personas):
    assert route_lead_task.call(999_999) == "gone"
