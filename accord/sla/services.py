"""Writes for SLA: start clocks on assignment, accept, reject, log touches, and the deadline actions
(remind, breach, escalate, recycle) that the tasks in tasks.py run at their due time.

Rejection sends a lead back to marketing: 'not ready' to nurture, every other reason to
disqualified (a marketing stage, so marketing sees and can re-qualify it; Stage has no separate
'recycled' value and the reason code on the 'lead.rejected' event tells the cases apart). The
owner is cleared either way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accord.core.errors import ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.models import Channel
from accord.core.notify import NotificationKind, notify
from accord.leads.models import Lead, Stage
from accord.leads.services import lead_stage_set
from accord.people.access import access_lead_by_id, leads_visible_to
from accord.people.models import Absence, Role, User
from accord.sla.matching import PolicyMatch, policy_match
from accord.sla.models import (
    ClockKind,
    Note,
    NurtureSource,
    RejectionReason,
    SlaClock,
    SlaPolicy,
    Touch,
    TouchKind,
    TouchOutcome,
)
from accord.sla.nurture import nurture_enter
from accord.sla.one_click import one_click_lines
from accord.sla.selectors import calendar_for_owner, escalation_chain
from accord.sla.touch_answers import TouchAnswer, touch_answers_record

# Stages in which sales has taken the lead on: clocks there are about touching it, not accepting it.
ACCEPTED_STAGES = frozenset(
    {Stage.SAL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.LOYAL, Stage.ADVOCATE}
)
# Past SAL the lead is a deal in progress: it is closed won or lost, not rejected.
REJECTABLE_STAGES = frozenset({Stage.TARGET, Stage.INQUIRY, Stage.MQL, Stage.SAL, Stage.NURTURE})


# --- policies --------------------------------------------------------------------------------------


def sla_policy_default() -> SlaPolicy:
    """The default policy, made with the model's defaults the first time one is needed."""
    policy = SlaPolicy.objects.filter(is_default=True).first()
    if policy is None:
        policy, _ = SlaPolicy.objects.get_or_create(name="Standard", defaults={"is_default": True})
    return policy


def sla_policy_for(*, lead: Lead) -> PolicyMatch:
    """The policy that applies to ``lead`` and why (see matching.py)."""
    found = policy_match(SlaPolicy.objects.filter(is_active=True), lead)
    if found.policy is None:
        default = sla_policy_default()
        return PolicyMatch(default, f"policy '{default.name}': default")
    return found


# --- clocks ----------------------------------------------------------------------------------------


def _lead_url(lead: Lead) -> str:
    return reverse("leads:detail", args=[lead.pk])


def _clock_schedule(clock: SlaClock) -> None:
    """Enqueue the clock's reminder and deadline tasks once the transaction that started it commits."""
    from accord.sla import tasks

    if clock.remind_at is not None:
        transaction.on_commit(
            partial(tasks.enqueue_at, tasks.sla_clock_remind_task, clock.remind_at, clock_id=clock.pk)
        )
    transaction.on_commit(
        partial(tasks.enqueue_at, tasks.sla_clock_breach_task, clock.due_at, clock_id=clock.pk)
    )


def _clock_start(
    *,
    lead: Lead,
    kind: str,
    owner: User,
    started_at: datetime,
    policy_found: PolicyMatch,
    channel: str = Channel.SYSTEM,
    actor: User | None = None,
) -> SlaClock:
    policy = policy_found.policy
    assert policy is not None
    due_at = calendar_for_owner(owner).add_business_hours(started_at, policy.window_hours(kind))
    remind_at = None
    if policy.reminder_before_minutes:
        remind_at = due_at - timedelta(minutes=policy.reminder_before_minutes)
        if remind_at <= started_at:
            remind_at = None  # a window shorter than the reminder: the deadline itself is the reminder
    clock = SlaClock(
        lead=lead,
        kind=kind,
        policy=policy,
        owner=owner,
        started_at=started_at,
        due_at=due_at,
        remind_at=remind_at,
    )
    clock.full_clean()
    clock.save()
    event_record(
        type="sla.clock_started",
        subject=lead,
        actor=actor,
        channel=channel,
        occurred_at=started_at,
        payload={
            "clock": clock.pk,
            "kind": kind,
            "owner": owner.pk,
            "policy": policy.pk,
            "why": policy_found.reason,
            "due_at": due_at.isoformat(),
        },
    )
    _clock_schedule(clock)
    return clock


