"""The demo's closed loop: campaigns with a year of costs, each source's people arriving through a
campaign, reps touching their leads (fast or slow), accept clocks met or breached and escalated, deals
won and lost over twelve months with revenue, and a few follow-up tasks and notifications.

``campaigns_create`` runs before the leads arrive (so intake links each submission to its campaign by
``utm_campaign``, as a real form post would); ``closed_loop_build`` runs after the pipeline has moved the
leads on, and derives everything else from each lead's own history (its assignment, stage entries and
owner), so the numbers on every dashboard hang together. History is written in bulk, backdated, and
the reporting rollups are rebuilt once at the end: the whole step takes a few seconds.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Min

from accord.campaigns.models import CampaignChannel, CampaignStatus
from accord.campaigns.services import campaign_create, cost_line_add
from accord.core.models import Channel, Event
from accord.deals.models import Deal, DealStage
from accord.leads.models import Account, Lead, Stage
from accord.notifications.models import Notification
from accord.people.access import managers_of
from accord.people.models import Absence, Role, Team, User
from accord.reporting.rollups import rollups_rebuild
from accord.sla.follow_ups import REMIND_BEFORE, TASK_DUE_KIND
from accord.sla.models import ClockKind, FollowUp, SlaClock, Touch, TouchKind, TouchOutcome
from accord.sla.services import sla_policy_default


@dataclass(frozen=True)
class DemoCampaign:
    name: str
    channel: str
    utm: str
    source: str  # the demo source whose people it brings
    monthly_cost: int


CAMPAIGNS: tuple[DemoCampaign, ...] = (
    DemoCampaign(
        "Paid search: clinical & finance software",
        CampaignChannel.PAID_SEARCH,
        "paid-search",
        "Website demo form",
        3800,
    ),
    DemoCampaign(
        "Webinar programme", CampaignChannel.WEBINAR, "webinar-programme", "Webinar registrations", 2200
    ),
    DemoCampaign("Partner co-marketing", CampaignChannel.PARTNER, "partner-comarketing", "Partner API", 1500),
    DemoCampaign(
        "Trade shows: HIMSS & Money20/20", CampaignChannel.EVENT, "trade-shows", "Trade show list", 5200
    ),
)
UTM_BY_SOURCE = {c.source: c.utm for c in CAMPAIGNS}

LOSS_REASONS = (
    "Chose a competitor on price.",
    "Budget frozen until next fiscal year.",
    "No decision: the project was shelved.",
    "Went with their incumbent vendor.",
)
TASK_TITLES = (
    "Call back about the pilot scope",
    "Send the pricing sheet",
    "Book a demo with their IT lead",
    "Follow up on the security questionnaire",
)
TOUCH_NOTES = {
    TouchOutcome.CONNECTED: "Spoke briefly; interested, wants a demo for the team.",
    TouchOutcome.LEFT_MESSAGE: "Left a voicemail with my direct line.",
    TouchOutcome.MEETING_BOOKED: "Demo booked for next week.",
    TouchOutcome.NO_ANSWER: "",
}


def campaigns_create(*, now: datetime, actor: User) -> None:
    """The year's campaigns, each with a cost line per month (trade shows: two show weeks)."""
    first_month = date(now.year - 1, now.month, 1)
    for spec in CAMPAIGNS:
        campaign = campaign_create(
            name=spec.name,
            actor=actor,
            channel=spec.channel,
            status=CampaignStatus.ACTIVE,
            start_date=first_month,
            budget=spec.monthly_cost * 12,
            utm_campaign=spec.utm,
            description=f"Brings the people of the {spec.source.lower()}.",
            event_channel=Channel.SYSTEM,
        )
        if spec.channel == CampaignChannel.EVENT:
            for months_ago, amount in ((9, 31000), (3, 27000)):
                day = _month_start(first_month, 12 - months_ago) + timedelta(days=10)
                cost_line_add(
                    campaign=campaign,
                    amount=amount,
                    actor=actor,
                    incurred_on=day,
                    note="Booth, travel and badge scanning",
                    event_channel=Channel.SYSTEM,
                )
            continue
        for month in range(13):
            start = _month_start(first_month, month)
            if start > now.date():
                break
            end = min(_month_start(first_month, month + 1) - timedelta(days=1), now.date())
            cost_line_add(
                campaign=campaign,
                amount=spec.monthly_cost,
                actor=actor,
                period_start=start,
                period_end=end,
                note="Monthly spend",
                event_channel=Channel.SYSTEM,
            )


