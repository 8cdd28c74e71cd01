"""Routing writes: placing a lead with a rep, a team's round-robin or a queue; reassignment;
re-routing a departing rep's leads; editing and activating rule versions. Checking a version is a
read (``accord.routing.selectors.rule_set_check``); the dry run stays here because it drives the
same router as ``lead_route``, with its round-robin and capacity simulated in memory.

Order of a routing decision (``lead_route``):
1. account control (C3): the owner of the lead's account, when active, not away and under capacity;
2. the active version's rules in order; the first whose conditions all hold and whose target can
   take the lead wins (a rep who is away, inactive or at capacity, or a team with nobody available,
   passes the lead on to the next matching rule);
3. the fallback queue, whose owner is alerted. No lead is ever left unassigned silently.
"""

from __future__ import annotations

import logging
import time as _time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import OperationalError, transaction
from django.db.models import Max
from django.utils import timezone

from accord.audit.capture import audit_bulk_created
from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.hooks import Hook
from accord.core.models import Channel
from accord.core.notify import NotificationKind, notify
from accord.leads.models import Lead, Stage
from accord.people.access import access_lead_by_id
from accord.people.models import Absence, Role, Team, User
from accord.people.selectors import team_calendar, users_with_role
from accord.routing.engine import (
    RuleInvalid,
    RuleView,
    conditions_validate,
    routing_record,
    smooth_weighted_pick,
)
from accord.routing.models import (
    LeadRouting,
    Queue,
    RepCapacity,
    RoundRobinPointer,
    RoutingRule,
    RoutingRuleSet,
    RuleSetStatus,
    TargetKind,
)
from accord.routing.selectors import (
    ASSIGNED,
    EDIT_ROLES,
    REASSIGN_ROLES,
    assignment_counts,
    leads_recent,
    rule_set_active,
    rule_set_rules,
    rule_set_views,
)

logger = logging.getLogger(__name__)

# What follows every assignment (routed, reassigned, re-routed): the new owner's SLA clock starts.
# SLA is a sibling of routing, so routing does not import it: the conductor (accord.intake) fills
# this hook with ``sla_start_for_assignment`` in its AppConfig.ready().
lead_assigned: Hook[..., Any] = Hook("lead assigned: start the SLA clock")

QUEUE_ALERT = "routing.queue_alert"
ACTIVATED = "routing.activated"
FALLBACK_QUEUE_NAME = "Unassigned leads"
# Leads in these stages are finished business: a departing rep's leads here stay with the record.
CLOSED_STAGES = frozenset({Stage.CUSTOMER, Stage.LOYAL, Stage.ADVOCATE, Stage.DISQUALIFIED})


class Reason:
    ACCOUNT_OWNER = "account_owner"
    RULE_USER = "rule_user"
    RULE_TEAM = "rule_team"
    RULE_QUEUE = "rule_queue"
    FALLBACK = "fallback"
    REASSIGNED = "reassigned"


@dataclass
class RoutingResult:
    """Where one lead went and why. ``routed`` is False when it was already assigned (no change)."""

    lead: Lead
    routed: bool
    owner: User | None = None
    queue: Queue | None = None
    reason: str = ""
    explanation: str = ""
    rule_id: int | None = None
    rule_set_version: int | None = None
    skipped: list[str] = field(default_factory=list)


def _require(actor: User | None, roles: Iterable[str], doing: str) -> None:
    """Services called by people check the role; ``actor=None`` is the system itself."""
    if actor is None:
        return
    if not actor.has_role(*roles):
        raise AccessDenied(f"You may not {doing}: it needs one of the roles {', '.join(sorted(roles))}.")