def _clock_event(
    type_: str,
    clock: SlaClock,
    *,
    at: datetime,
    actor: User | None = None,
    channel: str = Channel.TASK,
    **extra: Any,
) -> None:
    """An event about one clock: which clock, its kind and owner, plus what happened."""
    event_record(
        type=type_,
        subject=clock.lead,
        actor=actor,
        channel=channel,
        occurred_at=at,
        payload={"clock": clock.pk, "kind": clock.kind, "owner": clock.owner_id, **extra},
    )


def _clock_meet(*, clock: SlaClock, at: datetime, actor: User, channel: str) -> None:
    clock.met_at = at
    clock.save(update_fields=["met_at", "updated_at"])
    hours = calendar_for_owner(clock.owner).business_hours_between(clock.started_at, at)
    _clock_event(
        "sla.clock_met",
        clock,
        at=at,
        actor=actor,
        channel=channel,
        on_time=at <= clock.due_at,
        business_hours=round(hours, 3),
    )


def _clocks_stop(
    *, lead: Lead, reason: str, at: datetime, actor: User | None = None, channel: str = Channel.SYSTEM
) -> list[int]:
    stopped = list(lead.sla_clocks.open().values_list("pk", flat=True))
    if stopped:
        SlaClock.objects.filter(pk__in=stopped).update(stopped_at=at, stop_reason=reason, updated_at=at)
        event_record(
            type="sla.clocks_stopped",
            subject=lead,
            actor=actor,
            channel=channel,
            occurred_at=at,
            payload={"clocks": stopped, "reason": reason},
        )
    return stopped


@transaction.atomic
def sla_start_for_assignment(*, lead: Lead, assigned_at: datetime) -> SlaClock | None:
    """Start the clock for a lead just assigned to its owner. Every assignment routing makes ends here,
    through routing's ``lead_assigned`` hook (filled by accord.intake).

    An unaccepted lead gets an accept clock; one sales already accepted (reassigned or recycled) gets
    a first-touch clock. Clocks of a previous owner stop. A lead with no owner (a queue) gets none.
    Calling it again for the same assignment returns the clock already running.
    """
    if assigned_at.tzinfo is None:
        raise ApplicationError("assigned_at must be an aware datetime.", detail={"assigned_at": "naive"})
    lead = Lead.objects.select_for_update(of=("self",)).select_related("owner__team").get(pk=lead.pk)
    if lead.owner is None:
        return None
    kind = ClockKind.FIRST_TOUCH if lead.stage in ACCEPTED_STAGES else ClockKind.ACCEPT
    running = lead.sla_clocks.open().filter(kind=kind).first()
    if running is not None and running.owner_id == lead.owner_id and running.started_at == assigned_at:
        return running
    _clocks_stop(lead=lead, reason="reassigned", at=assigned_at)
    return _clock_start(
        lead=lead, kind=kind, owner=lead.owner, started_at=assigned_at, policy_found=sla_policy_for(lead=lead)
    )


def _lead_for_action(*, lead: Lead, user: User) -> Lead:
    """The lead, locked, if ``user`` may act on it (accord.people.access); 404 or 403 otherwise."""
    locked: Lead = access_lead_by_id(user, lead.pk, action="act", lock=True)
    if locked.owner is None:
        raise Conflict("This lead has no owner; it must be assigned first.")
    return locked


