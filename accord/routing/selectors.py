"""Reads for routing: rule sets and their rules, queues, recent leads for dry runs, who may see what,
leads assigned per rep (for capacity), and the overlaps and gaps of a version over sample leads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from accord.core.models import Event
from accord.leads.models import Lead
from accord.people import access
from accord.people.models import User
from accord.routing.engine import RuleView, all_matches, routing_record, rule_view
from accord.routing.models import LeadRouting, Queue, RoutingRule, RoutingRuleSet, RuleSetStatus

# Who may change routing rules, activate a version and reassign leads.
EDIT_ROLES = access.ROUTING_EDITOR_ROLES
# Who may look at the routing pages and API (marketing's head reads only).
VIEW_ROLES = access.ROUTING_READER_ROLES
REASSIGN_ROLES = access.REASSIGN_ROLES  # the record-level rule is in accord.people.access
# The event every assignment records (routed, reassigned, re-routed); capacity counts these.
ASSIGNED = "lead.assigned"


def routing_can_view(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*VIEW_ROLES))


def routing_can_edit(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role(*EDIT_ROLES))


def _rules_prefetch() -> Prefetch:
    return Prefetch(
        "rules",
        queryset=RoutingRule.objects.select_related("target_user", "target_team", "target_queue").order_by(
            "position", "id"
        ),
    )


def rule_set_active() -> RoutingRuleSet | None:
    """The version routing uses now, with its rules loaded."""
    return (
        RoutingRuleSet.objects.filter(status=RuleSetStatus.ACTIVE).prefetch_related(_rules_prefetch()).first()
    )


def rule_sets_for_page() -> QuerySet[RoutingRuleSet]:
    """The active version and the drafts, newest first, with their rules."""
    return (
        RoutingRuleSet.objects.filter(status__in=[RuleSetStatus.ACTIVE, RuleSetStatus.DRAFT])
        .select_related("created_by", "activated_by")
        .prefetch_related(_rules_prefetch())
        .order_by("-version")
    )


def rule_sets_retired(limit: int = 20) -> QuerySet[RoutingRuleSet]:
    return RoutingRuleSet.objects.filter(status=RuleSetStatus.RETIRED).order_by("-version")[:limit]


def rule_set_get(version: int) -> RoutingRuleSet | None:
    return RoutingRuleSet.objects.filter(version=version).prefetch_related(_rules_prefetch()).first()


def rule_set_rules(rule_set: RoutingRuleSet) -> list[RoutingRule]:
    """The rules of a version in order (uses the prefetch when there is one)."""
    return sorted(rule_set.rules.all(), key=lambda r: (r.position, r.id))


def rule_set_views(rule_set: RoutingRuleSet) -> list[RuleView]:
    """The version's rules as the engine sees them, numbered 1, 2, ... in order."""
    return [
        rule_view(
            id=rule.pk, number=number, name=rule.name, conditions=rule.conditions, target=rule.target_label()
        )
        for number, rule in enumerate(rule_set_rules(rule_set), start=1)
    ]


def queues_with_counts() -> QuerySet[Queue]:
    """Every queue with how many leads wait in it (not yet taken by a rep)."""
    return Queue.objects.select_related("owner").annotate(
        waiting=Count("entries", filter=Q(entries__lead__owner__isnull=True))
    )


def leads_recent(limit: int = 100, *, user: User | None = None) -> list[Lead]:
    """The newest live leads with what routing reads loaded; with ``user``, only the leads they see."""
    leads = Lead.objects.live() if user is None else access.leads_visible_to(user)
    return list(
        leads.select_related("account__owner", "source", "owner").order_by("-created_at", "-id")[:limit]
    )


def lead_routing_of(lead: Lead) -> LeadRouting | None:
    return LeadRouting.objects.select_related("queue", "rule").filter(lead=lead).first()


# --- capacity ------------------------------------------------------------------------------------


def _day_bounds(day: date, zone: Any) -> tuple[datetime, datetime]:
    """Start of ``day`` and of its ISO week (Monday), as aware datetimes in ``zone``."""
    day_start = datetime.combine(day, datetime.min.time(), zone)
    return day_start, day_start - timedelta(days=day.weekday())


def assignment_counts(user_ids: Sequence[int], *, day: date, zone: Any) -> dict[int, tuple[int, int]]:
    """Leads assigned to each user on ``day`` and in its week, counted from 'lead.assigned' events."""
    if not user_ids:
        return {}
    day_start, week_start = _day_bounds(day, zone)
    rows = Event.objects.filter(
        type=ASSIGNED, occurred_at__gte=week_start, payload__owner_id__in=list(user_ids)
    ).values_list("payload__owner_id", "occurred_at")
    daily: Counter[int] = Counter()
    weekly: Counter[int] = Counter()
    for owner_id, occurred_at in rows:
        weekly[int(owner_id)] += 1
        if occurred_at >= day_start:
            daily[int(owner_id)] += 1
    return {uid: (daily[uid], weekly[uid]) for uid in user_ids}


# --- checking a version --------------------------------------------------------------------------


@dataclass
class Overlap:
    lead: Lead
    rules: list[RuleView]


@dataclass
class RuleSetCheck:
    """Which sample leads more than one rule matches (only the first counts) and which none does."""

    checked: int
    overlaps: list[Overlap]
    gaps: list[Lead]

    @property
    def ok(self) -> bool:
        return not self.overlaps and not self.gaps


def rule_set_check(rule_set: RoutingRuleSet, sample_leads: Iterable[Lead] | None = None) -> RuleSetCheck:
    """Overlaps and gaps of a version over sample leads (default: the newest 100). Writes nothing."""
    leads = list(sample_leads) if sample_leads is not None else leads_recent(100)
    views = rule_set_views(rule_set)
    overlaps: list[Overlap] = []
    gaps: list[Lead] = []
    for lead in leads:
        matched = all_matches(views, routing_record(lead))
        if not matched:
            gaps.append(lead)
        elif len(matched) > 1:
            overlaps.append(Overlap(lead, matched))
    return RuleSetCheck(len(leads), overlaps, gaps)


def routing_queue_prefetch() -> Prefetch:
    """A lead's routing decision with its queue, into ``lead.routing_entry`` (None when never routed):
    the lead API names the queue a lead waits in."""
    return Prefetch("routing", queryset=LeadRouting.objects.select_related("queue"), to_attr="routing_entry")