class _Router:
    """One routing pass. With ``persist`` it locks and advances round-robin state; without (dry
    run) it simulates the same choices in memory and writes nothing."""

    def __init__(self, *, now: datetime, persist: bool):
        self.now = now
        self.persist = persist
        self._credits: dict[int, dict[str, int]] = {}  # team id -> simulated round-robin credit
        self._simulated: Counter[int] = Counter()  # dry run: picks per user so far

    # -- availability -----------------------------------------------------------------------------

    def _zone_and_day(self, team: Team | None) -> tuple[Any, date]:
        zone = team_calendar(team).zone
        return zone, self.now.astimezone(zone).date()

    def unavailable(self, users: Sequence[User], *, team: Team | None) -> dict[int, str]:
        """Why each user cannot take a lead now (users missing from the answer can)."""
        if not users:
            return {}
        zone, day = self._zone_and_day(team)
        ids = [u.pk for u in users]
        why: dict[int, str] = {}
        for user in users:
            if not user.is_active:
                why[user.pk] = "inactive"
        for user_id in Absence.objects.filter(user_id__in=ids, start__lte=day, end__gte=day).values_list(
            "user_id", flat=True
        ):
            why.setdefault(user_id, "away")
        capacities = {c.user_id: c for c in RepCapacity.objects.filter(user_id__in=ids)}
        limited = []
        for user_id, cap in capacities.items():
            if not cap.accepts_leads:
                why.setdefault(user_id, "not taking leads")
            elif cap.daily_limit is not None or cap.weekly_limit is not None:
                limited.append(user_id)
        counts = assignment_counts(limited, day=day, zone=zone)
        for user_id in limited:
            daily, weekly = counts[user_id]
            daily += self._simulated[user_id]
            weekly += self._simulated[user_id]
            cap = capacities[user_id]
            if cap.daily_limit is not None and daily >= cap.daily_limit:
                why.setdefault(user_id, f"at daily capacity ({cap.daily_limit})")
            elif cap.weekly_limit is not None and weekly >= cap.weekly_limit:
                why.setdefault(user_id, f"at weekly capacity ({cap.weekly_limit})")
        return why

    def user_unavailable(self, user: User) -> str | None:
        team = Team.objects.filter(pk=user.team_id).first() if user.team_id else None
        if self.persist and team is not None:
            # Assignments to a team's members are serialised on the team's pointer row, so two
            # concurrent routings cannot both take a rep's last free slot.
            self._pointer_locked(team)
        return self.unavailable([user], team=team).get(user.pk)

    # -- round-robin ------------------------------------------------------------------------------

    def _pointer_locked(self, team: Team) -> RoundRobinPointer:
        RoundRobinPointer.objects.get_or_create(team=team)
        return RoundRobinPointer.objects.select_for_update().get(team=team)

    def team_pick(self, team: Team, *, weighted: bool) -> tuple[User | None, str]:
        """The next available rep of the team by (weighted) round-robin, or None and why not."""
        pointer = self._pointer_locked(team) if self.persist else None
        members = list(
            User.objects.filter(team=team, is_active=True, roles__role=Role.SALES_REP)
            .distinct()
            .order_by("pk")
        )
        if not members:
            return None, f"team {team} has no active reps"
        why = self.unavailable(members, team=team)
        candidates = [m for m in members if m.pk not in why]
        if not candidates:
            detail = ", ".join(f"{m} {why[m.pk]}" for m in members)
            return None, f"nobody in team {team} is available ({detail})"
        weights = {m.pk: 1 for m in candidates}
        if weighted:
            for user_id, weight in RepCapacity.objects.filter(user_id__in=weights).values_list(
                "user_id", "weight"
            ):
                weights[user_id] = max(int(weight), 1)
        if pointer is not None:
            credits = dict(pointer.credits or {})
        else:
            if team.pk not in self._credits:
                stored = RoundRobinPointer.objects.filter(team=team).values_list("credits", flat=True).first()
                self._credits[team.pk] = dict(stored or {})
            credits = self._credits[team.pk]
        chosen_id = smooth_weighted_pick(weights, credits)
        chosen = next(m for m in candidates if m.pk == chosen_id)
        if pointer is not None:
            pointer.credits = credits
            pointer.counter += 1
            pointer.last_user = chosen
            pointer.save(update_fields=["credits", "counter", "last_user", "updated_at"])
        else:
            self._credits[team.pk] = credits
        return chosen, ""

    # -- the decision -----------------------------------------------------------------------------

    def decide(self, lead: Lead, rule_set: RoutingRuleSet | None, views: Sequence[RuleView]) -> RoutingResult:
        result = RoutingResult(lead=lead, routed=True)
        skipped = result.skipped
        account = lead.account
        if account is not None and account.owner_id is not None:
            owner = account.owner
            why = self.user_unavailable(owner)
            if why is None:
                return self._to_user(
                    result, owner, Reason.ACCOUNT_OWNER, f"account owner {owner} owns {account}"
                )
            skipped.append(f"account owner {owner} of {account} is {why}")
        if rule_set is None:
            skipped.append("no routing rules are active")
        else:
            rules = {r.pk: r for r in rule_set_rules(rule_set)}
            record = routing_record(lead)
            for view in views:
                if not view.matches(record):
                    continue
                rule = rules[view.id]
                result.rule_id, result.rule_set_version = rule.pk, rule_set.version
                if rule.target_kind == TargetKind.USER:
                    if rule.target_user is None:
                        skipped.append(f"{view.explain()}: the rep was removed")
                        continue
                    why = self.user_unavailable(rule.target_user)
                    if why is None:
                        return self._to_user(result, rule.target_user, Reason.RULE_USER, view.explain())
                    skipped.append(f"{view.explain()}: {rule.target_user} is {why}")
                elif rule.target_kind == TargetKind.TEAM:
                    if rule.target_team is None:
                        skipped.append(f"{view.explain()}: the team was removed")
                        continue
                    rep, why_not = self.team_pick(rule.target_team, weighted=rule.weighted)
                    if rep is not None:
                        how = "weighted round-robin" if rule.weighted else "round-robin"
                        return self._to_user(
                            result, rep, Reason.RULE_TEAM, f"{view.explain()}, {how} → {rep}"
                        )
                    skipped.append(f"{view.explain()}: {why_not}")
                else:
                    if rule.target_queue is None:
                        skipped.append(f"{view.explain()}: the queue was removed")
                        continue
                    result.queue, result.reason, result.explanation = (
                        rule.target_queue,
                        Reason.RULE_QUEUE,
                        view.explain(),
                    )
                    return result
            if not any(s.startswith("rule ") for s in skipped):
                skipped.append("no rule matched")
            result.rule_id = result.rule_set_version = None
        queue = queue_fallback(create=self.persist)
        result.queue, result.reason = queue, Reason.FALLBACK
        result.explanation = "; ".join(skipped) + f" → fallback queue {queue}"
        return result

    def _to_user(self, result: RoutingResult, user: User, reason: str, explanation: str) -> RoutingResult:
        result.owner, result.reason, result.explanation = user, reason, explanation
        if result.skipped:
            result.explanation += " (passed over: " + "; ".join(result.skipped) + ")"
        if not self.persist:
            self._simulated[user.pk] += 1
        return result


