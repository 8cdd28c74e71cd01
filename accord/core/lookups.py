"""``field__in_array=values``: ``IN`` for thousands of values, as one array on PostgreSQL.

Bulk paths (an import's chunk, a re-score, the possible-duplicates check) look rows up 5,000 keys at
a time. As ``field__in`` that is a statement with 5,000 placeholders: the ORM prepares each value, the
driver splices each into the text and PostgreSQL parses each constant. ``field = ANY(%s)`` sends the
values as one array parameter and plans the same (PostgreSQL turns an ``IN`` list into ``= ANY`` of an
array itself): measured on an empty lead table, 32 ms for the ``__in`` form against 7.3 ms. Other
databases get the plain ``IN`` list. Registered on every field and relation by ``accord.core``'s app
config.

An array of ints or of strings goes as its literal text (``pg_array``): psycopg encodes a list element
by element in Python, 1 µs an int and 2.6 µs a string, where joining the text takes a tenth of that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import Lookup


class InArray(Lookup):
    lookup_name = "in_array"
    prepare_rhs = False  # a list of values; each is prepared for the database in as_sql

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]
        if not values and connection.vendor != "postgresql":
            raise EmptyResultSet
        sql, params = in_values_sql(lhs, values, connection)
        return sql, [*lhs_params, *params]


def in_values_sql(column: str, values: Sequence[Any], connection: Any) -> tuple[str, list[Any]]:
    """``column`` is one of ``values``, for SQL written by hand: ``= ANY(%s)`` with one array
    parameter on PostgreSQL, an ``IN`` list elsewhere (``values`` not empty there)."""
    if connection.vendor == "postgresql":
        param, cast = pg_array_typed(values)
        return f"{column} = ANY(%s{cast})", [param]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def pg_array_typed(values: Sequence[Any]) -> tuple[Any, str]:
    """(one PostgreSQL array parameter for ``values``, the cast the statement puts on it).

    Every value an int (or None): the literal ``{1,2,NULL}`` and ``::bigint[]``. Every value a str
    (or None): each one double-quoted with its quotes and backslashes escaped, and ``::text[]``.
    Anything else: the list, encoded by psycopg, and no cast. The literal goes as a parameter like
    any other, never into the statement's text."""
    kinds = {type(v) for v in values}
    nulls = type(None) in kinds
    kinds.discard(type(None))
    if kinds == {int}:
        items = (
            ("NULL" if v is None else int.__repr__(v) for v in values) if nulls else map(int.__repr__, values)
        )
        return "{" + ",".join(items) + "}", "::bigint[]"
    if kinds == {str}:
        items = ("NULL" if v is None else '"' + _quoted(v) + '"' for v in values)
        return "{" + ",".join(items) + "}", "::text[]"
    return list(values), ""


def pg_array(values: Sequence[Any]) -> Any:
    """``pg_array_typed``'s parameter alone, for a statement that casts it already (``unnest(%s::text[])``)."""
    return pg_array_typed(values)[0]
