"""One definition per record list, shared by its page and its API: columns, sorts and filters.

A list (leads, deals, accounts) is described once by a ``ListDefinition``: the columns a person may
show and sort by, and the fields they may filter on (custom fields of a JSON column included). The
page reads its query string (``cols``, ``sort``, and condition rows ``ff``/``fo``/``fv``), the API reads
``sort`` and ``filter=field:op:value``; both become the same ``ListQuery`` and are applied to a
queryset the access layer has already narrowed (this module never widens what a person sees).

Nothing here grows with the table: every sortable column has an index (see each app's model), pages
are offsets with a cap (``MAX_OFFSET``), and counts stop at ``COUNT_CAP`` ("1,000+", never an exact
``COUNT(*)`` over a million rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

# How far a count goes before it says "1,000+" and how deep offsets may page (both keep a request's
# work bounded whatever the table size; narrow the filters to go further).
COUNT_CAP = 1000
MAX_OFFSET = 5000

CUSTOM_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class ListQueryError(ValueError):
    """A filter or sort a list does not offer, with the words to show for it."""


@dataclass(frozen=True)
class Column:
    """A column a list can show. ``sort`` names the fields it orders by, matching one index
    ("lower:name" orders by the lower-cased field); None: not sortable."""

    key: str
    label: str
    sort: tuple[str, ...] | None = None
    default: bool = True


@dataclass(frozen=True)
class FilterField:
    """A field people may filter on. ``kind`` decides the operators: text, choice, number, date, user."""

    key: str
    label: str
    lookup: str
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()


# Operator -> (label, kinds it applies to).
OPERATORS: dict[str, tuple[str, frozenset[str]]] = {
    "is": ("is", frozenset({"text", "choice", "number", "user", "custom"})),
    "is_not": ("is not", frozenset({"text", "choice", "number", "user", "custom"})),
    "contains": ("contains", frozenset({"text", "custom"})),
    "starts": ("starts with", frozenset({"text", "custom"})),
    "empty": ("is empty", frozenset({"text", "choice", "number", "user", "date", "custom"})),
    "not_empty": ("is not empty", frozenset({"text", "choice", "number", "user", "date", "custom"})),
    "gte": ("at least", frozenset({"number"})),
    "lte": ("at most", frozenset({"number"})),
    "older_than_days": ("more than … days ago", frozenset({"date"})),
    "within_days": ("within the last … days", frozenset({"date"})),
    "before": ("before", frozenset({"date"})),
    "after": ("on or after", frozenset({"date"})),
}
NO_VALUE_OPERATORS = frozenset({"empty", "not_empty"})


@dataclass(frozen=True)
class Condition:
    """One filter: field, operator and the value as typed ("me" and "none" stand for people)."""

    field: str
    op: str
    value: str = ""

    def as_text(self) -> str:
        return f"{self.field}:{self.op}:{self.value}"


@dataclass(frozen=True)
class ListQuery:
    """What a person asked of a list, validated against its definition."""

    columns: tuple[str, ...]
    sort: str  # a column key, "-" in front for descending; "" for the list's default order
    conditions: tuple[Condition, ...] = ()
    errors: tuple[str, ...] = ()

    def querystring(self, definition: ListDefinition, **extra: str) -> str:
        """The page's query string for this query (the form a saved view stores)."""
        pairs: list[tuple[str, str]] = []
        if self.columns != definition.default_columns():
            pairs.append(("cols", ",".join(self.columns)))
        if self.sort:
            pairs.append(("sort", self.sort))
        for c in self.conditions:
            pairs += [("ff", c.field), ("fo", c.op), ("fv", c.value)]
        pairs += [(k, v) for k, v in extra.items() if v]
        return urlencode(pairs)