def queue_fallback(*, create: bool = True) -> Queue:
    """The fallback queue; made ("Unassigned leads", owned by a sales head or admin) when missing."""
    queue = Queue.objects.select_related("owner").filter(is_fallback=True).first()
    if queue is not None:
        return queue
    if not create:
        return Queue(name=FALLBACK_QUEUE_NAME, is_fallback=True)
    owner = users_with_role(Role.SALES_HEAD).first() or users_with_role(Role.ADMIN).first()
    queue, _ = Queue.objects.get_or_create(
        is_fallback=True, defaults={"name": FALLBACK_QUEUE_NAME, "owner": owner}
    )
    return queue


def _queue_alert_recipient(queue: Queue) -> User | None:
    if queue.owner is not None and queue.owner.is_active:
        return queue.owner
    return users_with_role(Role.SALES_HEAD).first() or users_with_role(Role.ADMIN).first()


# --- routing -------------------------------------------------------------------------------------


def _user_ref(user: User | None) -> dict[str, Any]:
    return {"id": user.pk, "name": str(user)} if user is not None else {}


def lead_route(
    *, lead: Lead, actor: User | None = None, channel: str = Channel.TASK, force: bool = False, note: str = ""
) -> RoutingResult:
    """Give a lead an owner (or a queue) by account control, the active rules, or the fallback queue.

    A lead that already has an owner or waits in a queue is left alone unless ``force``. Concurrent
    calls are safe: the lead row and each team's round-robin row are locked while deciding.
    """
    connection = transaction.get_connection()
    attempts = 1 if connection.in_atomic_block else 3
    for attempt in range(1, attempts + 1):
        try:
            return _lead_route_once(lead=lead, actor=actor, channel=channel, force=force, note=note)
        except OperationalError as exc:
            # Two routings may lock two teams' pointers in opposite orders (account owner in one team,
            # rule to another): PostgreSQL aborts one of them; running it again is safe.
            if attempt == attempts or "deadlock" not in str(exc).lower():
                raise
            logger.warning("routing lead %s hit a deadlock; retrying", lead.pk)
            _time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _lead_route_once(
    *, lead: Lead, actor: User | None, channel: str, force: bool, note: str
) -> RoutingResult:
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Lead.objects.select_for_update(of=("self",))
            .select_related("account__owner", "source", "owner")
            .get(pk=lead.pk)
        )
        current = LeadRouting.objects.filter(lead=locked).first()
        if not force and (
            locked.owner_id is not None or (current is not None and current.queue_id is not None)
        ):
            return RoutingResult(
                lead=locked, routed=False, owner=locked.owner, explanation="already assigned: left as it is"
            )
        rule_set = rule_set_active()
        views = rule_set_views(rule_set) if rule_set is not None else []
        result = _Router(now=now, persist=True).decide(locked, rule_set, views)
        previous = locked.owner
        locked.owner = result.owner
        locked.save(update_fields=["owner", "updated_at"])
        LeadRouting.objects.update_or_create(
            lead=locked,
            defaults={
                "queue": result.queue,
                "rule_id": result.rule_id,
                "rule_set_version": result.rule_set_version,
                "reason": result.reason,
                "explanation": result.explanation,
                "routed_at": now,
            },
        )
        _assignment_event(locked, result, previous=previous, actor=actor, channel=channel, now=now, note=note)
    lead.owner = locked.owner
    result.lead = locked
    return result


def _assignment_event(
    lead: Lead,
    result: RoutingResult,
    *,
    previous: User | None,
    actor: User | None,
    channel: str,
    now: datetime,
    note: str = "",
) -> None:
    event_record(
        type=ASSIGNED,
        subject=lead,
        channel=channel,
        actor=actor,
        occurred_at=now,
        payload={
            "owner_id": result.owner.pk if result.owner else None,
            "owner": str(result.owner) if result.owner else "",
            "queue_id": result.queue.pk if result.queue else None,
            "queue": str(result.queue) if result.queue else "",
            "reason": result.reason,
            "rule_id": result.rule_id,
            "rule_set_version": result.rule_set_version,
            "explanation": result.explanation,
            "previous_owner_id": previous.pk if previous else None,
            "previous_owner": str(previous) if previous else "",
            "note": note,
        },
    )
    if result.queue is not None:
        recipient = _queue_alert_recipient(result.queue)
        event_record(
            type=QUEUE_ALERT,
            subject=lead,
            channel=channel,
            actor=actor,
            occurred_at=now,
            payload={
                "queue_id": result.queue.pk,
                "queue": str(result.queue),
                "fallback": result.queue.is_fallback,
                "recipient_id": recipient.pk if recipient else None,
                "recipient": str(recipient) if recipient else "",
                "explanation": result.explanation,
            },
        )
    _assignment_follow_up(lead, result, now=now)


def _assignment_follow_up(lead: Lead, result: RoutingResult, *, now: datetime) -> None:
    """Start the new owner's SLA clock (the ``lead_assigned`` hook) and tell whoever must act now:
    the owner, or the queue's owner."""

    lead_assigned(lead=lead, assigned_at=now)
    url = f"/leads/{lead.pk}/"
    if result.owner is not None:
        notify(
            user=result.owner,
            kind=NotificationKind.LEAD_ASSIGNED,
            subject=f"New lead: {lead}",
            body=result.explanation,
            url=url,
            lead=lead,
        )
    elif result.queue is not None:
        recipient = _queue_alert_recipient(result.queue)
        if recipient is not None:
            notify(
                user=recipient,
                kind=NotificationKind.QUEUE_ALERT,
                subject=f"Lead waiting in {result.queue}: {lead}",
                body=result.explanation,
                url=url,
                lead=lead,
            )


@transaction.atomic
def lead_reassign(
    *, lead: Lead, to_user: User, reason: str, actor: User, channel: str = Channel.PAGE
) -> RoutingResult:
    """Hand a lead to another rep by hand; the reason goes on the record."""
    _require(actor, REASSIGN_ROLES, "reassign leads")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give a reason for the reassignment.", detail={"reason": "is required"})
    if not to_user.is_active:
        raise ApplicationError(f"{to_user} is inactive and cannot take leads.", detail={"to": "is inactive"})
    now = timezone.now()
    if actor is None:
        locked = Lead.objects.select_for_update(of=("self",)).select_related("owner").get(pk=lead.pk)
    else:  # "may act", not "may see": a manager reassigns only the leads of the people they manage
        locked = access_lead_by_id(actor, lead.pk, action="reassign", lock=True)
    previous = locked.owner
    if previous is not None and previous.pk == to_user.pk:
        raise Conflict(f"The lead is already owned by {to_user}.", detail={"to": "is the current owner"})
    locked.owner = to_user
    locked.save(update_fields=["owner", "updated_at"])
    by = f" by {actor}" if actor is not None else ""
    result = RoutingResult(
        lead=locked,
        routed=True,
        owner=to_user,
        reason=Reason.REASSIGNED,
        explanation=f"reassigned{by} from {previous or 'nobody'} to {to_user}: {reason}",
    )
    LeadRouting.objects.update_or_create(
        lead=locked,
        defaults={
            "queue": None,
            "rule": None,
            "rule_set_version": None,
            "reason": Reason.REASSIGNED,
            "explanation": result.explanation,
            "routed_at": now,
        },
    )
    _assignment_event(locked, result, previous=previous, actor=actor, channel=channel, now=now, note=reason)
    lead.owner = to_user
    return result


@transaction.atomic
def user_deactivate_reroute(
    *, user: User, actor: User | None = None, channel: str = Channel.SYSTEM
) -> list[RoutingResult]:
    """Deactivate a rep (when still active) and route each of their open leads again, so none is
    orphaned. Call it before deleting a user too: deletion would otherwise leave leads ownerless."""
    _require(actor, EDIT_ROLES, "deactivate reps")
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    leads = Lead.objects.live().filter(owner=user).exclude(stage__in=CLOSED_STAGES).order_by("pk")
    return [
        lead_route(lead=lead, actor=actor, channel=channel, force=True, note=f"{user} was deactivated")
        for lead in leads
    ]


# --- rule versions -------------------------------------------------------------------------------


def _rule_fields_clean(
    *,
    name: str,
    conditions: Any,
    target_kind: str,
    target_user: User | None,
    target_team: Team | None,
    target_queue: Queue | None,
) -> tuple[str, list[dict[str, Any]]]:
    name = (name or "").strip()
    if not name:
        raise ApplicationError("A rule needs a name.", detail={"name": "is required"})
    try:
        cleaned = conditions_validate(conditions)
    except RuleInvalid as exc:
        raise ApplicationError(
            f"The rule '{name}' has a bad condition: {exc.message}.", detail={"conditions": exc.message}
        ) from None
    needed = {TargetKind.USER: target_user, TargetKind.TEAM: target_team, TargetKind.QUEUE: target_queue}
    if target_kind not in needed:
        raise ApplicationError(
            "Send the lead to a rep, a team or a queue.", detail={"target_kind": "is invalid"}
        )
    if needed[target_kind] is None:
        raise ApplicationError(
            f"Choose the {TargetKind(target_kind).label.lower()} this rule sends leads to.",
            detail={f"target_{target_kind}": "is required"},
        )
    return name, cleaned


