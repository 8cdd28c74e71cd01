"""The routing pages run a fixed number of queries however many rules and queues there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.routing.tests.factories import active_rules, cond, make_lead, make_queue

pytestmark = pytest.mark.django_db


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def add_rules(personas, count):
    return active_rules(
        *[
            {
                "name": f"R{i}",
                "conditions": [cond("country", "equals", f"C{i}")],
                "target_user": personas.charlie,
            }
            for i in range(count)
        ]
    )


def test_the_home_and_version_pages_do_not_grow_with_rules_queues_or_leads(client, personas):
    client.force_login(personas.sam)
    add_rules(personas, 2)
    make_queue("Q1", owner=personas.sam)
    make_lead()
    small = (queries_for(client, "/routing/"), queries_for(client, "/routing/v1/"))

    add_rules(personas, 12)
    for name in ("Q2", "Q3", "Q4"):
        make_queue(name, owner=personas.mike)
    for _ in range(10):
        make_lead()
    large = (queries_for(client, "/routing/"), queries_for(client, "/routing/v2/"))

    assert large == small
