"""``field__in_array=values``: ``IN`` for thousands of values, as one array on PostgreSQL.

Bulk paths (an import's chunk, a re-score, the possible-duplicates check) look rows up 5,000 keys at
a time. As ``field__in`` that is a statement with 5,000 placeholders: the ORM prepares each value, the
driver splices each into the text and PostgreSQL parses each constant. ``field = ANY(%s)`` sends the
values as one array parameter and plans the same (PostgreSQL turns an ``IN`` list into ``= ANY`` of an
array itself): measured on an empty lead table, 32 ms for the ``__in`` form against 7.3 ms. Other
databases get the plain ``IN`` list. Registered on every field and relation by ``accord.core``'s app
config.
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
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)
