"""Reads for the start pages. Every list is bounded (a few rows, newest or most urgent first) and every
read goes through the access layer's ``*_visible_to`` querysets, so a page costs the same few queries
whatever the size of the tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, Resolver404, resolve
from django.utils import timezone

from accord.core.models import Event
from accord.core.waiting import WaitingItem, waiting_for
from accord.leads.models import Lead, Stage
from accord.people.access import (
    ALL_RECORDS_ROLES,
    ROUTING_EDITOR_ROLES,
    duplicates_visible_to,
    leads_visible_to,
    managed_user_ids,
    sla_clocks_visible_to,
)
from accord.people.models import Absence, Role, User
from accord.qualification.models import CriteriaSet, CriteriaStatus
from accord.qualification.selectors import user_sign_off_roles
from accord.routing.models import Queue, RoutingRuleSet, RuleSetStatus
from accord.sla.models import ClockStatus, SlaClock

SHOWN = 10  # rows per list on a start page; each list links to its full page


def page_exists(path: str) -> bool:
    """Whether Accord serves ``path`` (another app's page may not be installed)."""
    try:
        resolve(path)
    except (Resolver404, NoReverseMatch):
        return False
    return True


@dataclass
class ClockRow:
    clock: SlaClock
    status: str


def _risky_clocks(user: User, owners: Q | None) -> list[ClockRow]:
    """Open deadlines breached or inside their reminder window, most urgent first."""
    now = timezone.now()
    clocks = (
        sla_clocks_visible_to(user)
        .filter(met_at__isnull=True, stopped_at__isnull=True)
        .select_related("lead", "owner", "policy")
    )
    if owners is not None:
        clocks = clocks.filter(owners)
    # At risk: due within the reminder window (the policy's minutes); a day covers every sane window.
    clocks = clocks.filter(Q(breached_at__isnull=False) | Q(due_at__lte=now + timedelta(days=1)))
    rows = [ClockRow(c, c.status_at(now)) for c in clocks.order_by("due_at", "id")[: SHOWN * 3]]
    return [r for r in rows if r.status in (ClockStatus.BREACHED, ClockStatus.AT_RISK)][:SHOWN]


# --- the manager's team view --------------------------------------------------------------------------


@dataclass
class MemberRow:
    user: User
    to_accept: int
    working: int
    breached: int
    away: bool


@dataclass
class TeamView:
    members: list[MemberRow]
    risks: list[ClockRow]
    queues: list[Queue]
    queued: list[Lead]
    queue_page: str  # the queue page's URL when that page is installed, else ""


def team_view_for(user: User) -> TeamView:
    """The people the user manages with their load, their deadlines at risk, and the leads waiting in the
    queues the user owns (all queues for the sales head and admins). A fixed number of queries."""
    ids = managed_user_ids(user)
    today = timezone.localdate()
    away = set(
        Absence.objects.filter(user_id__in=ids, start__lte=today, end__gte=today).values_list(
            "user_id", flat=True
        )
    )
    people = (
        User.objects.filter(pk__in=ids, is_active=True)
        .annotate(
            to_accept=Count("owned_leads", filter=Q(owned_leads__stage=Stage.MQL), distinct=True),
            working=Count(
                "owned_leads",
                filter=Q(owned_leads__stage__in=[Stage.SAL, Stage.SQL, Stage.OPPORTUNITY]),
                distinct=True,
            ),
            breached=Count(
                "sla_clocks",
                filter=Q(
                    sla_clocks__breached_at__isnull=False,
                    sla_clocks__met_at__isnull=True,
                    sla_clocks__stopped_at__isnull=True,
                ),
                distinct=True,
            ),
        )
        .order_by("-breached", "first_name", "username")
    )
    members = [MemberRow(u, u.to_accept, u.working, u.breached, u.pk in away) for u in people]  # type: ignore[attr-defined]
    everything = user.has_role(Role.SALES_HEAD, Role.ADMIN)
    queues = list(Queue.objects.all() if everything else Queue.objects.filter(owner=user))
    queued = (
        list(
            Lead.objects.live()
            .filter(owner__isnull=True, routing__queue__in=queues, stage__in=[Stage.MQL, Stage.SAL])
            .select_related("routing__queue")
            .order_by("routing__routed_at", "id")[:SHOWN]
        )
        if queues
        else []
    )
    owners = None if everything else Q(owner_id__in=ids) | Q(owner_id=user.pk)
    return TeamView(
        members=members,
        risks=_risky_clocks(user, owners),
        queues=queues,
        queued=queued,
        queue_page="/queues/" if page_exists("/queues/") else "",
    )


# --- what waits for a head's decision -------------------------------------------------------------------


@dataclass
class Decisions:
    criteria: list[dict[str, Any]] = field(default_factory=list)
    routing_drafts: list[RoutingRuleSet] = field(default_factory=list)
    escalations: list[ClockRow] = field(default_factory=list)
    others: list[tuple[str, list[WaitingItem]]] = field(default_factory=list)  # from other apps' sources
    sign_off_roles: frozenset[str] = frozenset()
    can_route: bool = False

    @property
    def count(self) -> int:
        return (
            sum(1 for c in self.criteria if c["yours"])
            + len(self.routing_drafts)
            + len(self.escalations)
            + sum(len(items) for _, items in self.others)
        )


def decisions_for(user: User) -> Decisions:
    """Criteria drafts waiting for a sign-off (the ones waiting for *this* head marked), routing drafts
    the user may activate, and breached deadlines escalated up to them (every breach for the sales head
    and admins)."""
    roles = user_sign_off_roles(user)
    drafts = list(
        CriteriaSet.objects.filter(status=CriteriaStatus.DRAFT)
        .annotate(rules_count=Count("rules", distinct=True))
        .prefetch_related("sign_offs__user")
        .order_by("-version")[:SHOWN]
    )
    criteria = []
    for draft in drafts:
        signed = {s.role: s for s in draft.sign_offs.all()}
        mine = any(s.user_id == user.pk for s in signed.values())
        waiting_roles = [r for r in roles if r not in signed]
        criteria.append(
            {
                "set": draft,
                "signed": list(signed.values()),
                "yours": bool(waiting_roles) and not mine and draft.rules_count > 0,  # type: ignore[attr-defined]
                "rules": draft.rules_count,  # type: ignore[attr-defined]
            }
        )
    can_route = user.has_role(*ROUTING_EDITOR_ROLES) and user.has_role(
        Role.SALES_HEAD, Role.ADMIN, Role.SALES_MANAGER
    )
    routing = (
        list(RoutingRuleSet.objects.filter(status=RuleSetStatus.DRAFT).order_by("-version")[:SHOWN])
        if can_route
        else []
    )
    if user.role_set & ALL_RECORDS_ROLES and user.has_role(Role.SALES_HEAD, Role.ADMIN):
        owners = None
    else:
        ids = managed_user_ids(user)
        owners = Q(owner_id__in=ids)
    escalations = [r for r in _risky_clocks(user, owners) if r.status == ClockStatus.BREACHED]
    if not user.has_role(Role.SALES_HEAD, Role.SALES_MANAGER, Role.ADMIN):
        escalations = []  # the marketing head is not up any rep's chain
    return Decisions(
        criteria=criteria,
        routing_drafts=routing,
        escalations=escalations,
        others=waiting_for(user, limit=SHOWN),
        sign_off_roles=roles,
        can_route=can_route,
    )


# --- marketing's desk ---------------------------------------------------------------------------------


@dataclass
class Desk:
    latest: list[Lead]
    came_in_today: int
    came_in_today_capped: bool
    duplicates: int
    duplicates_capped: bool
    rejected: list[Event]  # each with ``.lead`` (None when out of the user's sight)


COUNT_CAP = 500  # counts stop here ("500+"): a count never walks a whole table


def _capped(queryset: Any) -> tuple[int, bool]:
    found = len(queryset.values_list("pk", flat=True)[: COUNT_CAP + 1])
    return min(found, COUNT_CAP), found > COUNT_CAP


def desk_for(user: User) -> Desk:
    """What came in (newest leads, today's count), the possible duplicates waiting, and the leads sales
    sent back lately, with their reasons."""
    start_of_day = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    leads = leads_visible_to(user)
    today, today_capped = _capped(leads.filter(created_at__gte=start_of_day))
    duplicates, duplicates_capped = _capped(duplicates_visible_to(user).filter(status="open"))
    rejected = list(
        Event.objects.filter(
            type="lead.rejected", subject_type="lead", occurred_at__gte=timezone.now() - timedelta(days=14)
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:SHOWN]
    )
    names = {lead.pk: lead for lead in leads.filter(pk__in=[e.subject_id for e in rejected])}
    for event in rejected:
        event.lead = names.get(event.subject_id)  # type: ignore[attr-defined]
    return Desk(
        latest=list(leads.select_related("source", "owner").order_by("-created_at", "-id")[:SHOWN]),
        came_in_today=today,
        came_in_today_capped=today_capped,
        duplicates=duplicates,
        duplicates_capped=duplicates_capped,
        rejected=rejected,
    )
