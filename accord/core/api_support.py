"""What every app's API router shares: the error schema, JSON answers, offset pages, and the refusal of
text no database stores.

This module knows no app. The root API (``config/api.py``) wires the routers together; an app's
``api.py`` imports from here, never from the root.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from ninja.renderers import JSONRenderer
from pydantic import AfterValidator, Field

from accord.core.errors import ApplicationError

# The root API keeps django-ninja's JSON renderer; answers made here render the same way.
_RENDERER = JSONRenderer()


# Ids are 64-bit: a larger number is refused as input (422), not failed on in the database.
MAX_ID = 2**63 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _in_utc(value: datetime) -> datetime:
    # Python takes offsets up to ±23:59; PostgreSQL stores at most ±15:59. The instant is what counts.
    if value.tzinfo is None:
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00:00+00:01 is before the first moment a datetime holds: a 422, not a 500.
        raise ValueError("this moment in UTC is outside the years 1 to 9999") from None


# A moment sent with any UTC offset, kept as the same instant in UTC.
UtcDatetime = Annotated[datetime, AfterValidator(_in_utc)]


class ErrorOut(Schema):
    """Every error the API answers: a sentence to act on, and the fields at fault."""

    message: str
    detail: dict[str, Any]


def json_response(request: HttpRequest, body: Any, *, status: int) -> HttpResponse:
    """A JSON answer rendered as the API renders its own (for bodies already made JSON-ready)."""
    return HttpResponse(
        _RENDERER.render(request, body, response_status=status),
        status=status,
        content_type=f"{_RENDERER.media_type}; charset={_RENDERER.charset}",
    )


def offset_page(
    queryset: QuerySet[Any], *, limit: int, offset: int, row: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """``{"count", "limit", "offset", "results"}`` for one page of a list read with limit and offset."""
    rows: Iterable[Any] = list(queryset[offset : offset + limit])
    return {
        "count": queryset.count(),
        "limit": limit,
        "offset": offset,
        "results": [row(item) for item in rows],
    }


# --- text no database stores ------------------------------------------------------------------------

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable_text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored (PostgreSQL refuses NUL, no database a lone surrogate), or None."""
    if "\x00" in value:
        return "must not contain a NUL character (\\u0000 or %00); remove it"
    if _LONE_SURROGATE.search(value):
        return (
            "contains an unpaired UTF-16 surrogate (such as \\ud800), which is not text; send the whole pair"
        )
    return None


def refuse_unstorable_text(data: Any, where: str = "") -> None:
    """A 422 naming the field (by its dotted path) for the first text in ``data`` no database stores."""
    items: Any = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        name = f"{where}.{key}" if where else str(key)
        problem = unstorable_text_problem(key) if isinstance(key, str) else None
        if problem is None and isinstance(value, str):
            problem = unstorable_text_problem(value)
        if problem is not None:
            shown = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", name.replace("\x00", "\\u0000"))
            raise ApplicationError(
                f"Invalid input in {shown}: it {problem}.", detail={shown: problem}, status=422
            )
        refuse_unstorable_text(value, name)
