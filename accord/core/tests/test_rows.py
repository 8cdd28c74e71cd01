"""The prepared one-row read and write: the same instance the ORM would give, or None."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection, transaction

from accord.core.models import Event
from accord.core.rows import row_first, row_insert, row_related, row_values, rows_write
from accord.leads.models import QueuedSubmission, Source, SourceKind
from accord.leads.services import source_create

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def test_an_inserted_row_reads_back_as_the_orm_stored_it():
    source = source_create(name="Webinar sign-up", kind=SourceKind.FORM)
    data = {"email": "vera@acme.com", "custom.seats": 12, "note": "ünïcode ✓"}
    queued = row_insert(
        QueuedSubmission(received_at=NOON, channel="form", source=source, actor=None, data=data)
    )
    assert queued.pk is not None and not queued._state.adding
    stored = QueuedSubmission.objects.get(pk=queued.pk)
    assert (stored.received_at, stored.channel, stored.source, stored.data) == (NOON, "form", source, data)
    # The fields' defaults went in as save() would have written them.
    assert (stored.state, stored.attempts, stored.error, stored.lead_created) == ("queued", 0, "", None)


def test_an_inserted_row_runs_each_fields_pre_save():
    with time_machine.travel(NOON, tick=False):
        source = row_insert(Source(name="Trade show", kind=SourceKind.IMPORT))
    stored = Source.objects.get(pk=source.pk)
    # BaseModel's auto_now_add / auto_now, and the public key's default.
    assert stored.created_at == stored.updated_at == NOON
    assert stored.public_key and stored.public_key == source.public_key


def test_the_first_row_is_the_orms_instance_with_its_types_or_none():
    with time_machine.travel(NOON, tick=False):
        source = source_create(name="Busy form", kind=SourceKind.FORM, queue_submissions=True)
    found = row_first(Source, "public_key = %s AND is_active", [source.public_key])
    assert found == source
    # Converted as the ORM converts: an aware moment, a real bool, the same values field by field.
    assert found.created_at == NOON and found.created_at.tzinfo is not None
    assert found.queue_submissions is True
    for field in Source._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(source, field.attname), field.name
    Source.objects.filter(pk=source.pk).update(is_active=False)
    assert row_first(Source, "public_key = %s AND is_active", [source.public_key]) is None
    assert row_first(Source, "public_key = %s", ["no-such-key"]) is None


def test_row_values_gives_the_first_matching_rows_columns_or_none():
    source = source_create(name="Busy form", kind=SourceKind.FORM)
    assert row_values(Source, "id, name", "public_key = %s", [source.public_key]) == (source.pk, "Busy form")
    assert row_values(Source, "id", "public_key = %s", ["no-such-key"]) is None


def test_a_related_row_is_read_once_then_cached_as_the_descriptor_would(django_assert_num_queries):
    source = source_create(name="Webinar sign-up", kind=SourceKind.FORM)
    queued = row_insert(
        QueuedSubmission(received_at=NOON, channel="form", source=source, actor=None, data={})
    )
    fresh = QueuedSubmission.objects.get(pk=queued.pk)
    with django_assert_num_queries(1):
        related = row_related(fresh, "source")
        assert row_related(fresh, "source") is related and fresh.source is related
    assert related == source and (related.name, related.kind, related.public_key) == (
        source.name,
        source.kind,
        source.public_key,
    )
    with django_assert_num_queries(0):
        assert row_related(fresh, "actor") is None  # an empty key reads nothing


def test_a_related_row_another_instance_holds_is_taken_from_it_not_read(django_assert_num_queries):
    source = source_create(name="Webinar sign-up", kind=SourceKind.FORM)
    other = source_create(name="Trade show", kind=SourceKind.IMPORT)
    made = row_insert(QueuedSubmission(received_at=NOON, channel="form", source=source, actor=None, data={}))
    assert QueuedSubmission.source.field.is_cached(made)  # set by the constructor
    fresh = QueuedSubmission.objects.get(pk=made.pk)
    with django_assert_num_queries(0):
        assert row_related(fresh, "source", known=made) is source
    # Another instance pointing elsewhere is no help: the row is read.
    moved = QueuedSubmission.objects.get(pk=made.pk)
    QueuedSubmission.objects.filter(pk=made.pk).update(source=other)
    stale = QueuedSubmission.objects.get(pk=made.pk)
    with django_assert_num_queries(1):
        assert row_related(stale, "source", known=made) == other
    with django_assert_num_queries(1):
        assert row_related(moved, "source", known=QueuedSubmission(source_id=source.pk)) == source


def test_a_new_row_saved_with_the_prepared_insert_sends_the_signals_save_sends():
    from django.db.models import signals

    from accord.audit.models import ChangeRecord
    from accord.core.rows import row_save_new
    from accord.leads.models import Account, Lead

    heard: list[tuple[str, bool | None, bool]] = []

    def pre(sender, instance, **kwargs):
        heard.append(("pre", None, instance._state.adding))

    def post(sender, instance, created, **kwargs):
        heard.append(("post", created, instance._state.adding))

    account = Account(name="Acme Health")
    account.save()
    lead = Lead(email="vera@acme.com", email_key="vera@acme.com", first_name="Vera", account=account)
    signals.pre_save.connect(pre, sender=Lead)
    signals.post_save.connect(post, sender=Lead)
    try:
        with time_machine.travel(NOON, tick=False):
            row_save_new(lead)
    finally:
        signals.pre_save.disconnect(pre, sender=Lead)
        signals.post_save.disconnect(post, sender=Lead)
    assert heard == [("pre", None, True), ("post", True, False)]
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.email, stored.first_name, stored.account_id, stored.created_at) == (
        "vera@acme.com",
        "Vera",
        account.pk,
        NOON,
    )
    # The audit trail heard of it as of any save.
    assert ChangeRecord.objects.filter(
        object_type="leads.lead", object_id=str(lead.pk), action="create"
    ).exists()
    with pytest.raises(AssertionError, match="has its own save"):
        row_save_new(Account(name="Other"))


EVENT_COLUMNS = ("type", "subject_type", "subject_id", "channel", "occurred_at", "stage", "payload")


def _event_rows(count: int) -> list[tuple[object, ...]]:
    moment = connection.ops.adapt_datetimefield_value(NOON)
    return [("lead.note", "lead", i, "import", moment, "", f'{{"n": {i}}}') for i in range(count)]


def test_rows_write_stores_every_row_then_returns_what_meanwhile_made():
    seen_while_writing = []

    def meanwhile():
        # Run once every row is sent: on PostgreSQL inside the COPY, which still holds the connection.
        seen_while_writing.append(len(seen_while_writing))
        return "next statement's rows"

    table = Event._meta.db_table
    assert rows_write(table, EVENT_COLUMNS, _event_rows(300), meanwhile=meanwhile) == "next statement's rows"
    assert seen_while_writing == [0]
    stored = list(
        Event.objects.filter(type="lead.note").order_by("subject_id").values_list("subject_id", "payload")
    )
    assert stored == [(i, {"n": i}) for i in range(300)]
    assert rows_write(table, EVENT_COLUMNS, _event_rows(2)) is None  # no meanwhile: nothing to return


def test_rows_write_keeps_nothing_when_meanwhile_fails():
    def meanwhile():
        raise ValueError("the next rows could not be built")

    with pytest.raises(ValueError, match="could not be built"), transaction.atomic():
        rows_write(Event._meta.db_table, EVENT_COLUMNS, _event_rows(50), meanwhile=meanwhile)
    assert not Event.objects.filter(type="lead.note").exists()
    # The connection is usable again.
    rows_write(Event._meta.db_table, EVENT_COLUMNS, _event_rows(1))
    assert Event.objects.filter(type="lead.note").count() == 1


def test_rows_write_stores_each_moment_as_given_when_many_rows_repeat_a_few():
    # The COPY puts each distinct moment into words once (its text is reused for every row that
    # repeats it): equal values, the same object or not, and the same instant in another zone.
    from datetime import timedelta, timezone

    plus_one = timezone(timedelta(hours=1))
    moments = [
        NOON,
        NOON.astimezone(plus_one),
        NOON + timedelta(microseconds=1),
        datetime(2026, 3, 4, 12, tzinfo=UTC),
    ]
    rows = [
        ("lead.note", "lead", i, "import", connection.ops.adapt_datetimefield_value(moments[i % 4]), "", "{}")
        for i in range(40)
    ]
    rows_write(Event._meta.db_table, EVENT_COLUMNS, rows)
    stored = (
        Event.objects.filter(type="lead.note").order_by("subject_id").values_list("occurred_at", flat=True)
    )
    assert list(stored) == [moments[i % 4] for i in range(40)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a timestamp column without a zone")
def test_rows_write_reads_one_instant_in_two_zones_as_two_wall_times_where_the_column_has_no_zone():
    from datetime import date, timedelta, timezone

    plus_one = timezone(timedelta(hours=1))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE rows_write_moments (n int, at timestamp, day date)")
    later = NOON.astimezone(plus_one)  # equal to NOON, written 13:00+01:00
    naive = datetime(2026, 3, 4, 12, 0)
    rows = [
        (0, NOON, date(2026, 3, 4)),
        (1, later, date(2026, 3, 4)),
        (2, naive, date(2026, 3, 5)),
        (3, NOON, None),
    ]
    rows_write("rows_write_moments", ("n", "at", "day"), rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT at, day FROM rows_write_moments ORDER BY n")
        stored = cursor.fetchall()
    # What PostgreSQL makes of each text: the offset dropped, so 12:00 and 13:00.
    assert stored == [
        (naive, date(2026, 3, 4)),
        (datetime(2026, 3, 4, 13, 0), date(2026, 3, 4)),
        (naive, date(2026, 3, 5)),
        (naive, None),
    ]
