"""Writes for the audit app: export records. Change records are written by ``capture`` only."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from accord.audit import context
from accord.audit.models import ExportRecord
from accord.people.models import User


def export_record(
    *, user: User, what: str, filename: str = "", filters: dict[str, Any] | None = None
) -> ExportRecord:
    """Log that ``user`` is exporting ``what`` with ``filters`` (the row count follows when known)."""
    ctx = context.current()
    who = user if getattr(user, "is_authenticated", False) else None
    clean = {str(k): (v if isinstance(v, str | int | float | bool) or v is None else str(v))
             for k, v in (filters or {}).items() if v not in ("", None)}  # fmt: skip
    return ExportRecord.objects.create(
        occurred_at=timezone.now(),
        user=who,
        username=getattr(who, "username", "") if who else "",
        what=what[:120],
        filename=filename[:255],
        filters=clean,
        channel=ctx.channel,
        request_id=ctx.request_id if ctx is not context.SYSTEM else "",
    )


def export_finished(*, record: ExportRecord, row_count: int) -> None:
    """Fill in how many rows the export held."""
    ExportRecord.objects.filter(pk=record.pk).update(row_count=row_count)
    record.row_count = row_count
