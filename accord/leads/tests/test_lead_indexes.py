"""The lead table's indexes: the keys the look-ups seek, and none that nothing reads (each slows
every insert)."""

from __future__ import annotations

import pytest
from django.db import connection

from accord.leads.models import Lead

pytestmark = pytest.mark.django_db


def test_the_keys_the_look_ups_seek_are_indexed():
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Lead._meta.db_table)
    assert found["lead_email_key_unique"]["unique"]
    assert found["lead_email_key_unique"]["columns"] == ["email_key"]
    assert found["lead_phone_id"]["columns"] == ["phone_key", "id"]
    assert "lead_account_name_id_ci" in found


def test_no_pattern_index_that_nothing_reads():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's varchar_pattern_ops indexes")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [Lead._meta.db_table]
        )
        indexes = dict(cursor.fetchall())
    assert [name for name, sql in indexes.items() if "pattern_ops" in sql] == []
    assert indexes["lead_account_name_id_ci"].endswith(
        "(account_id, lower((last_name)::text), lower((first_name)::text), id)"
    )
