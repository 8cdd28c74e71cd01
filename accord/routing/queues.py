"""Working the routing queues and the people who take leads, in Accord's own pages.

- Claim and assign: sales managers, the sales head and admins take a lead waiting in a queue themselves
  or hand it to a rep (one lead or many at once); a lead already with a rep is reassigned the same way.
  Managers hand leads only to themselves and the people they manage.
- Capacity: a rep's daily and weekly limits, round-robin weight and whether they take leads at all,
  changed by whoever may change the rep's team.

Each assignment goes through ``lead_reassign``, so it records the same event, starts the new owner's SLA
clock and notifies them exactly as a routed lead does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from accord.core.errors import AccessDenied, ApplicationError
from accord.core.models import Channel
from accord.leads.models import Lead
from accord.people import access
from accord.people.models import Role, Team, User
from accord.routing.models import LeadRouting, Queue, RepCapacity
from accord.routing.services import lead_reassign

# Who works the queues (claims and assigns).
QUEUE_WORKER_ROLES = access.REASSIGN_ROLES
BULK_MAX = 200
PAGE_SIZE = 50


def queues_can_work(user: Any) -> bool:
    return access.is_signed_in(user) and user.has_role(*QUEUE_WORKER_ROLES)


# --- reads ------------------------------------------------------------------------------------------


def queue_entries_for(
    *, user: User, queue_id: int | None = None, offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[LeadRouting], bool]:
    """One page of the leads waiting in the queues (oldest first) that the user may claim or assign,
    and whether there is a next page. Reads ``limit + 1`` rows, never a full count."""
    leads = access.leads_actionable_by(user, "reassign").filter(owner__isnull=True)
    rows = (
        LeadRouting.objects.filter(queue__isnull=False, lead__in=leads)
        .select_related("queue", "lead", "lead__account", "lead__source")
        .order_by("routed_at", "id")
    )
    if queue_id is not None:
        rows = rows.filter(queue_id=queue_id)
    page = list(rows[offset : offset + limit + 1])
    return page[:limit], len(page) > limit


def queues_for(*, user: User) -> QuerySet[Queue]:
    """Every queue with how many leads wait in it that the user may work."""
    waiting = access.leads_actionable_by(user, "reassign").filter(owner__isnull=True).values("pk")
    return (
        Queue.objects.select_related("owner")
        .annotate(waiting=Count("entries", filter=Q(entries__lead__in=waiting)))
        .order_by("-is_fallback", "name")
    )


def assignees_for(user: User) -> QuerySet[User]:
    """Whom the user may hand a lead to: themselves (a claim); admins and the sales head also every
    active rep and manager; a manager the active reps and managers they manage."""
    people = User.objects.filter(is_active=True).select_related("team").order_by("first_name", "username")
    sales = Q(roles__role__in=[Role.SALES_REP, Role.SALES_MANAGER])
    if user.has_role(*access.ACT_ON_ALL_ROLES):
        return people.filter(sales | Q(pk=user.pk)).distinct()
    return people.filter(Q(pk=user.pk) | (Q(pk__in=access.managed_user_ids(user)) & sales)).distinct()


# --- writes -----------------------------------------------------------------------------------------


@dataclass
class AssignResult:
    """What a claim or an assignment did: the leads now with ``to_user`` and, per lead refused, why."""

    to_user: User
    assigned: list[Lead] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def leads_assign(
    *,
    actor: User,
    lead_ids: list[int],
    to_user: User,
    reason: str = "",
    channel: str = Channel.PAGE,
) -> AssignResult:
    """Give each lead to ``to_user`` (the actor themself: a claim). Each lead is its own transaction, so
    one lead someone else took a moment ago does not undo the others; those are listed as refused."""
    if not queues_can_work(actor):
        raise AccessDenied("Only sales managers, the sales head and admins claim and assign leads.")
    ids = list(dict.fromkeys(int(i) for i in lead_ids))
    if not ids:
        raise ApplicationError("Tick at least one lead.", detail={"leads": "none chosen"})
    if len(ids) > BULK_MAX:
        raise ApplicationError(f"Assign at most {BULK_MAX} leads at a time.", detail={"leads": "too many"})
    if not assignees_for(actor).filter(pk=to_user.pk).exists():
        raise AccessDenied(
            f"You may not give leads to {to_user}: managers give leads to themselves and the reps they manage.",
            detail={"to": "not someone you manage"},
        )
    claim = to_user.pk == actor.pk
    why = (reason or "").strip() or ("claimed from the queue" if claim else f"assigned by {actor}")
    result = AssignResult(to_user=to_user)
    for lead_id in ids:
        try:
            with transaction.atomic():
                lead = access.access_lead_by_id(actor, lead_id, action="reassign", lock=True)
                lead_reassign(lead=lead, to_user=to_user, reason=why, actor=actor, channel=channel)
        except ApplicationError as exc:
            result.refused.append((lead_id, exc.message))
        else:
            result.assigned.append(lead)
    return result


@transaction.atomic
def rep_capacity_set(
    *,
    actor: User,
    rep: User,
    daily_limit: int | None,
    weekly_limit: int | None,
    weight: int,
    accepts_leads: bool,
) -> RepCapacity:
    """A rep's limits and round-robin weight, set by whoever may change the rep's team."""
    if rep.team_id is None:
        if not actor.has_role(*access.TEAM_ADMIN_ROLES):
            raise AccessDenied(f"{rep} is in no team: only the sales head and admins set their capacity.")
    else:
        access.access_team_by_id(actor, rep.team_id)
    for name, value in (("daily_limit", daily_limit), ("weekly_limit", weekly_limit)):
        if value is not None and value < 0:
            raise ApplicationError(
                "A limit cannot be negative; leave it empty for no limit.", detail={name: "< 0"}
            )
    if daily_limit is not None and weekly_limit is not None and weekly_limit < daily_limit:
        raise ApplicationError(
            "The weekly limit is below the daily one.", detail={"weekly_limit": "is below daily_limit"}
        )
    if weight is None or not 1 <= weight <= 100:
        raise ApplicationError(
            "The weight is a whole number from 1 to 100.", detail={"weight": "out of range"}
        )
    capacity, _ = RepCapacity.objects.get_or_create(user=rep)
    capacity.daily_limit, capacity.weekly_limit = daily_limit, weekly_limit
    capacity.weight, capacity.accepts_leads = weight, accepts_leads
    capacity.full_clean()
    capacity.save()
    return capacity


def team_members_with_capacity(team: Team) -> list[tuple[User, RepCapacity | None]]:
    """The team's active members with their capacity rows (two queries)."""
    members = list(User.objects.filter(team=team, is_active=True).order_by("first_name", "username"))
    capacities = {c.user_id: c for c in RepCapacity.objects.filter(user__in=members)}
    return [(member, capacities.get(member.pk)) for member in members]