def _month_start(first: date, months: int) -> date:
    year, month = divmod(first.month - 1 + months, 12)
    return date(first.year + year, month + 1, 1)


@dataclass
class _History:
    """One assigned lead's path, read from its events."""

    lead: Lead
    assigned_at: datetime
    entered: dict[str, datetime]


def closed_loop_build(*, rng: random.Random, now: datetime, users: dict[str, User]) -> dict[str, int]:
    """Everything after the pipeline: see the module docstring. Returns what it made, for the tests."""
    _inquiries_record()
    histories = _histories()
    made = {"touches": _touches_record(rng, now, histories)}
    made["clocks"], made["breaches"] = _accept_clocks_record(rng, now, histories)
    made["won"], made["lost"], made["open"] = _deals_record(rng, now, histories)
    made["tasks"] = _tasks_record(rng, now, users)
    _absence_record(now, users)
    rollups_rebuild()
    return made


def _inquiries_record() -> None:
    """Every person first raised a hand as an inquiry; intake scores them on arrival and moves them on
    (to MQL, nurture or disqualified) in the same step, so the demo writes the inquiry entry the funnel
    counts, a second before that first scoring."""
    firsts = (
        Event.objects.filter(subject_type="lead", type="lead.intake")
        .values("subject_id")
        .annotate(first=Min("occurred_at"))
        .values_list("subject_id", "first")
    )
    Event.objects.bulk_create(
        [
            Event(
                type="lead.stage_changed",
                subject_type="lead",
                subject_id=lead_id,
                channel=Channel.SYSTEM,
                stage=Stage.INQUIRY,
                occurred_at=first - timedelta(seconds=1),
                payload={"from": "", "to": Stage.INQUIRY, "reason": "First contact"},
            )
            for lead_id, first in firsts
        ],
        batch_size=1000,
    )


def _histories() -> list[_History]:
    assigned = dict(
        Event.objects.filter(subject_type="lead", type="lead.assigned")
        .values("subject_id")
        .annotate(first=Min("occurred_at"))
        .values_list("subject_id", "first")
    )
    entered: dict[int, dict[str, datetime]] = defaultdict(dict)
    for lead_id, stage, at in (
        Event.objects.filter(subject_type="lead", subject_id__in=list(assigned), type="lead.stage_changed")
        .exclude(stage="")
        .order_by("occurred_at")
        .values_list("subject_id", "stage", "occurred_at")
    ):
        entered[lead_id].setdefault(stage, at)
    leads = Lead.objects.filter(pk__in=list(assigned), owner__isnull=False).select_related("owner", "account")
    return [_History(lead, assigned[lead.pk], entered[lead.pk]) for lead in leads.order_by("pk")]