@dataclass
class ListDefinition:
    """A list's columns, filters and default order (see the module docstring)."""

    name: str
    noun: str  # "leads"
    columns: tuple[Column, ...]
    filters: tuple[FilterField, ...]
    default_order: tuple[str, ...]
    custom_json: str | None = None  # a JSON column whose keys may be filtered on as "custom.<key>"
    # Resolve a "user" filter value: "me", "none" or a username -> a Q (given the asking user).
    user_value: Callable[[str, str, Any], Q] | None = None
    _filters_by_key: dict[str, FilterField] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._filters_by_key = {f.key: f for f in self.filters}

    # --- reading the query -------------------------------------------------------------------------

    def default_columns(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.default)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    def filter_field(self, key: str) -> FilterField | None:
        if key in self._filters_by_key:
            return self._filters_by_key[key]
        if self.custom_json and key.startswith("custom."):
            name = key.removeprefix("custom.")
            if CUSTOM_KEY.match(name):
                return FilterField(key, f"Custom: {name}", f"{self.custom_json}__{name}", "custom")
        return None

    def parse(
        self,
        *,
        cols: str | None = None,
        sort: str | None = None,
        conditions: Iterable[tuple[str, str, str]] = (),
    ) -> ListQuery:
        """A ``ListQuery`` from raw text; what the list does not offer is dropped and explained."""
        errors: list[str] = []
        columns = self.default_columns()
        if cols:
            wanted = tuple(k for k in (p.strip() for p in cols.split(",")) if k)
            unknown = [k for k in wanted if self.column(k) is None]
            if unknown:
                errors.append(f"No column called {', '.join(unknown)}; showing the others.")
            chosen = tuple(k for k in wanted if self.column(k) is not None)
            columns = chosen or columns
        order = ""
        if sort:
            column = self.column(sort.lstrip("-"))
            if column is None or column.sort is None:
                errors.append(
                    f"The {self.noun} cannot be sorted by {sort.lstrip('-')!r}; newest first instead."
                )
            else:
                order = sort
        parsed: list[Condition] = []
        for raw_field, raw_op, raw_value in conditions:
            if not raw_field:
                continue
            try:
                parsed.append(self.condition(raw_field, raw_op, raw_value))
            except ListQueryError as exc:
                errors.append(str(exc))
        return ListQuery(columns, order, tuple(parsed), tuple(errors))

    def parse_texts(self, texts: Iterable[str], *, sort: str | None = None) -> ListQuery:
        """The API's form: ``field:op:value`` per condition (the value may hold colons)."""
        triples = []
        for text in texts:
            parts = text.split(":", 2)
            if len(parts) < 2:
                raise ListQueryError(f"Write a filter as field:operator:value, not {text!r}.")
            triples.append((parts[0], parts[1], parts[2] if len(parts) == 3 else ""))
        query = self.parse(sort=sort, conditions=triples)
        if query.errors:
            raise ListQueryError(" ".join(query.errors))
        return query

    def condition(self, field_key: str, op: str, value: str) -> Condition:
        """One validated condition, or ListQueryError saying what is wrong with it."""
        spec = self.filter_field(field_key)
        if spec is None:
            raise ListQueryError(f"The {self.noun} cannot be filtered on {field_key!r}.")
        if op not in OPERATORS or spec.kind not in OPERATORS[op][1]:
            offered = ", ".join(k for k, (_, kinds) in OPERATORS.items() if spec.kind in kinds)
            raise ListQueryError(f"{spec.label} cannot be filtered with {op!r}; use one of {offered}.")
        value = (value or "").strip()
        if "\x00" in value:
            raise ListQueryError(f"The value for {spec.label} holds a NUL character; remove it.")
        if op not in NO_VALUE_OPERATORS:
            if not value:
                raise ListQueryError(f"Give a value for “{spec.label} {OPERATORS[op][0]}”.")
            _typed_value(spec, op, value)  # raises on a bad number or date
            if spec.kind == "choice" and spec.choices and value not in dict(spec.choices):
                raise ListQueryError(
                    f"{spec.label} has no value {value!r}; use one of {', '.join(k for k, _ in spec.choices)}."
                )
        return Condition(field_key, op, "" if op in NO_VALUE_OPERATORS else value)

    # --- applying it ---------------------------------------------------------------------------------

    def filter(self, queryset: QuerySet[Any], query: ListQuery, *, user: Any) -> QuerySet[Any]:
        """``queryset`` (already narrowed by the access layer) with the query's conditions, order kept."""
        for condition in query.conditions:
            queryset = queryset.filter(self._q(condition, user))
        return queryset

    def apply(self, queryset: QuerySet[Any], query: ListQuery, *, user: Any) -> QuerySet[Any]:
        """``queryset`` (already narrowed by the access layer) filtered and ordered as asked."""
        return self.filter(queryset, query, user=user).order_by(*self.ordering(query.sort))

    def ordering(self, sort: str) -> list[Any]:
        if not sort:
            return list(self.default_order)
        column = self.column(sort.lstrip("-"))
        assert column is not None and column.sort is not None  # parse() kept only sortable columns
        descending = sort.startswith("-")
        order: list[Any] = []
        for name in column.sort:
            expr: Any = Lower(name.removeprefix("lower:")) if name.startswith("lower:") else F(name)
            order.append(expr.desc() if descending else expr.asc())
        return [*order, "-id" if descending else "id"]

    def _q(self, condition: Condition, user: Any) -> Q:
        spec = self.filter_field(condition.field)
        assert spec is not None
        op, value, lookup = condition.op, condition.value, spec.lookup
        if spec.kind == "user" and op in ("is", "is_not"):
            assert self.user_value is not None, "a list with a user filter resolves its values"
            q = self.user_value(lookup, value, user)
            return ~q if op == "is_not" else q
        if op in ("empty", "not_empty"):
            empty = Q(**{f"{lookup}__isnull": True})
            if spec.kind in ("text", "choice", "custom"):
                empty |= Q(**{lookup: ""})
            return empty if op == "empty" else ~empty
        typed = _typed_value(spec, op, value)
        if op == "is":
            return Q(**{f"{lookup}__iexact" if spec.kind in ("text", "custom") else lookup: typed})
        if op == "is_not":
            match = Q(**{f"{lookup}__iexact" if spec.kind in ("text", "custom") else lookup: typed})
            return ~match
        if op == "contains":
            return Q(**{f"{lookup}__icontains": typed})
        if op == "starts":
            return Q(**{f"{lookup}__istartswith": typed})
        if op == "gte":
            return Q(**{f"{lookup}__gte": typed})
        if op == "lte":
            return Q(**{f"{lookup}__lte": typed})
        if op == "older_than_days":
            return Q(**{f"{lookup}__lt": timezone.now() - timedelta(days=typed)})
        if op == "within_days":
            return Q(**{f"{lookup}__gte": timezone.now() - timedelta(days=typed)})
        if op == "before":
            return Q(**{f"{lookup}__lt": typed})
        if op == "after":
            return Q(**{f"{lookup}__gte": typed})
        raise ListQueryError(f"Unknown operator {op!r}.")

    # --- words --------------------------------------------------------------------------------------

    def describe(self, condition: Condition) -> str:
        """“Stage is MQL”, “Stage since more than 2 days ago”, in the page's words."""
        spec = self.filter_field(condition.field)
        label = spec.label if spec else condition.field
        words = OPERATORS.get(condition.op, (condition.op, frozenset()))[0]
        value = condition.value
        if spec and spec.choices:
            value = dict(spec.choices).get(value, value)
        if spec and spec.kind == "user":
            value = {"me": "me", "none": "nobody"}.get(value, value)
        if "…" in words:
            return f"{label} {words.replace('…', value)}"
        return f"{label} {words} {value}".strip()

    def operator_choices(self) -> list[tuple[str, str]]:
        return [(k, label) for k, (label, _) in OPERATORS.items()]


