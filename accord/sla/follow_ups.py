"""Follow-up tasks on leads ("call back Tuesday 10:00"): set one, mark it done, the reminder when it is
nearly due, what a person has due (inbox, API), and the calendar entries of a person's tasks and SLA
deadlines.

Writes ask the access layer first: a task is set on a lead the person may act on, for themselves or for
someone they manage; it is marked done by its assignee, their managers, the sales head or admins.
The reminder is one sweep of the open, unreminded tasks whose reminder time has passed (a partial index
keeps it to those rows), declared as periodic work in the app's ready().
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accord.core.calendar_feed import CalendarEntry
from accord.core.errors import ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.models import Channel
from accord.core.notify import notify
from accord.leads.models import Lead
from accord.people.access import (
    access_follow_up_by_id,
    access_lead_by_id,
    follow_ups_visible_to,
    is_signed_in,
    manages,
)
from accord.people.models import User
from accord.sla.models import FollowUp, SlaClock

TASK_DUE_KIND = "task_due"
TASK_DUE_LABEL = "Follow-up task due"
CREATED = "task.created"
DONE = "task.done"
# The reminder goes out this long before the due time (or at once when the task is due sooner).
REMIND_BEFORE = timedelta(minutes=15)
TITLE_MAX = 200
# How many reminders one sweep sends; the next sweep takes the rest (it runs every few minutes).
SWEEP_BATCH = 500


def _lead_url(lead_id: int) -> str:
    return f"/leads/{lead_id}/"


# --- writes -----------------------------------------------------------------------------------------


@transaction.atomic
def follow_up_create(
    *,
    lead_id: int,
    user: User,
    title: str,
    due_at: datetime,
    note: str = "",
    assignee: User | None = None,
    channel: str = Channel.PAGE,
) -> FollowUp:
    """Set a follow-up task on a lead the user may act on, for themselves or someone they manage."""
    lead = access_lead_by_id(user, lead_id, action="act")
    title = (title or "").strip()
    if not title:
        raise ApplicationError(
            "Say what to do, e.g. 'Call back about the pilot'.", detail={"title": "is required"}
        )
    if len(title) > TITLE_MAX:
        raise ApplicationError(
            f"Keep the task to {TITLE_MAX} characters; put the rest in the note.",
            detail={"title": "is too long"},
        )
    if due_at is None or timezone.is_naive(due_at):
        raise ApplicationError(
            "Give the due time with its time zone.", detail={"due_at": "needs a date, a time and a zone"}
        )
    now = timezone.now()
    if due_at < now - timedelta(minutes=1):
        raise ApplicationError(
            "The due time has already passed; pick a later one.", detail={"due_at": "is past"}
        )
    assignee = assignee or user
    if assignee.pk != user.pk:
        if not (is_signed_in(assignee) and manages(user, assignee)) and not user.has_role(
            "admin", "sales_head"
        ):
            raise ApplicationError(
                f"You may set tasks only for yourself or for people you manage, not for {assignee}.",
                detail={"assignee": "is not someone you manage"},
                status=403,
            )
        if not assignee.is_active:
            raise ApplicationError(f"{assignee} is inactive.", detail={"assignee": "is inactive"})
    task = FollowUp(
        lead=lead,
        assignee=assignee,
        created_by=user,
        title=title,
        note=(note or "").strip(),
        due_at=due_at,
        remind_at=min(max(due_at - REMIND_BEFORE, now), due_at),
    )
    task.full_clean()
    task.save()
    event_record(
        type=CREATED,
        subject=lead,
        channel=channel,
        actor=user,
        payload={
            "task_id": task.pk,
            "title": task.title,
            "due_at": task.due_at.isoformat(),
            "assignee_id": assignee.pk,
            "assignee": str(assignee),
        },
    )
    return task


@transaction.atomic
def follow_up_done(*, task_id: int, user: User, channel: str = Channel.PAGE) -> FollowUp:
    """Mark a task done (409 when it already is)."""
    task = access_follow_up_by_id(user, task_id, lock=True)
    if task.done_at is not None:
        raise Conflict(
            f"'{task.title}' was already marked done on {task.done_at:%Y-%m-%d %H:%M}.",
            detail={"task": "is done"},
        )
    task.done_at, task.done_by = timezone.now(), user
    task.save(update_fields=["done_at", "done_by", "updated_at"])
    event_record(
        type=DONE,
        subject=task.lead,
        channel=channel,
        actor=user,
        payload={"task_id": task.pk, "title": task.title, "assignee": str(task.assignee)},
    )
    return task


def follow_up_remind(*, task_id: int, now: datetime | None = None) -> bool:
    """Send one task's reminder (in-app and by email, as the assignee prefers) unless it is done or was
    already reminded. Claimed with a compare-and-set update, so two sweeps never remind twice."""
    now = now or timezone.now()
    claimed = FollowUp.objects.filter(
        pk=task_id, done_at__isnull=True, reminded_at__isnull=True, remind_at__lte=now
    ).update(reminded_at=now)
    if not claimed:
        return False
    task = FollowUp.objects.select_related("lead", "assignee").get(pk=task_id)
    when = timezone.localtime(task.due_at).strftime("%a %d %b %H:%M")
    notify(
        user=task.assignee,
        kind=TASK_DUE_KIND,
        subject=f"Task due {when}: {task.title} ({task.lead})",
        body=(task.note or f"Follow up with {task.lead}.") + f"\nDue: {when}.",
        url=_lead_url(task.lead_id),
        lead=task.lead,
    )
    return True


def follow_ups_remind_due(*, now: datetime | None = None) -> int:
    """Remind every open task whose reminder time has come (up to ``SWEEP_BATCH`` per run)."""
    now = now or timezone.now()
    ids = list(
        FollowUp.objects.filter(done_at__isnull=True, reminded_at__isnull=True, remind_at__lte=now)
        .order_by("remind_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    return sum(1 for task_id in ids if follow_up_remind(task_id=task_id, now=now))


# --- reads ------------------------------------------------------------------------------------------


def follow_ups_for(
    *, user: User, include_done: bool = False, lead_id: int | None = None
) -> QuerySet[FollowUp]:
    """Tasks the user sees, soonest due first; by default only open ones."""
    tasks = follow_ups_visible_to(user).select_related("lead", "assignee", "done_by")
    if not include_done:
        tasks = tasks.filter(done_at__isnull=True)
    if lead_id is not None:
        tasks = tasks.filter(lead_id=lead_id)
    return tasks.order_by("due_at", "id")


@dataclass
class TasksDue:
    """A person's own open tasks due by the end of today (overdue ones first), and how many more wait."""

    rows: list[FollowUp]
    overdue: int
    later: int
    now: datetime
    day_start: datetime  # the start of the person's today: earlier tasks show their date, not only the time


