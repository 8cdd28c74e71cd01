"""Reads for leads: lists with filters, timelines and stage history.

Who may see which lead is decided in ``accord.people.access`` (``leads_visible_to`` is re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from accord.core.models import Event
from accord.leads.models import DuplicateStatus, Lead, PossibleDuplicate, Stage
from accord.people.access import access_lead_by_id, duplicates_visible_to, leads_visible_to
from accord.people.models import User


def lead_get(*, user: User, lead_id: int) -> Lead:
    """A lead the user may see, or NotFound (never 403: existence is not disclosed)."""
    lead: Lead = access_lead_by_id(user, lead_id, action="view")
    return lead


DUPLICATES_PAGE_SIZE = 50
# The queue's count stops here: counting every open pair would grow with the table.
DUPLICATES_COUNT_CAP = 1000


@dataclass(frozen=True)
class DuplicatePage:
    """One page of the duplicates queue, most similar first, with the cursor of the next page."""

    pairs: list[PossibleDuplicate]
    next_after: str | None
    open_count: int  # at most DUPLICATES_COUNT_CAP + 1
    first: bool

    @property
    def count_capped(self) -> bool:
        return self.open_count > DUPLICATES_COUNT_CAP

    @property
    def count_shown(self) -> int:
        return min(self.open_count, DUPLICATES_COUNT_CAP)


def _cursor(after: str) -> tuple[int, int] | None:
    similarity, _, pk = after.partition("-")
    if similarity.isdigit() and pk.isdigit():
        return int(similarity), int(pk)
    return None


def duplicate_queue(*, user: User, after: str = "") -> DuplicatePage:
    """Open possible duplicates the user works, most similar first (keyset pages: ``after`` is the last
    pair's "similarity-id"), in three queries whatever the size of the tables."""
    open_pairs = duplicates_visible_to(user).filter(status=DuplicateStatus.OPEN)
    ordered = open_pairs.order_by("-similarity", "-id")  # the partial index duplicate_open_queue
    open_count = ordered[: DUPLICATES_COUNT_CAP + 1].count()
    cursor = _cursor(after)
    if cursor is not None:
        similarity, pk = cursor
        ordered = ordered.filter(Q(similarity__lt=similarity) | Q(similarity=similarity, id__lt=pk))
    rows = list(
        ordered.select_related(
            "lead", "other", "lead__account", "other__account", "lead__owner", "other__owner"
        )[: DUPLICATES_PAGE_SIZE + 1]
    )
    pairs = rows[:DUPLICATES_PAGE_SIZE]
    last = pairs[-1] if pairs else None
    next_after = (
        f"{last.similarity}-{last.pk}" if last is not None and len(rows) > DUPLICATES_PAGE_SIZE else None
    )
    return DuplicatePage(pairs=pairs, next_after=next_after, open_count=open_count, first=cursor is None)


def lead_survivor(*, user: User, lead_id: int) -> Lead | None:
    """The lead that lead ``lead_id`` was merged into, if the user may see it; None otherwise (the old
    address is then a 404 like any unknown lead). Merges are flattened (``lead_merge`` re-points
    earlier aliases), so one hop reaches the survivor."""
    survivor_id = (
        Lead.objects.filter(pk=lead_id, merged_into__isnull=False)
        .values_list("merged_into_id", flat=True)
        .first()
    )
    if survivor_id is None:
        return None
    survivor: Lead | None = leads_visible_to(user).filter(pk=survivor_id).first()
    return survivor


@dataclass(frozen=True)
class LeadFilters:
    email: str = ""
    stage: str = ""
    owner: str = ""  # username, "me" or "none"
    source: str = ""  # source name
    q: str = ""
    order: str = ""  # "urgency": soonest SLA deadline first; otherwise newest first
    import_job: int | None = None  # the leads this CSV import created


def lead_list(*, user: User, filters: LeadFilters) -> QuerySet[Lead]:
    """Leads the user may see, filtered the same way for the list page and the API."""
    qs = leads_visible_to(user).select_related("account", "owner", "source", "criteria_version")
    if filters.email:
        qs = qs.filter(email_key=filters.email.strip().lower())
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.owner == "me":
        qs = qs.filter(owner=user)
    elif filters.owner == "none":
        qs = qs.filter(owner__isnull=True)
    elif filters.owner:
        qs = qs.filter(owner__username=filters.owner)
    if filters.source:
        qs = qs.filter(source__name=filters.source)
    if filters.import_job:
        qs = qs.filter(import_job_id=filters.import_job)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(email_key__icontains=term.lower())
            | Q(last_name__icontains=term)
            | Q(company__icontains=term)
            | Q(first_name__icontains=term)
        )
    if filters.order == "urgency":
        # The earliest deadline among the lead's running SLA clocks; leads without one come last.
        soonest = Min(
            "sla_clocks__due_at",
            filter=Q(sla_clocks__met_at__isnull=True, sla_clocks__stopped_at__isnull=True),
        )
        return qs.annotate(soonest_due=soonest).order_by(
            F("soonest_due").asc(nulls_last=True), "-created_at", "-id"
        )
    return qs.order_by("-created_at", "-id")


def lead_timeline_ids(lead: Lead) -> list[int]:
    """The lead's id and the ids of every lead merged into it (their events are its history)."""
    ids = [lead.pk]
    frontier = [lead.pk]
    while frontier:
        frontier = list(Lead.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def lead_events(lead: Lead) -> QuerySet[Event]:
    return (
        Event.objects.filter(subject_type="lead", subject_id__in=lead_timeline_ids(lead))
        .select_related("actor")
        .order_by("occurred_at", "id")
    )


@dataclass(frozen=True)
class StageSpan:
    stage: str
    entered_at: datetime
    left_at: datetime | None

    @property
    def duration_seconds(self) -> float:
        end = self.left_at or timezone.now()
        return (end - self.entered_at).total_seconds()


def lead_stage_history(lead: Lead) -> list[StageSpan]:
    """Stages the lead has been in, from the events that moved it (not from the lead row)."""
    moves = list(
        Event.objects.filter(subject_type="lead", subject_id=lead.pk)
        .exclude(stage="")
        .order_by("occurred_at", "id")
        .values_list("stage", "occurred_at")
    )
    spans: list[StageSpan] = []
    for i, (stage, at) in enumerate(moves):
        left = moves[i + 1][1] if i + 1 < len(moves) else None
        spans.append(StageSpan(stage, at, left))
    return spans


@dataclass
class ImportOutcome:
    """Where the leads an import created are now: how many in each stage and with each owner."""

    total: int
    by_stage: list[tuple[str, str, int]]  # (stage, its label, leads)
    by_owner: list[tuple[str, str, int]]  # (username or "none", name or "Unassigned", leads)


def import_job_outcome(*, user: User, job_id: int) -> ImportOutcome:
    """Counts over the leads the import created that the user may see (two grouped queries)."""
    leads = leads_visible_to(user).filter(import_job_id=job_id).order_by()
    stages = dict(leads.values_list("stage").annotate(n=Count("id")))
    by_stage = [(value, str(label), stages[value]) for value, label in Stage.choices if stages.get(value)]
    owners = leads.values_list("owner__username", "owner__first_name", "owner__last_name").annotate(
        n=Count("id")
    )
    by_owner = sorted(
        (
            (username or "none", f"{first or ''} {last or ''}".strip() or username or "Unassigned", n)
            for username, first, last, n in owners
        ),
        key=lambda row: (-row[2], row[1]),
    )
    return ImportOutcome(sum(stages.values()), by_stage, by_owner)