def _typed_value(spec: FilterField, op: str, value: str) -> Any:
    if op in NO_VALUE_OPERATORS:
        return None
    if op in ("older_than_days", "within_days"):
        try:
            days = int(value)
        except ValueError:
            raise ListQueryError(f"{spec.label}: write a whole number of days, not {value!r}.") from None
        if not 0 <= days <= 36500:
            raise ListQueryError(f"{spec.label}: days must be between 0 and 36500.")
        return days
    if spec.kind == "number":
        try:
            return Decimal(value) if "." in value else int(value)
        except (ValueError, InvalidOperation):
            raise ListQueryError(f"{spec.label}: {value!r} is not a number.") from None
    if spec.kind == "date":
        parsed_dt = parse_datetime(value)
        if parsed_dt is not None:
            return parsed_dt if timezone.is_aware(parsed_dt) else timezone.make_aware(parsed_dt)
        parsed = parse_date(value)
        if parsed is None:
            raise ListQueryError(f"{spec.label}: write a date as YYYY-MM-DD, not {value!r}.")
        return timezone.make_aware(datetime.combine(parsed, datetime.min.time()))
    return value


def page_query(params: Mapping[str, Any]) -> tuple[str | None, str | None, list[tuple[str, str, str]]]:
    """``cols``, ``sort`` and the condition rows of a page's query string (a QueryDict or a dict)."""
    getlist = getattr(params, "getlist", None)

    def many(name: str) -> list[str]:
        if getlist is not None:
            return list(getlist(name))
        value = params.get(name)
        return list(value) if isinstance(value, list | tuple) else ([value] if value else [])

    fields, ops, values, customs = many("ff"), many("fo"), many("fv"), many("fc")
    for names in (ops, values, customs):
        names += [""] * (len(fields) - len(names))
    # A row whose field is "custom" names the custom field in its own box (fc).
    fields = [f"custom.{c.strip()}" if f == "custom" else f for f, c in zip(fields, customs, strict=False)]
    cols = params.get("cols") or ",".join(many("col"))
    return cols or None, params.get("sort"), list(zip(fields, ops, values, strict=False))