def tasks_due_for(*, user: User, limit: int = 10, now: datetime | None = None) -> TasksDue:
    """The user's own open tasks due by the end of their day, for the inbox (three small queries)."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    end_of_day = local.replace(hour=23, minute=59, second=59, microsecond=0)
    mine = FollowUp.objects.filter(assignee=user, done_at__isnull=True, lead__in=Lead.objects.live())
    rows = list(mine.filter(due_at__lte=end_of_day).select_related("lead").order_by("due_at", "id")[:limit])
    return TasksDue(
        rows=rows,
        overdue=mine.filter(due_at__lt=now).count(),
        later=mine.filter(due_at__gt=end_of_day).count(),
        now=now,
        day_start=day_start,
    )


# --- calendar sources (registered in the app's ready) ---------------------------------------------------


def calendar_tasks_for(user: User, start: datetime, end: datetime) -> Iterator[CalendarEntry]:
    """The person's open tasks due between ``start`` and ``end``, as 15-minute calendar events."""
    tasks = (
        FollowUp.objects.filter(assignee=user, done_at__isnull=True, due_at__gte=start, due_at__lt=end)
        .select_related("lead")
        .order_by("due_at", "id")
    )
    for task in tasks:
        yield CalendarEntry(
            uid=f"task-{task.pk}@accord",
            title=f"Task: {task.title} ({task.lead})",
            starts_at=task.due_at,
            ends_at=task.due_at + timedelta(minutes=15),
            description=task.note,
            url=_lead_url(task.lead_id),
            categories=("Task",),
        )


CLOCK_WORDS = {"accept": "Accept or reject", "first_touch": "First touch", "next_touch": "Next touch"}


def calendar_sla_deadlines_for(user: User, start: datetime, end: datetime) -> Iterator[CalendarEntry]:
    """The running SLA deadlines on the person's own leads between ``start`` and ``end``."""
    clocks = (
        SlaClock.objects.open()
        .filter(owner=user, lead__owner=user, due_at__gte=start, due_at__lt=end)
        .select_related("lead", "policy")
        .order_by("due_at", "id")
    )
    for clock in clocks:
        words = CLOCK_WORDS.get(clock.kind, clock.get_kind_display())
        yield CalendarEntry(
            uid=f"sla-{clock.pk}@accord",
            title=f"SLA deadline: {words} {clock.lead}",
            starts_at=clock.due_at,
            ends_at=clock.due_at + timedelta(minutes=15),
            description=f"{words} {clock.lead} by this time (SLA policy: {clock.policy}).",
            url=_lead_url(clock.lead_id),
            categories=("SLA deadline",),
        )
