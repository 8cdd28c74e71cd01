"""Reads for the audit trail: who may read which change records, and the filters shared by page and API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from accord.audit.models import ChangeRecord, ExportRecord
from accord.core.errors import NotFound
from accord.people import access
from accord.people.models import Role, User

# Heads read configuration changes (criteria, routing, SLA policies, roles, teams, sources).
CONFIG_READER_ROLES = tuple(access.AUDIT_CONFIG_READER_ROLES)


def can_read_audit(user: User) -> bool:
    return bool(access.is_signed_in(user) and user.has_role(Role.ADMIN, *CONFIG_READER_ROLES))


def change_records_visible_to(user: User) -> QuerySet[ChangeRecord]:
    """Change records a user may read: admins all, heads configuration (accord.people.access)."""
    return access.change_records_visible_to(user)


def export_records_visible_to(user: User) -> QuerySet[ExportRecord]:
    return access.export_records_visible_to(user)


@dataclass(frozen=True)
class ChangeFilters:
    object_type: str = ""  # "leads.lead"
    object_id: str = ""
    actor: str = ""  # username
    channel: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None  # inclusive


def change_record_list(*, user: User, filters: ChangeFilters) -> QuerySet[ChangeRecord]:
    qs = change_records_visible_to(user).select_related("actor")
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type.lower())
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.actor:
        qs = qs.filter(actor_name=filters.actor)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.action:
        qs = qs.filter(action=filters.action)
    tz = timezone.get_current_timezone()
    if filters.since:
        qs = qs.filter(occurred_at__gte=datetime.combine(filters.since, time.min, tzinfo=tz))
    if filters.until:
        qs = qs.filter(
            occurred_at__lt=datetime.combine(filters.until + timedelta(days=1), time.min, tzinfo=tz)
        )
    return qs.order_by("-occurred_at", "-id")


def change_record_get(*, user: User, record_id: int) -> ChangeRecord:
    record = change_records_visible_to(user).select_related("actor").filter(pk=record_id).first()
    if record is None:
        raise NotFound(f"Change record {record_id} was not found.", detail={"id": record_id})
    return record


def change_object_types(user: User) -> list[str]:
    return list(
        change_records_visible_to(user)
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )
