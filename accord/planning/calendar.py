"""Planning on everyone's calendar: launches, planning meetings and deadlines (disagreements waiting on
the person, their action items and promises, and their team's promises)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone

from accord.core.calendar_feed import CalendarEntry
from accord.people import access
from accord.planning.models import DisagreementStatus

LIMIT = 500  # entries per kind in one window: a calendar is read a few months at a time


def planning_calendar_entries(user: Any, start: datetime, end: datetime) -> Iterator[CalendarEntry]:
    """Every planning entry of ``user`` between ``start`` and ``end``."""
    if not access.may_read_planning(user):
        return
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    launches = (
        access.campaigns_visible_to(user)
        .filter(is_launch=True, start_date__gte=first, start_date__lte=last)
        .order_by("start_date", "id")
    )
    for campaign in launches[:LIMIT]:
        assert campaign.start_date is not None  # filtered on it
        lines = []
        if campaign.benefit_for_sales:
            lines.append(f"What's in it for sales: {campaign.benefit_for_sales}")
        if campaign.override_reason:
            lines.append(f"Launched at a quarter or month end because: {campaign.override_reason}")
        yield CalendarEntry(
            uid=f"launch-{campaign.pk}@accord",
            title=f"Launch: {campaign.name}",
            starts_at=campaign.start_date,
            ends_at=campaign.end_date,
            description="\n".join(lines),
            url=f"/campaigns/{campaign.pk}/",
            kind="launch",
            categories=("Launch",),
        )
    mine = Q(attendance__user=user) | Q(created_by=user)
    if user.team_id:
        mine |= Q(team_id=user.team_id)
    meetings = (
        access.meetings_visible_to(user)
        .filter(mine, starts_at__gte=start, starts_at__lt=end)
        .distinct()
        .order_by("starts_at")
    )
    for meeting in meetings[:LIMIT]:
        yield CalendarEntry(
            uid=f"meeting-{meeting.pk}@accord",
            title=meeting.title,
            starts_at=meeting.starts_at,
            description=meeting.agenda,
            url=f"/planning/meetings/{meeting.pk}/",
            kind="meeting",
            categories=("Meeting",),
        )
    waiting = (
        access.disagreements_visible_to(user)
        .filter(assignee=user, status=DisagreementStatus.OPEN, due_at__gte=start, due_at__lt=end)
        .select_related("item")
    )
    for d in waiting[:LIMIT]:
        assert d.due_at is not None
        yield CalendarEntry(
            uid=f"disagreement-{d.pk}-{d.level}@accord",
            title=f"Decide: disagreement on {d.item.title}",
            starts_at=d.due_at,
            url=f"/planning/disagreements/{d.pk}/",
            kind="deadline",
            categories=("Deadline",),
        )
    actions = access.action_items_visible_to(user).filter(
        owner=user, done_at__isnull=True, due_on__gte=first, due_on__lte=last
    )
    for action in actions[:LIMIT]:
        yield CalendarEntry(
            uid=f"action-{action.pk}@accord",
            title=f"Due: {action.title}",
            starts_at=action.due_on,
            url=f"/planning/meetings/{action.meeting_id}/",
            kind="deadline",
            categories=("Deadline",),
        )
    promised = Q(owner=user)
    if user.team_id:
        promised |= Q(team_id=user.team_id)
    promises = access.promises_visible_to(user).filter(
        promised, kept_at__isnull=True, due_on__gte=first, due_on__lte=last
    )
    for promise in promises[:LIMIT]:
        yield CalendarEntry(
            uid=f"promise-{promise.pk}@accord",
            title=f"Promised to sales: {promise.title}",
            starts_at=promise.due_on,
            url="/planning/promises/",
            kind="deadline",
            categories=("Deadline",),
        )
