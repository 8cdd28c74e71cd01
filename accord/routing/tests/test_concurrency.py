"""Leads arriving at once: every lead is assigned exactly once and the spread stays fair."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from accord.core.models import Event
from accord.people.models import Role
from accord.people.tests.factories import user_with_roles
from accord.routing.models import RoundRobinPointer
from accord.routing.selectors import ASSIGNED
from accord.routing.services import lead_route
from accord.routing.tests.factories import active_rules, make_lead

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite"
        and connection.creation.is_in_memory_db(connection.settings_dict["TEST"].get("NAME") or ":memory:"),
        reason="threads need a database file: set DATABASES['default']['TEST']['NAME'] for SQLite",
    ),
]


def run_at_once(jobs):
    """Run each job in its own thread, all released together; returns results, re-raises errors."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def work(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def test_twenty_leads_routed_at_once_get_twenty_single_assignments_spread_fairly(personas):
    for name in ("dave", "erin", "frank"):
        user_with_roles(name, Role.SALES_REP, team=personas.health, manager=personas.mike)
    active_rules({"target_team": personas.health})
    leads = [make_lead() for _ in range(20)]

    results = run_at_once([lambda lead=lead: lead_route(lead=lead) for lead in leads])

    assert all(r.routed for r in results)
    events = Event.objects.filter(type=ASSIGNED)
    assert events.count() == 20
    assert Counter(e.subject_id for e in events) == Counter({lead.pk: 1 for lead in leads})
    spread = Counter(e.payload["owner_id"] for e in events)
    assert sorted(spread.values()) == [4, 4, 4, 4, 4]
    assert RoundRobinPointer.objects.get(team=personas.health).counter == 20


def test_one_lead_routed_by_twenty_workers_at_once_is_assigned_once(personas):
    active_rules({"target_team": personas.health})
    lead = make_lead()

    results = run_at_once([lambda: lead_route(lead=lead) for _ in range(20)])

    assert sum(r.routed for r in results) == 1
    assert Event.objects.filter(type=ASSIGNED, subject_id=lead.pk).count() == 1