def _draft_only(rule_set: RoutingRuleSet) -> None:
    if rule_set.status != RuleSetStatus.DRAFT:
        raise Conflict(
            f"Version {rule_set.version} is {rule_set.status}: only drafts can be edited. "
            "Make a new draft from it instead.",
            detail={"rule_set": "is not a draft"},
        )


@transaction.atomic
def rule_set_create(
    *, actor: User, notes: str = "", copy_from: RoutingRuleSet | None = None
) -> RoutingRuleSet:
    """A new draft version, starting from a copy of ``copy_from`` (default: the active version)."""
    _require(actor, EDIT_ROLES, "edit routing rules")
    source = copy_from or rule_set_active()
    version = (RoutingRuleSet.objects.aggregate(top=Max("version"))["top"] or 0) + 1
    draft = RoutingRuleSet(
        version=version,
        status=RuleSetStatus.DRAFT,
        notes=notes.strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    draft.full_clean()
    draft.save()
    if source is not None:
        copied = RoutingRule.objects.bulk_create(
            RoutingRule(
                rule_set=draft,
                position=rule.position,
                name=rule.name,
                conditions=rule.conditions,
                target_kind=rule.target_kind,
                target_user_id=rule.target_user_id,
                target_team_id=rule.target_team_id,
                target_queue_id=rule.target_queue_id,
                weighted=rule.weighted,
            )
            for rule in rule_set_rules(source)
        )
        audit_bulk_created(copied)  # bulk_create sends no signals: configuration changes are audited
    return draft


@transaction.atomic
def rule_add(
    *,
    rule_set: RoutingRuleSet,
    actor: User,
    name: str,
    conditions: Any,
    target_kind: str,
    target_user: User | None = None,
    target_team: Team | None = None,
    target_queue: Queue | None = None,
    weighted: bool = False,
    position: int | None = None,
) -> RoutingRule:
    """Add a rule to a draft, at the end unless ``position`` (1-based) says where."""
    _require(actor, EDIT_ROLES, "edit routing rules")
    _draft_only(rule_set)
    name, cleaned = _rule_fields_clean(
        name=name,
        conditions=conditions,
        target_kind=target_kind,
        target_user=target_user,
        target_team=target_team,
        target_queue=target_queue,
    )
    rules = list(rule_set.rules.order_by("position", "id"))
    rule = RoutingRule(
        rule_set=rule_set,
        name=name,
        conditions=cleaned,
        target_kind=target_kind,
        target_user=target_user if target_kind == TargetKind.USER else None,
        target_team=target_team if target_kind == TargetKind.TEAM else None,
        target_queue=target_queue if target_kind == TargetKind.QUEUE else None,
        weighted=bool(weighted) and target_kind == TargetKind.TEAM,
    )
    index = len(rules) if position is None else min(max(position - 1, 0), len(rules))
    rules.insert(index, rule)
    rule.position = index + 1
    rule.save()
    _renumber(rules)
    return rule


def _renumber(rules: Sequence[RoutingRule]) -> None:
    for number, rule in enumerate(rules, start=1):
        if rule.position != number:
            rule.position = number
            rule.save(update_fields=["position", "updated_at"])


@transaction.atomic
def rule_remove(*, rule: RoutingRule, actor: User) -> None:
    """Take a rule out of a draft."""
    _require(actor, EDIT_ROLES, "edit routing rules")
    rule_set = rule.rule_set
    _draft_only(rule_set)
    rule.delete()
    _renumber(list(rule_set.rules.order_by("position", "id")))


@transaction.atomic
def rule_move(*, rule: RoutingRule, actor: User, offset: int) -> None:
    """Move a rule of a draft up (negative ``offset``) or down the order."""
    _require(actor, EDIT_ROLES, "edit routing rules")
    _draft_only(rule.rule_set)
    rules = list(rule.rule_set.rules.order_by("position", "id"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    target = min(max(index + offset, 0), len(rules) - 1)
    rules.insert(target, rules.pop(index))
    _renumber(rules)


@transaction.atomic
def rule_set_update(
    *,
    rule_set: RoutingRuleSet,
    actor: User,
    notes: str | None = None,
    rules: Sequence[dict[str, Any]] | None = None,
) -> RoutingRuleSet:
    """Change a draft's notes and, when ``rules`` is given, replace its rules with them in order.

    Each rule is a dict with name, conditions, target_kind, target_user / target_team / target_queue
    (objects) and weighted.
    """
    _require(actor, EDIT_ROLES, "edit routing rules")
    _draft_only(rule_set)
    if notes is not None:
        rule_set.notes = notes.strip()
        rule_set.save(update_fields=["notes", "updated_at"])
    if rules is not None:
        rule_set.rules.all().delete()
        for spec in rules:
            rule_add(
                rule_set=rule_set,
                actor=actor,
                name=spec.get("name", ""),
                conditions=spec.get("conditions"),
                target_kind=spec.get("target_kind", ""),
                target_user=spec.get("target_user"),
                target_team=spec.get("target_team"),
                target_queue=spec.get("target_queue"),
                weighted=bool(spec.get("weighted")),
            )
    return rule_set


@transaction.atomic
def rule_set_activate(*, rule_set: RoutingRuleSet, actor: User) -> RoutingRuleSet:
    """Make a version the one routing uses; the previously active one is retired."""
    _require(actor, EDIT_ROLES, "activate routing rules")
    locked = RoutingRuleSet.objects.select_for_update().get(pk=rule_set.pk)
    if locked.status == RuleSetStatus.ACTIVE:
        raise Conflict(f"Version {locked.version} is already active.", detail={"rule_set": "is active"})
    for rule in rule_set_rules(locked):
        if rule.target_label().endswith("(removed)"):
            raise ApplicationError(
                f"Rule '{rule.name}' sends leads to a {rule.target_kind} that no longer exists.",
                detail={"rules": rule.name},
            )
    previous = RoutingRuleSet.objects.select_for_update().filter(status=RuleSetStatus.ACTIVE).first()
    if previous is not None:
        previous.status = RuleSetStatus.RETIRED
        previous.save(update_fields=["status", "updated_at"])
    now = timezone.now()
    locked.status, locked.activated_at = RuleSetStatus.ACTIVE, now
    locked.activated_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["status", "activated_at", "activated_by", "updated_at"])
    event_record(
        type=ACTIVATED,
        subject=locked,
        actor=actor,
        channel=Channel.PAGE,
        occurred_at=now,
        payload={
            "version": locked.version,
            "previous_version": previous.version if previous else None,
            "rules": locked.rules.count(),
        },
    )
    return locked


# --- dry runs ------------------------------------------------------------------------------------


@dataclass
class DryRunRow:
    lead: Lead
    current_owner: User | None
    owner: User | None
    queue_name: str
    reason: str
    explanation: str
    rule_number: int | None


def routing_dry_run(
    rule_set: RoutingRuleSet, limit: int = 100, *, user: User | None = None
) -> list[DryRunRow]:
    """Where the newest ``limit`` leads would go under ``rule_set``, oldest first as they would have
    arrived. Round-robin and capacity are simulated in memory; nothing is written. With ``user``, only
    the leads that user sees are tried (a manager does not see other teams' leads here either)."""
    views = rule_set_views(rule_set)
    numbers = {v.id: v.number for v in views}
    router = _Router(now=timezone.now(), persist=False)
    rows = []
    for lead in reversed(leads_recent(limit, user=user)):
        result = router.decide(lead, rule_set, views)
        rows.append(
            DryRunRow(
                lead,
                lead.owner,
                result.owner,
                result.queue.name if result.queue else "",
                result.reason,
                result.explanation,
                numbers.get(result.rule_id or 0),
            )
        )
    return rows