@transaction.atomic
def lead_accept(*, lead: Lead, user: User, channel: str = Channel.PAGE) -> Lead:
    """Sales accepts the lead: MQL → SAL, the accept clock is met and the first-touch clock starts."""
    lead = _lead_for_action(lead=lead, user=user)
    if lead.stage in ACCEPTED_STAGES:
        raise Conflict("This lead was already accepted.", detail={"stage": lead.stage})
    if lead.stage == Stage.DISQUALIFIED:
        raise Conflict(
            "This lead is disqualified; marketing must re-qualify it first.", detail={"stage": lead.stage}
        )
    now = timezone.now()
    accept_clock = lead.sla_clocks.open().filter(kind=ClockKind.ACCEPT).select_related("owner").first()
    if accept_clock is not None:
        _clock_meet(clock=accept_clock, at=now, actor=user, channel=channel)
    lead = lead_stage_set(lead=lead, stage=Stage.SAL, actor=user, reason="accepted by sales", channel=channel)
    event_record(
        type="lead.accepted",
        subject=lead,
        actor=user,
        channel=channel,
        occurred_at=now,
        payload={
            "owner": lead.owner_id,
            "clock": accept_clock.pk if accept_clock else None,
            "on_time": (now <= accept_clock.due_at) if accept_clock else None,
        },
    )
    _owner_clock_start(
        lead=lead,
        kind=ClockKind.FIRST_TOUCH,
        policy=accept_clock.policy if accept_clock else None,
        why="as for acceptance",
        started_at=now,
        channel=channel,
        actor=user,
    )
    return lead


def _owner_clock_start(
    *, lead: Lead, kind: str, policy: SlaPolicy | None, why: str, started_at: Any, channel: str, actor: User
) -> None:
    """Start the owner's next clock under ``policy`` (the one the previous clock ran on), or the
    policy that matches the lead now."""
    found = PolicyMatch(policy, f"policy '{policy.name}': {why}") if policy else sla_policy_for(lead=lead)
    owner = User.objects.select_related("team").get(pk=lead.owner_id)
    _clock_start(
        lead=lead,
        kind=kind,
        owner=owner,
        started_at=started_at,
        policy_found=found,
        channel=channel,
        actor=actor,
    )


@transaction.atomic
def lead_reject(*, lead: Lead, user: User, reason: str, note: str = "", channel: str = Channel.PAGE) -> Lead:
    """Sales sends the lead back to marketing with a reason; see the module docstring for where it goes."""
    note = (note or "").strip()
    if reason not in RejectionReason.values:
        raise ApplicationError(
            "A rejection needs a reason.",
            detail={"reason": f"use one of {', '.join(RejectionReason.values)}"},
        )
    if reason == RejectionReason.OTHER and not note:
        raise ApplicationError(
            "Say why in a note when the reason is 'other'.",
            detail={"note": "is required when the reason is 'other'"},
        )
    lead = _lead_for_action(lead=lead, user=user)
    if lead.stage not in REJECTABLE_STAGES:
        raise Conflict(
            f"A lead in stage {lead.get_stage_display()} is closed won or lost, not rejected.",
            detail={"stage": lead.stage},
        )
    now = timezone.now()
    accept_clock = lead.sla_clocks.open().filter(kind=ClockKind.ACCEPT).select_related("owner").first()
    if accept_clock is not None:
        # Rejecting is answering within the accept window just as accepting is.
        _clock_meet(clock=accept_clock, at=now, actor=user, channel=channel)
    _clocks_stop(lead=lead, reason="rejected", at=now, actor=user, channel=channel)
    previous_owner = lead.owner
    lead.owner = None
    lead.save(update_fields=["owner", "updated_at"])
    target = Stage.NURTURE if reason == RejectionReason.NOT_READY else Stage.DISQUALIFIED
    label = str(RejectionReason(reason).label)  # the timeline shows these words, never the code
    lead = lead_stage_set(
        lead=lead, stage=target, actor=user, reason=f"rejected by sales: {label}", channel=channel
    )
    event_record(
        type="lead.rejected",
        subject=lead,
        actor=user,
        channel=channel,
        occurred_at=now,
        payload={
            "reason": reason,
            "reason_label": label,
            "note": note,
            "previous_owner": previous_owner.pk,
            "to_stage": target,
            "source": lead.source_id,
            "lead_source": lead.lead_source,
            "campaign": lead.utm_campaign,
            "criteria_version": lead.criteria_version_id,
            "score": lead.score,
        },
    )
    if target == Stage.NURTURE:
        nurture_enter(
            lead=lead,
            reason=f"rejected by sales as not ready{': ' + note if note else ''}",
            source=NurtureSource.REJECTION,
            actor=user,
            channel=channel,
        )
    return lead


