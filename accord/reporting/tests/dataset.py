"""A fixed, seeded dataset for the reporting tests: leads with stage histories, costs, SLA clocks,
accept/reject decisions; and an independent computation over the raw rows (plain Python over
Lead / Event / CostLine / SlaClock, not through ``accord.reporting.metrics``)."""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from accord.campaigns.models import Campaign, CostLine
from accord.core.models import Event
from accord.leads.models import Lead, Source
from accord.sla.models import SlaClock, SlaPolicy

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
Q2 = (date(2026, 4, 1), date(2026, 7, 1))
ORDER = ["inquiry", "mql", "sal", "sql", "opportunity", "customer"]
RANK = {s: i + 1 for i, s in enumerate(ORDER)}


def build(personas, *, leads: int = 160, seed: int = 7) -> dict:
    rng = random.Random(seed)
    web = Source.objects.create(name="Website")
    partner = Source.objects.create(name="Partner")
    spring = Campaign.objects.create(name="Spring webinar", channel="webinar", utm_campaign="spring")
    search = Campaign.objects.create(name="=Search ads", channel="paid_search", utm_campaign="search")
    CostLine.objects.create(
        campaign=spring,
        amount=Decimal("1000.00"),
        period_start=date(2026, 3, 20),
        period_end=date(2026, 4, 12),
    )
    CostLine.objects.create(
        campaign=search, amount=Decimal("777.77"), period_start=date(2025, 4, 1), period_end=date(2026, 5, 31)
    )
    CostLine.objects.create(
        campaign=search, amount=Decimal("-50.00"), period_start=date(2026, 5, 3), period_end=date(2026, 5, 3)
    )
    reps = [personas.bob, personas.carol, personas.charlie]
    policy = SlaPolicy.objects.create(name="Default", is_default=True)
    start = datetime(2025, 3, 1, tzinfo=UTC)
    for i in range(leads):
        created = start + timedelta(hours=rng.randint(0, 24 * 460))
        if created > NOW:
            created = NOW - timedelta(days=rng.randint(1, 30))
        lead = Lead.objects.create(
            email=f"p{i}@example.com",
            email_key=f"p{i}@example.com",
            source=rng.choice([web, partner, None]),
            utm_campaign=rng.choice(["Spring", "search", "", "other"]),
            owner=rng.choice([*reps, None]),
        )
        at = created
        depth = rng.choice([1, 1, 2, 2, 3, 4, 5, 6])
        stage = "inquiry"
        for stage in ORDER[:depth]:
            Event.objects.create(
                type="lead.stage_changed",
                subject_type="lead",
                subject_id=lead.pk,
                occurred_at=at,
                stage=stage,
            )
            at += timedelta(hours=rng.randint(1, 400))
        if rng.random() < 0.15:
            stage = "nurture"
            Event.objects.create(
                type="lead.stage_changed",
                subject_type="lead",
                subject_id=lead.pk,
                occurred_at=at,
                stage=stage,
            )
        Event.objects.create(type="lead.note", subject_type="lead", subject_id=lead.pk, occurred_at=at)
        Lead.objects.filter(pk=lead.pk).update(created_at=created, stage=stage)
        if lead.owner_id and depth >= 2:
            kind = "lead.accepted" if rng.random() < 0.7 else "lead.rejected"
            Event.objects.create(
                type=kind,
                subject_type="lead",
                subject_id=lead.pk,
                actor=lead.owner,
                occurred_at=created + timedelta(hours=5),
            )
            due = created + timedelta(hours=8)
            met = due + timedelta(hours=rng.choice([-3, -1, 2])) if rng.random() < 0.8 else None
            SlaClock.objects.create(
                lead=lead,
                kind="accept",
                policy=policy,
                owner=lead.owner,
                started_at=created,
                due_at=due,
                met_at=met,
                breached_at=due if met and met > due else None,
            )
    return {"web": web, "partner": partner, "spring": spring, "search": search}


