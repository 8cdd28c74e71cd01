"""The one way to answer with a CSV download: every cell escaped (``accord.core.csv_safe``) and the
export logged as an ``ExportRecord``, so the audit trail knows who exported what."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

from accord.audit.services import export_finished, export_record
from accord.core.csv_safe import csv_lines
from accord.people.models import User


def csv_response(
    filename: str,
    header: Sequence[Any] | None,
    rows: Iterable[Iterable[Any]],
    *,
    user: User,
    what: str,
    filters: dict[str, Any] | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """A CSV download with every cell escaped, logged as an ExportRecord.

    A list or tuple of rows is written at once with its row count; any other iterable is streamed
    (flat memory for big exports) and the record's row count is filled in when the stream ends.
    Callers pass only rows the user may see: read them through the app's selector.
    """
    record = export_record(user=user, what=what, filename=filename, filters=filters or {})
    disposition = f'attachment; filename="{filename}"'
    if isinstance(rows, list | tuple):
        body = "".join(csv_lines(header, rows))
        export_finished(record=record, row_count=len(rows))
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            body, content_type="text/csv; charset=utf-8"
        )
    else:

        def counted() -> Iterator[Iterable[Any]]:
            n = 0
            for row in rows:
                n += 1
                yield row
            export_finished(record=record, row_count=n)

        response = StreamingHttpResponse(csv_lines(header, counted()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    return response