@transaction.atomic
def touch_log(
    *,
    lead: Lead,
    user: User,
    kind: str,
    outcome: str = "",
    note: str = "",
    channel: str = Channel.PAGE,
    occurred_at: datetime | None = None,
    answers: Sequence[TouchAnswer] = (),
) -> Touch:
    """Record a call, email, meeting or note. It meets the first- or next-touch clock and starts the next.

    A touch on a lead still awaiting acceptance accepts it first: reaching out is working the lead.
    ``answers`` (one-click answers to research questions) go to the app that takes them, in this
    transaction: a refused answer logs no touch.
    """
    if kind not in TouchKind.values:
        raise ApplicationError(
            f"Unknown touch kind {kind!r}.", detail={"kind": f"use one of {', '.join(TouchKind.values)}"}
        )
    if outcome not in TouchOutcome.values:
        raise ApplicationError(
            f"Unknown outcome {outcome!r}.",
            detail={"outcome": f"use one of {', '.join(v for v in TouchOutcome.values if v)}"},
        )
    now = timezone.now()
    at = occurred_at or now
    if at > now + timedelta(minutes=5):
        raise ApplicationError("A touch cannot be in the future.", detail={"occurred_at": "is in the future"})
    lead = _lead_for_action(lead=lead, user=user)
    if lead.sla_clocks.open().filter(kind=ClockKind.ACCEPT).exists():
        lead = lead_accept(lead=lead, user=user, channel=channel)
    touch = Touch(
        lead=lead,
        user=user,
        kind=kind,
        outcome=outcome,
        note=(note or "").strip(),
        occurred_at=at,
        channel=channel,
    )
    touch.full_clean()
    touch.save()
    touch_answers_record(touch=touch, user=user, answers=answers)
    met: list[int] = []
    policy: SlaPolicy | None = None
    for clock in (
        lead.sla_clocks.open()
        .filter(kind__in=[ClockKind.FIRST_TOUCH, ClockKind.NEXT_TOUCH])
        .select_related("owner", "policy")
    ):
        _clock_meet(clock=clock, at=at, actor=user, channel=channel)
        met.append(clock.pk)
        policy = clock.policy
    event_record(
        type="lead.touched",
        subject=lead,
        actor=user,
        channel=channel,
        occurred_at=at,
        payload={"touch": touch.pk, "kind": kind, "outcome": outcome, "clocks_met": met},
    )
    lead.refresh_from_db(fields=["stage", "owner"])
    if lead.stage in ACCEPTED_STAGES and lead.owner_id:
        _owner_clock_start(
            lead=lead,
            kind=ClockKind.NEXT_TOUCH,
            policy=policy,
            why="as for the last touch",
            started_at=at,
            channel=channel,
            actor=user,
        )
    return touch


# --- deadlines (run by tasks at their due time; each re-checks the clock and is idempotent) ----------


def _locked_clock(clock_id: int) -> SlaClock | None:
    return (
        SlaClock.objects.select_for_update(of=("self",))
        .select_related("lead", "owner__team__manager", "policy")
        .filter(pk=clock_id)
        .first()
    )