def _touches_record(rng: random.Random, now: datetime, histories: list[_History]) -> int:
    """The rep's first call after the assignment, and a follow-up or two for leads that moved on.

    Speed matters in the demo as it does in the studies behind C7: leads that went on to become
    opportunities were mostly called within the hour; the others mostly later, some never.
    """
    touches: list[Touch] = []
    for h in histories:
        reached_opportunity = Stage.OPPORTUNITY in h.entered or Stage.CUSTOMER in h.entered
        fast = rng.random() < (0.7 if reached_opportunity else 0.3)
        if not fast and not reached_opportunity and rng.random() < 0.2:
            continue  # never called
        first = h.assigned_at + (
            timedelta(minutes=rng.uniform(4, 55)) if fast else timedelta(hours=rng.uniform(1.5, 30))
        )
        moments = [first]
        if Stage.SQL in h.entered:
            moments.append(h.entered[Stage.SQL] - timedelta(hours=rng.uniform(1, 20)))
        for number, at in enumerate(sorted(moments)):
            if at >= now or at <= h.assigned_at:
                continue
            outcome = rng.choice(
                (TouchOutcome.CONNECTED, TouchOutcome.LEFT_MESSAGE, TouchOutcome.NO_ANSWER)
                if number == 0
                else (TouchOutcome.MEETING_BOOKED, TouchOutcome.CONNECTED)
            )
            touches.append(
                Touch(
                    lead=h.lead,
                    user=h.lead.owner,
                    kind=TouchKind.CALL if number == 0 else rng.choice((TouchKind.EMAIL, TouchKind.MEETING)),
                    outcome=outcome,
                    note=TOUCH_NOTES.get(outcome, ""),
                    occurred_at=at,
                    channel=Channel.PAGE,
                )
            )
    Touch.objects.bulk_create(touches, batch_size=1000)
    Event.objects.bulk_create(
        [
            Event(
                type="lead.touched",
                subject_type="lead",
                subject_id=t.lead_id,
                channel=Channel.PAGE,
                actor=t.user,
                occurred_at=t.occurred_at,
                payload={"touch": t.pk, "kind": t.kind, "outcome": t.outcome, "clocks_met": []},
            )
            for t in touches
        ],
        batch_size=1000,
    )
    return len(touches)


def _accept_clocks_record(rng: random.Random, now: datetime, histories: list[_History]) -> tuple[int, int]:
    """The accept clock of every lead assigned in the last four months: met when the rep accepted (on time
    or late), still running or breached for those not accepted; breaches escalated to the manager."""
    policy = sla_policy_default()
    calendars = {team.pk: team.calendar() for team in Team.objects.prefetch_related("holidays")}
    since = now - timedelta(days=120)
    clocks: list[SlaClock] = []
    accepted: list[Event] = []
    for h in histories:
        if h.assigned_at < since:
            continue
        team_id = h.lead.owner.team_id if h.lead.owner else None
        calendar = calendars.get(team_id) if team_id is not None else None
        if calendar is None:
            continue
        # The deadline counts the team's business hours, as a live clock does.
        due = calendar.add_business_hours(h.assigned_at, policy.accept_hours)
        if due <= h.assigned_at:
            continue
        met = h.entered.get(Stage.SAL)
        clock = SlaClock(
            lead=h.lead,
            kind=ClockKind.ACCEPT,
            policy=policy,
            owner=h.lead.owner,
            started_at=h.assigned_at,
            due_at=due,
            remind_at=due - timedelta(minutes=policy.reminder_before_minutes),
        )
        if met is not None:
            clock.met_at = met
            remind_at = due - timedelta(minutes=policy.reminder_before_minutes)
            clock.reminded_at = remind_at if met > remind_at else None
            accepted.append(
                Event(
                    type="lead.accepted",
                    subject_type="lead",
                    subject_id=h.lead.pk,
                    channel=Channel.PAGE,
                    actor=h.lead.owner,
                    occurred_at=met,
                    payload={"owner": h.lead.owner_id},
                )
            )
        elif h.lead.stage != Stage.MQL:
            continue  # it went elsewhere (nurture, rejected): its clock was stopped, nothing to show
        if (met is not None and met > due) or (met is None and due < now):
            clock.breached_at = due
            clock.escalated_level = 1
        clocks.append(clock)
    SlaClock.objects.bulk_create(clocks, batch_size=1000)
    Event.objects.bulk_create(accepted, batch_size=1000)
    breached = [c for c in clocks if c.breached_at is not None]
    _breaches_record(breached)
    return len(clocks), len(breached)


