"""One row read or written with SQL built once per process, for the few paths that answer a burst.

The ORM compiles a query's SQL on every call. For a model of twenty columns that compiling costs
several times the database's own work: on SQLite ``Source.objects.filter(public_key=k).first()``
spends about 0.35 ms of CPU where the same SELECT as raw SQL spends 0.09 ms, and ``create()`` 0.26 ms
where its INSERT alone spends well under 0.1 ms. On the public form, the queued API and token sign-in,
which a busy site calls hundreds of times a second, that was half the request.

These helpers keep the ORM's conversions (each field's ``pre_save`` and ``get_db_prep_save`` going
in, its converters coming out, ``Model.from_db`` making the instance) and only skip building the
statement and the list of conversions each time.
They send no signals (but ``row_save_new``, which sends ``save()``'s) and follow no relations but
the one ``row_related`` is asked for: use them where that holds, and the ORM everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar, cast, overload

from django.db import connection
from django.db.models import Model, signals
from psycopg.abc import Buffer
from psycopg.adapt import Dumper, PyFormat
from psycopg.types.datetime import DateDumper, DatetimeDumper, DatetimeNoTzDumper

M = TypeVar("M", bound=Model)
T = TypeVar("T")

_INSERTS: dict[tuple[type[Model], str], tuple[str, list[Any]]] = {}
_READS: dict[tuple[type[Model], str], tuple[list[str], list[str], list[tuple[int, list[Any], Any]]]] = {}
_SELECT_LISTS: dict[tuple[type[Model], str, str | None], str] = {}


def _read_plan(model: type[Model]) -> tuple[list[str], list[str], list[tuple[int, list[Any], Any]]]:
    """``model``'s concrete columns (quoted), their attribute names, and the ORM's conversions of
    each column that has any (an aware datetime, a bool, parsed JSON), built once per process."""
    key = (model, connection.vendor)
    if key not in _READS:
        meta = model._meta
        quote = connection.ops.quote_name
        converters = []
        for i, f in enumerate(meta.concrete_fields):
            column = f.get_col(meta.db_table)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                converters.append((i, found, column))
        columns = [quote(f.column) for f in meta.concrete_fields]
        names = [f.attname for f in meta.concrete_fields]
        _READS[key] = (columns, names, converters)
    return _READS[key]


def row_columns(model: type[Model], alias: str | None = None) -> str:
    """The SELECT list of ``model``'s concrete columns, each qualified by ``alias`` when given, in the
    order ``row_instance`` takes them: for a read that joins several tables in one statement."""
    key = (model, connection.vendor, alias)
    if key not in _SELECT_LISTS:
        columns, _, _ = _read_plan(model)
        _SELECT_LISTS[key] = ", ".join(columns if alias is None else (f"{alias}.{c}" for c in columns))
    return _SELECT_LISTS[key]


def row_instance(model: type[M], values: Sequence[Any]) -> M:
    """An instance of ``model`` from a row read with ``row_columns(model)``: the ORM's conversions of
    each column, then ``Model.from_db`` as a queryset would."""
    _, names, converters = _read_plan(model)
    values = list(values)
    for i, functions, column in converters:
        for convert in functions:
            values[i] = convert(values[i], column, connection)
    return model.from_db(connection.alias, names, values)


def row_first(model: type[M], where: str, params: list[Any], *, lock: bool = False) -> M | None:
    """The first row of ``model``'s table matching ``where`` (SQL with ``%s`` placeholders, over the
    table's own columns), as an instance; None when no row matches. ``lock``: ``FOR UPDATE`` where
    the database has it (SQLite's transactions hold the whole database anyway)."""
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"SELECT {row_columns(model)} FROM {table} WHERE {where} LIMIT 1"
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else row_instance(model, row)


def row_related(obj: Model, relation: str, *, known: Model | None = None) -> Any:
    """``obj``'s row at the other end of its foreign key ``relation``: the one cached on it, the one
    cached on ``known`` (another instance of the same record, e.g. the one a service returned) when
    both point at the same row, or one prepared read by the key; then cached on ``obj`` as the
    relation's descriptor would cache it (the descriptor compiles a query on every call). None when
    the key is empty."""
    field: Any = obj._meta.get_field(relation)
    if field.is_cached(obj):
        return field.get_cached_value(obj)
    key = getattr(obj, field.attname)
    if key is None:
        return None
    if known is not None and field.is_cached(known) and getattr(known, field.attname) == key:
        related = field.get_cached_value(known)
        field.set_cached_value(obj, related)
        return related
    column = connection.ops.quote_name(field.target_field.column)
    related = row_first(field.related_model, f"{column} = %s", [key])
    field.set_cached_value(obj, related)
    return related


def row_values(model: type[Model], columns: str, where: str, params: list[Any]) -> tuple[Any, ...] | None:
    """``columns`` (SQL) of the first row of ``model``'s table matching ``where``, as the database
    gives them (no conversion); None when no row matches."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {where} LIMIT 1", params)
        return cursor.fetchone()


def row_insert(obj: M) -> M:
    """INSERT ``obj`` (a new instance) as ``save()`` would, and set its primary key from the database.

    Each field's ``pre_save`` (``auto_now_add``) and ``get_db_prep_save`` run as in ``save()``; no
    ``pre_save``/``post_save`` signal is sent."""
    model = type(obj)
    if not connection.features.can_return_columns_from_insert:
        obj.save(force_insert=True)
        return obj
    key = (model, connection.vendor)
    if key not in _INSERTS:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.auto_field and not f.generated]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        _INSERTS[key] = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "
            f"RETURNING {quote(meta.pk.column)}",
            fields,
        )
    sql, fields = _INSERTS[key]
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj


def row_save_new(obj: M) -> M:
    """Save a new instance as ``save()`` would (its ``pre_save`` and ``post_save`` signals, so the audit
    trail and the search index hear of it), with the prepared INSERT of ``row_insert``: for a model of
    fifty columns, compiling its INSERT was most of the cost of saving it. Only for a model without a
    ``save()`` of its own, which this would skip."""
    model = type(obj)
    assert model.save is Model.save, f"{model.__name__} has its own save(); call it"
    if not connection.features.can_return_columns_from_insert:
        obj.save(force_insert=True)
        return obj
    # save()'s own check and key copy: an unsaved related row refused, a related row's new key taken.
    cast(Any, obj)._prepare_related_fields_for_save(operation_name="save")
    using = connection.alias
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
    row_insert(obj)
    signals.post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
    )
    return obj


class _TextOnce(Dumper):
    """A dumper that works out each distinct value's text once per ``COPY`` and reuses it.

    Putting a datetime into words (``str``, with its UTC offset) is most of what formatting a row
    for ``COPY`` costs in psycopg: a lead row of the import took 11-12 µs, 5-6 µs with its datetimes'
    text reused; a touchpoint 7 µs, 2.4 µs. A bulk write repeats a handful of moments (its own
    clock reading, a few dates) on every row, so each is put into words once. ``rows_write`` uses a
    fresh cursor, so a fresh dumper with an empty memo, for every statement."""

    def __init__(self, cls: type, context: Any = None):
        super().__init__(cls, context)
        self._texts: dict[Any, Buffer | None] = {}

    def _key(self, obj: Any) -> Any:
        return obj

    def _text(self, obj: Any) -> Buffer | None:
        raise NotImplementedError  # the psycopg dumper each class below is made from

    def dump(self, obj: Any) -> Buffer | None:
        key = self._key(obj)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = self._text(obj)
        return text


class _DatetimeOnce(_TextOnce, DatetimeDumper):
    def _key(self, obj: datetime) -> Any:
        # Equal instants in two zones compare equal but read differently: the zone is in the key.
        return (obj, obj.tzinfo)

    def _text(self, obj: datetime) -> Buffer | None:
        return DatetimeDumper.dump(self, obj)

    def upgrade(self, obj: datetime, format: PyFormat) -> Dumper:
        return self if obj.tzinfo else _NaiveDatetimeOnce(self.cls)


class _NaiveDatetimeOnce(_TextOnce, DatetimeNoTzDumper):
    def _text(self, obj: datetime) -> Buffer | None:
        return DatetimeNoTzDumper.dump(self, obj)


class _DateOnce(_TextOnce, DateDumper):
    def _text(self, obj: date) -> Buffer | None:
        return DateDumper.dump(self, obj)


@overload
def rows_write(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None: ...
@overload
def rows_write(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, meanwhile: Callable[[], T]
) -> T: ...
def rows_write(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    meanwhile: Callable[[], T] | None = None,
) -> T | None:
    """Many rows into ``table`` (its ``columns``, values as the database takes them) in one
    statement: ``COPY`` on PostgreSQL, ``executemany`` of one INSERT elsewhere.

    ``meanwhile`` runs once every row is sent, and its result is returned. On PostgreSQL the server
    is then still writing the rows (each one's index entries and checks: most of a wide table's
    ``COPY``), and the client would otherwise only wait for it; work that needs no database, such as
    the next statement's rows, is done in that wait instead of after it. It must not use the
    connection, which the ``COPY`` holds until it ends."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            adapters = cursor.cursor.adapters  # this cursor's own: the memo lives as long as the COPY
            adapters.register_dumper(datetime, _DatetimeOnce)
            adapters.register_dumper(date, _DateOnce)
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                return meanwhile() if meanwhile is not None else None
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)
    return meanwhile() if meanwhile is not None else None