def _what(clock: SlaClock) -> str:
    return {
        ClockKind.ACCEPT: "accept or reject",
        ClockKind.FIRST_TOUCH: "make first contact with",
        ClockKind.NEXT_TOUCH: "follow up with",
    }[ClockKind(clock.kind)]


def _local(clock: SlaClock, moment: datetime) -> str:
    zone = calendar_for_owner(clock.owner).zone
    return moment.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def _one_click_lines(clock: SlaClock) -> str:
    return one_click_lines(clock)


@transaction.atomic
def sla_clock_remind(*, clock_id: int) -> bool:
    """Remind the owner that a deadline is near. True when a reminder went out (at most once per clock)."""
    clock = _locked_clock(clock_id)
    now = timezone.now()
    if (
        clock is None
        or not clock.is_open
        or clock.reminded_at
        or clock.breached_at
        or clock.remind_at is None
        or now < clock.remind_at
        or clock.owner is None
    ):
        return False
    clock.reminded_at = now
    clock.save(update_fields=["reminded_at", "updated_at"])
    lead = clock.lead
    notify(
        user=clock.owner,
        kind=NotificationKind.SLA_REMINDER,
        lead=lead,
        url=_lead_url(lead),
        subject=f"Due {_local(clock, clock.due_at)}: {_what(clock)} {lead}",
        body=(
            f"You have until {_local(clock, clock.due_at)} to {_what(clock)} {lead}"
            f"{' at ' + lead.company if lead.company else ''}.\n\n{_one_click_lines(clock)}"
        ),
    )
    _clock_event("sla.reminder_sent", clock, at=now)
    return True


@transaction.atomic
def sla_clock_breach(*, clock_id: int) -> bool:
    """Mark a missed deadline breached, tell the owner and their manager, schedule escalation and recycle."""
    clock = _locked_clock(clock_id)
    now = timezone.now()
    if clock is None or not clock.is_open or clock.breached_at is not None or now < clock.due_at:
        return False
    owner, lead, policy = clock.owner, clock.lead, clock.policy
    chain = escalation_chain(owner) if owner else []
    # The breach happened at the deadline, whenever the worker got to it; escalation counts from there.
    clock.breached_at = clock.due_at
    clock.escalated_level = 1 if chain else 0
    clock.save(update_fields=["breached_at", "escalated_level", "updated_at"])
    _clock_event(
        "sla.breached", clock, at=now, due_at=clock.due_at.isoformat(), manager=chain[0].pk if chain else None
    )
    if owner is not None:
        notify(
            user=owner,
            kind=NotificationKind.SLA_BREACH,
            lead=lead,
            url=_lead_url(lead),
            subject=f"Missed: {_what(clock)} {lead}",
            body=(
                f"The deadline to {_what(clock)} {lead} passed at {_local(clock, clock.due_at)}."
                f"{' Your manager ' + str(chain[0]) + ' has been told.' if chain else ''}\n\n"
                f"{_one_click_lines(clock)}"
            ),
        )
    if chain:
        notify(
            user=chain[0],
            kind=NotificationKind.SLA_BREACH,
            lead=lead,
            url=_lead_url(lead),
            subject=f"{owner} missed the deadline to {_what(clock)} {lead}",
            body=(
                f"{owner} did not {_what(clock)} {lead} by {_local(clock, clock.due_at)} "
                f"(policy '{policy.name}')."
            ),
        )
    calendar = calendar_for_owner(owner)
    from accord.sla import tasks

    if len(chain) >= 2:
        at = calendar.add_business_hours(clock.breached_at, policy.escalate_after_hours)
        transaction.on_commit(
            partial(tasks.enqueue_at, tasks.sla_clock_escalate_task, at, clock_id=clock.pk, level=2)
        )
    if policy.recycle_after_hours:
        at = calendar.add_business_hours(clock.breached_at, policy.recycle_after_hours)
        transaction.on_commit(partial(tasks.enqueue_at, tasks.sla_clock_recycle_task, at, clock_id=clock.pk))
    return True