# --- the independent computation -----------------------------------------------------------------


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def stage_events():
    return list(Event.objects.filter(subject_type="lead").exclude(stage="").order_by("occurred_at", "id"))


def leads_by_id():
    return {lead.pk: lead for lead in Lead.objects.select_related("owner")}


def lead_campaign(lead, campaigns) -> int | None:
    return campaigns.get(lead.utm_campaign.lower()) if lead.utm_campaign else None


def campaigns_by_utm():
    return {c.utm_campaign: c.pk for c in Campaign.objects.all()}


def flows(start, end, keep=lambda lead: True) -> dict[str, int]:
    leads = leads_by_id()
    counts = dict.fromkeys(ORDER, 0)
    for e in stage_events():
        if _moment(start) <= e.occurred_at < _moment(end) and e.stage in counts and keep(leads[e.subject_id]):
            counts[e.stage] += 1
    return counts


def cohort(start, end, keep=lambda lead: True) -> tuple[int, dict[str, int], dict[str, int]]:
    furthest: dict[int, int] = defaultdict(int)
    for e in stage_events():
        furthest[e.subject_id] = max(furthest[e.subject_id], RANK.get(e.stage, 0))
    group = [
        lead for lead in Lead.objects.all() if _moment(start) <= lead.created_at < _moment(end) and keep(lead)
    ]
    reached = {s: sum(1 for lead in group if furthest[lead.pk] >= RANK[s]) for s in ORDER}
    now: dict[str, int] = defaultdict(int)
    for lead in group:
        now[lead.stage] += 1
    return len(group), reached, dict(now)


def cost(start: date, end: date, campaign_ids=None) -> Decimal:
    """Each line spread per day in whole cents, leftover cents one each on the first days."""
    total = 0
    for line in CostLine.objects.all():
        if campaign_ids is not None and line.campaign_id not in campaign_ids:
            continue
        days = (line.period_end - line.period_start).days + 1
        cents = int(abs(line.amount) * 100)
        sign = -1 if line.amount < 0 else 1
        for k in range(days):
            day = line.period_start + timedelta(days=k)
            if start <= day < end:
                total += sign * (cents // days + (1 if k < cents % days else 0))
    return Decimal(total) / 100


def velocity(start, end) -> dict[str, tuple[int, int | None, int | None]]:
    per_lead = defaultdict(list)
    for e in stage_events():
        per_lead[e.subject_id].append(e)
    stays = defaultdict(list)
    for events in per_lead.values():
        for here, nxt in itertools.pairwise(events):
            if (
                _moment(start)
                <= nxt.occurred_at.replace(hour=0, minute=0, second=0, microsecond=0)
                < _moment(end)
            ):
                stays[here.stage].append(round((nxt.occurred_at - here.occurred_at).total_seconds()))
    found = {}
    for stage in ORDER:
        values = sorted(stays[stage])
        n = len(values)
        found[stage] = (n, _nearest_rank(values, 0.5), _nearest_rank(values, 0.75))
    return found


def _nearest_rank(values: list[int], p: float) -> int | None:
    return values[math.ceil(p * len(values)) - 1] if values else None


def sla(start, end, now=NOW) -> tuple[int, int]:
    on_time = breached = 0
    for c in SlaClock.objects.all():
        if not (_moment(start) <= c.due_at < _moment(end)):
            continue
        if c.met_at is not None and c.met_at <= c.due_at:
            on_time += 1
        elif c.breached_at or c.met_at or (c.stopped_at is None and c.due_at <= now):
            breached += 1
    return on_time, breached


def decisions(start, end) -> dict[str, tuple[int, int]]:
    found = defaultdict(lambda: [0, 0])
    for e in Event.objects.filter(type__in=["lead.accepted", "lead.rejected"]).select_related("actor__team"):
        if _moment(start) <= e.occurred_at < _moment(end):
            team = e.actor.team.name if e.actor and e.actor.team else "(no team)"
            found[team][0 if e.type == "lead.accepted" else 1] += 1
    return {k: tuple(v) for k, v in found.items()}
