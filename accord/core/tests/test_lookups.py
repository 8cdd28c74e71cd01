"""``field__in_array``: the same rows as ``field__in``, sent as one array on PostgreSQL."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.core.lookups import pg_array_typed
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(
        st.one_of(
            st.none(), st.text(st.sampled_from('\\"{},NUL \t') | st.characters(blacklist_characters="\x00"))
        ),
        max_size=30,
    ),
    ints=st.lists(st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), max_size=30),
)
def test_an_array_sent_as_its_literal_text_reads_back_as_the_list_it_was(db, texts, ints):
    # Quotes, backslashes, braces, commas, blanks and NULLs survive the literal; the cast names the type.
    # (It only reads: the database the fixture gives stays as it was between examples.)
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for values, kind in ((texts, "::text[]"), (ints, "::bigint[]")):
            param, cast = pg_array_typed(values)
            # Empty or all NULL: no kind to go by, so the list (the statement's column types it).
            assert cast == (kind if any(v is not None for v in values) else "")
            cursor.execute(f"SELECT %s{kind}", [param])
            assert cursor.fetchone()[0] == values
    mixed = [1, "one"]
    assert pg_array_typed(mixed) == (mixed, "")  # not one kind: psycopg encodes the list


def test_in_array_finds_texts_that_need_quoting(db):
    keys = ['o"neil@acme.com', "back\\slash@acme.com", "{brace},comma@acme.com", " NULL "]
    for key in keys:
        Lead.objects.create(email="x@acme.com", email_key=key)
    found = set(
        Lead.objects.filter(email_key__in_array=[*keys, "nobody@acme.com"]).values_list(
            "email_key", flat=True
        )
    )
    assert found == set(keys)