@transaction.atomic
def sla_clock_escalate(*, clock_id: int, level: int) -> bool:
    """Tell manager number ``level`` up the owner's chain that a breach is still open; schedule the next."""
    clock = _locked_clock(clock_id)
    now = timezone.now()
    if clock is None or not clock.is_open or clock.breached_at is None or clock.owner is None:
        return False
    if clock.escalated_level != level - 1:
        return False  # already escalated this far (a repeated run), or an earlier level has not run
    chain = escalation_chain(clock.owner)
    if level < 2 or level > len(chain):
        return False
    calendar = calendar_for_owner(clock.owner)
    policy = clock.policy
    due = calendar.add_business_hours(clock.breached_at, policy.escalate_after_hours * (level - 1))
    if now < due:
        return False
    target, lead = chain[level - 1], clock.lead
    clock.escalated_level = level
    clock.save(update_fields=["escalated_level", "updated_at"])
    notify(
        user=target,
        kind=NotificationKind.SLA_ESCALATION,
        lead=lead,
        url=_lead_url(lead),
        subject=f"Escalated: {clock.owner} has not acted on {lead}",
        body=(
            f"{clock.owner} was to {_what(clock)} {lead} by {_local(clock, clock.due_at)}; it is still open. "
            f"{chain[level - 2]} was told first. You are level {level} up the chain."
        ),
    )
    _clock_event("sla.escalated", clock, at=now, level=level, to=target.pk)
    if level < len(chain):
        from accord.sla import tasks

        at = calendar.add_business_hours(due, policy.escalate_after_hours)
        transaction.on_commit(
            partial(tasks.enqueue_at, tasks.sla_clock_escalate_task, at, clock_id=clock.pk, level=level + 1)
        )
    return True


def _recycle_candidates(*, owner: User) -> list[User]:
    """Other active, present reps of the owner's team, those with the fewest open leads first."""
    if not owner.team_id:
        return []
    today = timezone.localdate()
    away = Absence.objects.filter(start__lte=today, end__gte=today).values("user_id")
    return list(
        User.objects.filter(team_id=owner.team_id, is_active=True, roles__role=Role.SALES_REP)
        .exclude(pk=owner.pk)
        .exclude(pk__in=away)
        .annotate(
            open_leads=Count(
                "owned_leads", filter=Q(owned_leads__stage__in=[Stage.MQL, Stage.SAL]), distinct=True
            )
        )
        .order_by("open_leads", "username")
    )


@transaction.atomic
def sla_clock_recycle(*, clock_id: int) -> Lead | None:
    """Give a lead whose breach stayed open to another rep of the same team; its history stays with it."""
    clock = _locked_clock(clock_id)
    now = timezone.now()
    if (
        clock is None
        or not clock.is_open
        or clock.breached_at is None
        or not clock.policy.recycle_after_hours
    ):
        return None
    owner = clock.owner
    lead = Lead.objects.select_for_update().get(pk=clock.lead_id)
    if owner is None or lead.owner_id != owner.pk:
        return None  # someone already reassigned it
    due = calendar_for_owner(owner).add_business_hours(clock.breached_at, clock.policy.recycle_after_hours)
    if now < due:
        return None
    candidates = _recycle_candidates(owner=owner)
    if not candidates:
        event_record(
            type="lead.recycle_skipped",
            subject=lead,
            channel=Channel.TASK,
            occurred_at=now,
            payload={"clock": clock.pk, "owner": owner.pk, "why": "no other available rep in the team"},
        )
        return None
    new_owner = candidates[0]
    _clocks_stop(lead=lead, reason="recycled", at=now, channel=Channel.TASK)
    lead.owner = new_owner
    lead.save(update_fields=["owner", "updated_at"])
    event_record(
        type="lead.recycled",
        subject=lead,
        channel=Channel.TASK,
        occurred_at=now,
        payload={
            "from": owner.pk,
            "to": new_owner.pk,
            "clock": clock.pk,
            "kind": clock.kind,
            "why": f"{clock.get_kind_display()} deadline breached at {clock.breached_at.isoformat()}",
        },
    )
    sla_start_for_assignment(lead=lead, assigned_at=now)
    notify(
        user=new_owner,
        kind=NotificationKind.LEAD_RECYCLED,
        lead=lead,
        url=_lead_url(lead),
        subject=f"Recycled to you: {lead}",
        body=f"{lead} was recycled to you because {owner} missed the deadline to {_what(clock)} it.",
    )
    notify(
        user=owner,
        kind=NotificationKind.LEAD_RECYCLED,
        lead=lead,
        url=_lead_url(lead),
        subject=f"Recycled to {new_owner}: {lead}",
        body=f"{lead} went to {new_owner} because the deadline to {_what(clock)} it was missed.",
    )
    return lead


