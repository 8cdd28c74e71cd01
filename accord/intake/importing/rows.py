"""Writing rows without model instances: bulk inserts (executemany on SQLite, COPY on PostgreSQL),
primary keys reserved inside the transaction, and the JSON the audit records carry."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, overload

from django.db import connection

from accord.core.errors import ApplicationError
from accord.core.rows import rows_write

T = TypeVar("T")


class RowWriter:
    """Inserts many rows into one table: executemany on SQLite, COPY on PostgreSQL (``rows_write``)."""

    def __init__(self, model: type[Any], columns: Sequence[str]) -> None:
        self.table = model._meta.db_table
        self.columns = list(columns)
        if connection.vendor not in ("sqlite", "postgresql"):
            raise ApplicationError(f"Bulk import supports SQLite and PostgreSQL, not {connection.vendor}.")

    @overload
    def write(self, rows: Sequence[Sequence[Any]]) -> None: ...
    @overload
    def write(self, rows: Sequence[Sequence[Any]], *, meanwhile: Callable[[], T]) -> T: ...
    def write(self, rows: Sequence[Sequence[Any]], *, meanwhile: Callable[[], T] | None = None) -> T | None:
        """``rows`` written; ``meanwhile`` (see ``rows_write``) run while PostgreSQL finishes them."""
        if not rows:
            return meanwhile() if meanwhile is not None else None
        if meanwhile is None:
            return rows_write(self.table, self.columns, rows)
        return rows_write(self.table, self.columns, rows, meanwhile=meanwhile)


def _iso_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):  # an amount, as the audit capture stores one (its text)
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_encode_str = json.encoder.encode_basestring_ascii  # what json.dumps encodes a str with (ensure_ascii)


def _json_scalar(value: Any) -> str:
    """json.dumps(value, default=_iso_default) for one value; str and int without the encoder set-up.
    Row values are as the database takes them: PostgreSQL's date-times are datetime objects."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value, default=_iso_default)


_EMPTY = (None, "", "{}", "[]")


def _created_prefixes(columns: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """For ``_created_changes_json``: each (field name, row position) with its key pre-encoded."""
    return [(json.dumps(name) + ": [null, ", i) for name, i in columns]


def _created_changes_json(row: Sequence[Any], prefixes: Sequence[tuple[str, int]]) -> str:
    """A created row's audit changes, {name: [null, value]} for its non-empty values, as the text
    json.dumps(changes, default=_iso_default) gives, put together from pre-encoded keys."""
    scalar = _json_scalar
    return "{" + ", ".join([p + scalar(row[i]) + "]" for p, i in prefixes if row[i] not in _EMPTY]) + "}"


def _json_db(value: Any) -> str:
    # Both engines take JSON as text here: SQLite stores it as text, COPY parses it into jsonb.
    return json.dumps(value)


def ids_reserve(model: type[Any], count: int) -> list[int]:
    """Primary keys for ``count`` new rows, taken inside the current transaction."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [r[0] for r in cursor.fetchall()]
        # SQLite: the transaction holds the write lock (BEGIN IMMEDIATE), so max + 1.. is ours.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        found = cursor.fetchone()
        start = max(top, found[0] if found else 0) + 1
        return list(range(start, start + count))


class IdPool:
    """Primary keys handed out one at a time inside one transaction, reserved in blocks."""

    def __init__(self, model: type[Any], block: int = 256) -> None:
        self.model = model
        self.block = block
        self._free: list[int] = []
        self._next: int | None = None

    def take(self) -> int:
        if connection.vendor == "sqlite":
            # max + 1 is ours while the transaction holds the write lock; the rows are written
            # before anything else in this transaction inserts into the table.
            if self._next is None:
                self._next = ids_reserve(self.model, 1)[0]
            pk, self._next = self._next, self._next + 1
            return pk
        if not self._free:
            self._free = ids_reserve(self.model, self.block)[::-1]
        return self._free.pop()