def _breaches_record(clocks: list[SlaClock]) -> None:
    """The breach and escalation events of each breached clock, and the notifications they sent."""
    events: list[Event] = []
    notes: list[Notification] = []
    managers: dict[int, User | None] = {}
    for clock in clocks:
        owner = clock.owner
        if owner is None or clock.breached_at is None:
            continue
        if owner.pk not in managers:
            managers[owner.pk] = managers_of(owner).filter(roles__role=Role.SALES_MANAGER).first()
        manager = managers[owner.pk]
        payload = {"clock": clock.pk, "kind": clock.kind, "owner": owner.pk}
        events.append(
            Event(
                type="sla.breached",
                subject_type="lead",
                subject_id=clock.lead_id,
                channel=Channel.TASK,
                occurred_at=clock.breached_at,
                payload={
                    **payload,
                    "due_at": clock.due_at.isoformat(),
                    "manager": manager.pk if manager else None,
                },
            )
        )
        lead_name = str(clock.lead)
        notes.append(
            Notification(
                user=owner,
                kind="sla_breach",
                subject=f"Missed: accept {lead_name}",
                body="The accept deadline passed; your manager was told.",
                url=f"/leads/{clock.lead_id}/",
                lead_id=clock.lead_id,
                emailed_at=clock.breached_at,
                read_at=clock.met_at,
            )
        )
        if manager is not None:
            at = clock.breached_at + timedelta(hours=4)
            events.append(
                Event(
                    type="sla.escalated",
                    subject_type="lead",
                    subject_id=clock.lead_id,
                    channel=Channel.TASK,
                    occurred_at=at,
                    payload={**payload, "level": 1, "to": manager.pk},
                )
            )
            notes.append(
                Notification(
                    user=manager,
                    kind="sla_escalation",
                    subject=f"Escalated to you: {owner} missed accepting {lead_name}",
                    body="Step in or reassign the lead.",
                    url=f"/leads/{clock.lead_id}/",
                    lead_id=clock.lead_id,
                    emailed_at=at,
                    read_at=clock.met_at if clock.met_at and clock.met_at > at else None,
                )
            )
    Event.objects.bulk_create(events, batch_size=1000)
    Notification.objects.bulk_create(notes, batch_size=1000)
    # Notifications are dated by when they were sent, not when the demo ran.
    for note in notes:
        Notification.objects.filter(pk=note.pk).update(created_at=note.emailed_at)