# --- notes on a lead ------------------------------------------------------------------------------------

MENTION = re.compile(r"(?<![\w.])@([\w.+-]+[\w])")
MENTION_KIND = "mention"
MAX_MENTIONS = 10
NOTE_MAX_LENGTH = 5000


@dataclass(frozen=True)
class NoteAdded:
    note: Note
    told: list[User]
    unknown: list[str]  # names that are nobody's username
    cannot_see: list[User]  # people named who may not see the lead, so were not told


@transaction.atomic
def note_add(*, lead: Lead, user: User, body: str, channel: str = Channel.PAGE) -> NoteAdded:
    """Write a note on a lead anyone who sees it may read; tell each person named with @username who may
    see the lead too (named people who may not are listed back, not told)."""
    body = (body or "").strip()
    if not body:
        raise ApplicationError("Write something in the note.", detail={"body": "is required"})
    if len(body) > NOTE_MAX_LENGTH:
        raise ApplicationError(
            f"A note holds at most {NOTE_MAX_LENGTH} characters.", detail={"body": f"over {NOTE_MAX_LENGTH}"}
        )
    lead = access_lead_by_id(user, lead.pk, action="view")
    names = list(dict.fromkeys(m.lower() for m in MENTION.findall(body)))
    if len(names) > MAX_MENTIONS:
        raise ApplicationError(
            f"Name at most {MAX_MENTIONS} people in one note.", detail={"body": "too many @mentions"}
        )
    people = (
        {u.username.lower(): u for u in User.objects.filter(username__in=names, is_active=True)}
        if names
        else {}
    )
    for name in names:  # usernames are matched as typed, then case-insensitively
        if name not in people:
            found = User.objects.filter(username__iexact=name, is_active=True).first()
            if found is not None:
                people[name] = found
    unknown = [n for n in names if n not in people]
    told: list[User] = []
    cannot_see: list[User] = []
    for person in people.values():
        if person.pk == user.pk:
            continue
        (told if leads_visible_to(person).filter(pk=lead.pk).exists() else cannot_see).append(person)
    note = Note(lead=lead, author=user, body=body)
    note.full_clean()
    note.save()
    note.mentioned.set(told)
    event_record(
        type="lead.note_added",
        subject=lead,
        actor=user,
        channel=channel,
        payload={"note": note.pk, "mentioned": [p.pk for p in told]},
    )
    author = user.get_full_name() or user.username
    for person in told:
        notify(
            user=person,
            kind=MENTION_KIND,
            lead=lead,
            url=_lead_url(lead) + f"#note-{note.pk}",
            subject=f"{author} mentioned you on {lead}",
            body=body,
        )
    return NoteAdded(note=note, told=told, unknown=unknown, cannot_see=cannot_see)