@dataclass(frozen=True)
class CappedCount:
    """A count that stops at ``COUNT_CAP``: ``n`` rows, or at least ``n`` when ``more`` is set."""

    n: int
    more: bool

    def __str__(self) -> str:
        return f"{self.n:,}+" if self.more else f"{self.n:,}"


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> CappedCount:
    """Count at most ``cap`` + 1 rows (``SELECT COUNT(*) FROM (... LIMIT cap+1)``): bounded work."""
    n = queryset.order_by().values("pk")[: cap + 1].count()
    return CappedCount(min(n, cap), n > cap)


def capped_counts(querysets: Mapping[str, QuerySet[Any]], cap: int = COUNT_CAP) -> dict[str, CappedCount]:
    """Several capped counts in one query: ``SELECT (SELECT COUNT(*) FROM (... LIMIT cap+1)), ...``."""
    if not querysets:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    using = None
    for i, queryset in enumerate(querysets.values()):
        sql, sub_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped_{i})")
        params.extend(sub_params)
        using = queryset.db
    with connections[using or "default"].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {key: CappedCount(min(n, cap), n > cap) for key, n in zip(querysets, row, strict=True)}


@dataclass(frozen=True)
class Page:
    """One page of a list read with a capped offset."""

    rows: list[Any]
    number: int
    size: int
    has_next: bool
    capped: bool  # the next page would pass MAX_OFFSET

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def end(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def rows_at(queryset: QuerySet[Any], *, offset: int, limit: int) -> list[Any]:
    """``queryset[offset:offset + limit]`` read in two steps: the ids alone in the list's order (only the
    filtered table, so the database walks the sort's index and stops at ``limit``), then those rows
    with their joins (``select_related``, prefetches). Joining first would make the database join every
    matching row before it sorts and cuts."""
    ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
    if not ids:
        return []
    found = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def page_of(queryset: QuerySet[Any], *, number: Any, size: int) -> Page:
    """Rows ``(number-1)*size`` on, one row more read to know if a next page exists (no count)."""
    try:
        n = max(1, int(number or 1))
    except (TypeError, ValueError):
        n = 1
    last_page = MAX_OFFSET // size + 1
    n = min(n, last_page)
    offset = (n - 1) * size
    rows = rows_at(queryset, offset=offset, limit=size + 1)
    has_next = len(rows) > size
    capped = has_next and n >= last_page
    return Page(rows[:size], n, size, has_next and not capped, capped)