def _deals_record(rng: random.Random, now: datetime, histories: list[_History]) -> tuple[int, int, int]:
    """A deal for every lead that became an opportunity: won when it became a customer, lost after a
    while for many of the rest, still open for the newest."""
    deals: list[tuple[Deal, datetime]] = []
    for h in histories:
        opened = h.entered.get(Stage.OPPORTUNITY)
        if opened is None:
            continue
        account = h.lead.account or _account_for(h.lead)
        amount = Decimal(rng.randrange(12, 160) * 1000)
        deal = Deal(
            name=f"{account.name}: {h.lead.full_name or h.lead.email}",
            account=account,
            contact=h.lead,
            owner=h.lead.owner,
            amount=amount,
            currency="USD",
            created_by=h.lead.owner,
        )
        won_at = h.entered.get(Stage.CUSTOMER)
        if won_at is not None:
            deal.stage, deal.closed_at, deal.won_reason = (
                DealStage.WON,
                won_at,
                "Best fit for their workflow.",
            )
        elif now - opened > timedelta(days=60) and rng.random() < 0.75:
            deal.stage, deal.lost_reason = DealStage.LOST, rng.choice(LOSS_REASONS)
            deal.closed_at = min(opened + timedelta(days=rng.uniform(25, 60)), now - timedelta(days=1))
        else:
            deal.stage = rng.choice((DealStage.QUALIFICATION, DealStage.PROPOSAL, DealStage.NEGOTIATION))
            deal.expected_close = (now + timedelta(days=rng.randint(10, 80))).date()
        deals.append((deal, opened))
    Deal.objects.bulk_create([d for d, _ in deals], batch_size=500)
    events: list[Event] = []
    for deal, opened in deals:
        Deal.objects.filter(pk=deal.pk).update(
            created_at=opened
        )  # opened when the lead became an opportunity
        common = {"amount": str(deal.amount), "currency": deal.currency, "contact": deal.contact_id}
        events.append(
            Event(
                type="deal.created",
                subject_type="deal",
                subject_id=deal.pk,
                channel=Channel.PAGE,
                actor=deal.owner,
                occurred_at=opened,
                payload={
                    **common,
                    "lead": deal.contact_id,
                    "account": deal.account_id,
                    "owner": deal.owner_id,
                },
            )
        )
        if deal.stage in (DealStage.WON, DealStage.LOST):
            reason = deal.won_reason if deal.stage == DealStage.WON else deal.lost_reason
            events.append(
                Event(
                    type=f"deal.{deal.stage}",
                    subject_type="deal",
                    subject_id=deal.pk,
                    channel=Channel.PAGE,
                    actor=deal.owner,
                    occurred_at=deal.closed_at or opened,
                    payload={**common, "reason": reason, "owner": deal.owner_id, "account": deal.account_id},
                )
            )
    Event.objects.bulk_create(events, batch_size=1000)
    stages = [d.stage for d, _ in deals]
    return (
        stages.count(DealStage.WON),
        stages.count(DealStage.LOST),
        len(stages) - stages.count(DealStage.WON) - stages.count(DealStage.LOST),
    )


def _account_for(lead: Lead) -> Account:
    name = lead.company or lead.email.split("@")[-1]
    account, _ = Account.objects.get_or_create(
        name_key=name.lower(), defaults={"name": name, "owner": lead.owner}
    )
    Lead.objects.filter(pk=lead.pk).update(account=account)
    return account


def _tasks_record(rng: random.Random, now: datetime, users: dict[str, User]) -> int:
    """Each rep has a task overdue since yesterday, one due today and one next week, on their own leads."""
    tasks: list[FollowUp] = []
    notes: list[Notification] = []
    for username in ("noah", "grace", "omar", "julia", "ben", "aisha"):
        rep = users[username]
        leads = list(
            Lead.objects.filter(owner=rep, stage__in=[Stage.SAL, Stage.SQL]).order_by("-stage_changed_at")[:3]
        )
        for lead, offset in zip(
            leads, (timedelta(hours=-20), timedelta(hours=3), timedelta(days=6)), strict=False
        ):
            due = (now + offset).replace(minute=0, second=0, microsecond=0)
            reminded = due - REMIND_BEFORE < now
            task = FollowUp(
                lead=lead,
                assignee=rep,
                created_by=rep,
                title=rng.choice(TASK_TITLES),
                due_at=due,
                remind_at=min(due - REMIND_BEFORE, due),
                reminded_at=due - REMIND_BEFORE if reminded else None,
            )
            tasks.append(task)
            if reminded:
                notes.append(
                    Notification(
                        user=rep,
                        kind=TASK_DUE_KIND,
                        subject=f"Task due: {task.title} ({lead})",
                        body=f"Follow up with {lead}.",
                        url=f"/leads/{lead.pk}/",
                        lead=lead,
                        emailed_at=due - REMIND_BEFORE,
                    )
                )
    FollowUp.objects.bulk_create(tasks)
    Notification.objects.bulk_create(notes)
    return len(tasks)


def _absence_record(now: datetime, users: dict[str, User]) -> None:
    """Omar is on holiday next week: routing passes him over then."""
    start = (now + timedelta(days=7 - now.weekday())).date()
    Absence.objects.create(user=users["omar"], start=start, end=start + timedelta(days=4), reason="Holiday")
