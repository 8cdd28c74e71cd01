"""``field__in_array``: the same rows as ``field__in``, sent as one array on PostgreSQL."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.leads.models import Lead, Source


def test_in_array_finds_what_in_finds_for_ids_texts_and_foreign_keys(db):
    source = Source.objects.create(name="Web", kind="form")
    leads = [
        Lead.objects.create(email=f"p{i}@acme.com", email_key=f"p{i}@acme.com", phone_key=f"+4420{i:04d}")
        for i in range(6)
    ]
    Lead.objects.filter(pk__in=[leads[1].pk, leads[4].pk]).update(source=source)
    ids = [leads[0].pk, leads[3].pk, 10**9]
    keys = ["p2@acme.com", "p5@acme.com", "nobody@acme.com"]
    for field, values in (("pk", ids), ("email_key", keys), ("source_id", [source.pk])):
        found = set(Lead.objects.filter(**{f"{field}__in_array": values}).values_list("pk", flat=True))
        assert found == set(Lead.objects.filter(**{f"{field}__in": values}).values_list("pk", flat=True))
        assert found
    assert not Lead.objects.filter(pk__in_array=[]).exists()
    assert Lead.objects.exclude(pk__in_array=[]).count() == 6


def test_in_array_is_one_parameter_on_postgresql(db):
    values = list(range(1, 5001))
    with CaptureQueriesContext(connection) as queries:
        list(Lead.objects.filter(pk__in_array=values).values_list("pk", flat=True))
    sql = queries.captured_queries[-1]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and " IN (" not in sql
    else:
        assert " IN (" in sql
