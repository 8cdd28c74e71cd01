"""Reads for SLA: the escalation chain, clocks ordered by urgency, the rep inbox, the conversion facts
of a rep's team (C7) and marketing's rejection feedback (X1). Scorecards live in scorecards.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.urls import reverse
from django.utils import timezone

from accord.core.calendar import BusinessCalendar
from accord.core.errors import ApplicationError
from accord.core.models import Event
from accord.leads.models import Lead, Source, Stage
from accord.people import access
from accord.people.access import access_lead_by_id, leads_visible_to, sla_clocks_visible_to
from accord.people.models import Role, Team, User
from accord.people.selectors import user_calendar
from accord.sla.models import ClockStatus, RejectionReason, SlaClock, Touch


def escalation_chain(owner: User) -> list[User]:
    """Who hears of a breach, in order: the owner's manager, theirs, and so on up.

    When the owner has no manager of their own, their team's manager (and their chain) stands in.
    """
    chain = owner.manager_chain()
    if chain:
        return chain
    team = owner.team if owner.team_id else None
    if team is not None and team.manager_id and team.manager_id != owner.pk:
        return [team.manager, *[m for m in team.manager.manager_chain() if m.pk != owner.pk]]
    return []


def lead_get_for_action(*, user: User, lead_id: int) -> Lead:
    """A lead the user may act on (accept, reject, touch): 404 when they may not see it, 403 when they see
    it but may not act on it (see accord.people.access)."""
    lead: Lead = access_lead_by_id(user, lead_id, action="act")
    return lead


def calendar_for_owner(owner: User | None) -> BusinessCalendar:
    """The business calendar deadlines count in: the owner's team calendar, else the default calendar."""
    if owner is None:
        from accord.people.selectors import default_calendar

        return default_calendar()
    return user_calendar(owner)


def sla_clocks_for(*, user: User, owner: str = "", include_closed: bool = False) -> QuerySet[SlaClock]:
    """Clocks on leads the user may see, most urgent (earliest due) first.

    ``owner`` is "me", a username, or empty for every owner the user can see.
    """
    clocks = sla_clocks_visible_to(user).select_related("lead", "owner", "policy")
    if not include_closed:
        clocks = clocks.open()
    if owner == "me":
        clocks = clocks.filter(owner=user)
    elif owner:
        if not User.objects.filter(username=owner).exists():
            raise ApplicationError(f"No user named {owner!r}.", detail={"owner": "unknown user"})
        clocks = clocks.filter(owner__username=owner)
    return clocks.order_by("due_at", "id")


# --- the rep inbox -----------------------------------------------------------------------------------

# Stages in which a lead is the rep's work in hand: to accept, to touch, to move on.
INBOX_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)
INBOX_LIMIT = 200


class InboxScope:
    ME = "me"
    TEAM = "team"


@dataclass
class InboxRow:
    """One lead in the inbox with its most urgent open clock and its last touch."""

    lead: Lead
    clock: SlaClock | None
    status: str  # a ClockStatus value, or "" when no clock runs
    last_touch: Touch | None
    can_accept: bool
    can_reject: bool
    error: str = ""
    notice: str = ""
    # The row's links (the lead's page, accept, reject, log a touch), made by ``_inbox_rows``.
    open_url: str = ""
    accept_url: str = ""
    reject_url: str = ""
    touch_url: str = ""

    @property
    def is_breached(self) -> bool:
        return self.status == ClockStatus.BREACHED


def inbox_scopes_for(user: User) -> list[tuple[str, str]]:
    """The inbox filters a user may pick: their own leads, and their team's when they manage one."""
    scopes = [(InboxScope.ME, "My leads")]
    if user.has_role(Role.SALES_MANAGER, Role.SALES_HEAD, Role.ADMIN):
        scopes.append((InboxScope.TEAM, "My team's leads"))
    return scopes


def _inbox_leads(user: User) -> QuerySet[Lead]:
    """Leads with their inbox annotations; record-level access comes from ``leads_visible_to``."""
    now = timezone.now()
    open_clocks = SlaClock.objects.open().select_related("policy").order_by("due_at", "id")
    last_touch = Touch.objects.filter(lead=OuterRef("pk")).order_by("-occurred_at", "-id")
    return (
        leads_visible_to(user)
        .select_related("owner")
        .annotate(
            next_due=Min(
                "sla_clocks__due_at",
                filter=Q(sla_clocks__met_at__isnull=True, sla_clocks__stopped_at__isnull=True),
            ),
            last_touch_id=Subquery(last_touch.values("pk")[:1]),
        )
        .annotate(
            overdue=Case(
                When(next_due__lte=now, then=Value(0)),
                When(next_due__isnull=True, then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .prefetch_related(Prefetch("sla_clocks", queryset=open_clocks, to_attr="open_clocks"))
    )


_URL_MARK = "987654321"


def _lead_url(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[lead_id])`` for many leads from one ``reverse``: a page of the inbox links
    each of its rows four ways, and reversing each link took longer than drawing the row."""
    pattern = reverse(name, args=[int(_URL_MARK)])
    before, after = pattern.split(_URL_MARK)
    return lambda lead_id: f"{before}{lead_id}{after}"


def _inbox_rows(user: User, leads: list[Lead]) -> list[InboxRow]:
    from accord.sla.services import ACCEPTED_STAGES, REJECTABLE_STAGES

    open_url, accept_url = _lead_url("leads:detail"), _lead_url("sla:inbox_accept")
    reject_url, touch_url = _lead_url("sla:inbox_reject"), _lead_url("sla:inbox_touch")

    touch_ids = [lead.last_touch_id for lead in leads if getattr(lead, "last_touch_id", None)]
    touches = {t.pk: t for t in Touch.objects.filter(pk__in=touch_ids)} if touch_ids else {}
    now = timezone.now()
    rows = []
    for lead in leads:
        clocks = getattr(lead, "open_clocks", [])
        clock = clocks[0] if clocks else None
        rows.append(
            InboxRow(
                lead=lead,
                clock=clock,
                status=clock.status_at(now) if clock else "",
                last_touch=touches.get(getattr(lead, "last_touch_id", None) or 0),
                can_accept=lead.owner_id is not None
                and lead.stage not in ACCEPTED_STAGES
                and lead.stage != Stage.DISQUALIFIED,
                can_reject=lead.owner_id is not None and lead.stage in REJECTABLE_STAGES,
                open_url=open_url(lead.pk),
                accept_url=accept_url(lead.pk),
                reject_url=reject_url(lead.pk),
                touch_url=touch_url(lead.pk),
            )
        )
    return rows


@dataclass(frozen=True)
class InboxFilters:
    """What the inbox is narrowed to: words in the name, email or company; a stage; an owner (team view)."""

    q: str = ""
    stage: str = ""
    owner: int | None = None


class InboxSection:
    TO_ACCEPT = "to_accept"
    TODAY = "today"
    OVERDUE = "overdue"
    WORKING = "working"


# The inbox's sections, in the order the page shows them (the most urgent first). They do not overlap: a
# lead past a deadline is overdue whatever its stage; otherwise an MQL is to accept, an accepted lead due
# by the end of today is to touch today, and the rest are being worked.
INBOX_SECTIONS: tuple[tuple[str, str, str], ...] = (
    (InboxSection.OVERDUE, "Overdue", "Past a deadline: act now, the owner's manager has been told."),
    (InboxSection.TO_ACCEPT, "To accept", "New leads assigned to you: accept or reject them."),
    (InboxSection.TODAY, "To touch today", "Leads you accepted whose next touch is due today."),
    (InboxSection.WORKING, "Working", "Leads in hand with a later deadline or none."),
)
INBOX_PAGE_SIZE = 20


@dataclass
class InboxPart:
    key: str
    title: str
    help: str
    rows: list[InboxRow]
    page: int
    has_next: bool


def _inbox_scope(user: User, scope: str, filters: InboxFilters) -> QuerySet[Lead]:
    """The leads the inbox shows (visible, in hand, narrowed by the scope and the filters), plain: no
    annotation, so it serves as a subquery and as a list that walks an index."""
    leads = leads_visible_to(user).filter(stage__in=INBOX_STAGES, owner__isnull=False)
    if scope == InboxScope.TEAM and dict(inbox_scopes_for(user)).get(InboxScope.TEAM):
        if not user.has_role(Role.SALES_HEAD, Role.ADMIN):
            leads = leads.filter(Q(owner=user) | Q(owner__team__manager=user) | Q(owner__manager=user))
        if filters.owner:
            leads = leads.filter(owner_id=filters.owner)
    else:
        leads = leads.filter(owner=user)
    if filters.stage in INBOX_STAGES:
        leads = leads.filter(stage=filters.stage)
    if filters.q.strip():
        words = filters.q.strip()
        leads = leads.filter(
            Q(email__icontains=words)
            | Q(company__icontains=words)
            | Q(first_name__icontains=words)
            | Q(last_name__icontains=words)
        )
    return leads


def _inbox_base(user: User, scope: str, filters: InboxFilters) -> QuerySet[Lead]:
    """``_inbox_scope`` with the inbox annotations (``next_due``, ``overdue``, the last touch)."""
    return _inbox_leads(user).filter(pk__in=_inbox_scope(user, scope, filters).values("pk"))


def _inbox_clock_owner(user: User, scope: str, filters: InboxFilters) -> int | None:
    """The one owner whose clocks a section reads, when the scope names one (the user's own inbox, or a
    rep picked in the team's); None when it spans several (the team's)."""
    if scope == InboxScope.TEAM and dict(inbox_scopes_for(user)).get(InboxScope.TEAM):
        return filters.owner or None
    return user.pk


def _inbox_running_clocks(scoped: QuerySet[Lead], owner: int | None) -> QuerySet[SlaClock]:
    """The running clocks that give the leads of ``scoped`` their deadline: each lead's soonest running
    clock of its owner, one per lead (built once, narrowed per section by ``_inbox_section_clocks``)."""
    clocks = SlaClock.objects.open().filter(lead__owner_id=F("owner_id"))
    if owner is not None:
        clocks = clocks.filter(owner_id=owner)
    earlier = (
        SlaClock.objects.open()
        .filter(lead_id=OuterRef("lead_id"), owner_id=OuterRef("owner_id"))
        .filter(Q(due_at__lt=OuterRef("due_at")) | Q(due_at=OuterRef("due_at"), id__lt=OuterRef("id")))
    )
    return clocks.filter(Exists(scoped.filter(pk=OuterRef("lead_id")))).filter(~Exists(earlier))


def _inbox_section_clocks(
    running: QuerySet[SlaClock], section: str, now: datetime, end_of_today: datetime
) -> QuerySet[SlaClock]:
    """The clocks of ``running`` that place their leads in ``section``, in the section's order (soonest
    deadline first, then the longest waiting lead). The index of running clocks by owner and deadline
    (or by deadline alone for a team) is walked in order and each clock's lead checked by its key, so a
    page reads the owner's running clocks in the section's window, never every lead of the rep or every
    clock."""
    if section == InboxSection.OVERDUE:
        clocks = running.filter(due_at__lte=now)
    elif section == InboxSection.TO_ACCEPT:
        clocks = running.filter(due_at__gt=now, lead__stage=Stage.MQL)
    elif section == InboxSection.TODAY:
        clocks = running.filter(due_at__gt=now, due_at__lte=end_of_today).exclude(lead__stage=Stage.MQL)
    else:
        clocks = running.filter(due_at__gt=end_of_today).exclude(lead__stage=Stage.MQL)
    return clocks.order_by("due_at", "lead__created_at", "lead_id")


def _inbox_section_idle(leads: QuerySet[Lead], section: str) -> QuerySet[Lead] | None:
    """The leads of ``section`` with no running clock (after those with one), longest waiting first: the
    index of the owner's leads by age, walked until the page is full; None for the sections that hold
    only leads with a deadline."""
    if section == InboxSection.TO_ACCEPT:
        leads = leads.filter(stage=Stage.MQL)
    elif section == InboxSection.WORKING:
        leads = leads.exclude(stage=Stage.MQL)
    else:
        return None
    running = SlaClock.objects.open().filter(lead=OuterRef("pk"), owner_id=OuterRef("owner_id"))
    return leads.filter(~Exists(running)).order_by("created_at", "id")


# What a row shows of its lead (a lead has some sixty columns, custom fields among them).
INBOX_ROW_FIELDS = (
    "id",
    "created_at",
    "stage",
    "first_name",
    "last_name",
    "email",
    "company",
    "title",
    "score",
    "utm_campaign",
    "owner",
)

# What a row shows of a clock and reads to tell its status.
INBOX_CLOCK_FIELDS = (
    "id",
    "lead_id",
    "owner_id",
    "kind",
    "due_at",
    "remind_at",
    "breached_at",
    "met_at",
    "stopped_at",
    "policy__reminder_before_minutes",
)


def _inbox_page_leads(ids: set[int]) -> list[Lead]:
    """The leads of a page (ids read through ``_inbox_scope``, so visible), with what their rows show:
    the owner, the running clocks soonest first (``open_clocks``) and the last touch's id."""
    if not ids:
        return []
    last_touch = Touch.objects.filter(lead=OuterRef("pk")).order_by("-occurred_at", "-id")
    leads = list(
        Lead.objects.filter(pk__in=ids)
        .select_related("owner")
        .only(*INBOX_ROW_FIELDS)
        .annotate(last_touch_id=Subquery(last_touch.values("pk")[:1]))
    )
    clocks: dict[int, list[SlaClock]] = {}
    running = (
        SlaClock.objects.open()
        .filter(lead_id__in=ids)
        .select_related("policy")
        .only(*INBOX_CLOCK_FIELDS)
        .order_by("due_at", "id")
    )
    for clock in running:
        clocks.setdefault(clock.lead_id, []).append(clock)
    for lead in leads:
        lead.open_clocks = clocks.get(lead.pk, [])  # type: ignore[attr-defined]
    return leads


def inbox_sections_for(
    *,
    user: User,
    scope: str = InboxScope.ME,
    filters: InboxFilters | None = None,
    only: str = "",
    page: int = 1,
    page_size: int = INBOX_PAGE_SIZE,
) -> list[InboxPart]:
    """The inbox in its four sections, each sorted by deadline (soonest first, leads with no deadline
    last, the longest waiting first among equals) and cut to a page; ``only`` shows one section at ``page``.

    No counts: each section reads one row past its page to know whether there is more. A fixed number
    of queries whatever the number of leads: per section, the leads with a running clock (the owner's
    running clocks walked in deadline order, ``_inbox_section_clocks``), then, for "to accept" and
    "working" when the page is not full, the leads with none (the owner's leads walked oldest first);
    then the rows of every section at once (the leads, their clocks, their last touches).

    A lead's deadline here is the soonest running clock of its owner: a clock starts for the lead's
    owner and stops when the lead changes hands, so this is every running clock of a lead in hand.
    """
    filters = filters or InboxFilters()
    scoped = _inbox_scope(user, scope, filters)
    running = _inbox_running_clocks(scoped, _inbox_clock_owner(user, scope, filters))
    now = timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=999999)
    pages: list[tuple[str, str, str, int, list[int]]] = []
    for key, title, help_text in INBOX_SECTIONS:
        if only and key != only:
            continue
        number = max(page, 1) if key == only else 1
        start, stop = (number - 1) * page_size, number * page_size + 1
        clocks = _inbox_section_clocks(running, key, now, end_of_today)
        ids = list(clocks.values_list("lead_id", flat=True)[start:stop])
        idle = _inbox_section_idle(scoped, key) if len(ids) < stop - start else None
        if idle is not None:
            # Leads with no running clock come after those with one: skip what the earlier pages showed.
            with_clock = start + len(ids) if ids or not start else clocks.count()
            skip = max(0, start - with_clock)
            ids += list(idle.values_list("pk", flat=True)[skip : skip + (stop - start) - len(ids)])
        pages.append((key, title, help_text, number, ids))
    wanted = {pk for *_, ids in pages for pk in ids[:page_size]}
    rows = {row.lead.pk: row for row in _inbox_rows(user, _inbox_page_leads(wanted))}
    parts = []
    for key, title, help_text, number, ids in pages:
        parts.append(
            InboxPart(
                key=key,
                title=title,
                help=help_text,
                rows=[rows[pk] for pk in ids[:page_size] if pk in rows],
                page=number,
                has_next=len(ids) > page_size,
            )
        )
    return parts


def inbox_owner_choices(*, user: User, scope: str) -> list[User]:
    """The reps the team inbox can be narrowed to: those the user manages (every rep for the sales head
    and admins, at most 200); none in the user's own inbox."""
    if scope != InboxScope.TEAM or not dict(inbox_scopes_for(user)).get(InboxScope.TEAM):
        return []
    reps = User.objects.filter(roles__role=Role.SALES_REP, is_active=True).distinct()
    if not user.has_role(Role.SALES_HEAD, Role.ADMIN):
        reps = reps.filter(pk__in=access.managed_user_ids(user))
    return list(reps.order_by("first_name", "username")[:200])


def inbox_rows_for(*, user: User, scope: str = InboxScope.ME, limit: int = INBOX_LIMIT) -> list[InboxRow]:
    """The user's open leads, most urgent first: breached ones (most overdue first), then the soonest due,
    then leads with no clock running. ``scope`` "team" adds the leads of the reps the user manages.

    A fixed number of queries whatever the number of rows.
    """
    leads = _inbox_base(user, scope, InboxFilters())
    leads = leads.order_by("overdue", "next_due", "-created_at", "id")[:limit]
    return _inbox_rows(user, list(leads))


def inbox_row_get(*, user: User, lead_id: int) -> InboxRow | None:
    """One inbox row as the user may see it now (None once the lead is out of their sight)."""
    lead = _inbox_leads(user).filter(pk=lead_id).first()
    return _inbox_rows(user, [lead])[0] if lead is not None else None


# --- conversion facts (C7) ---------------------------------------------------------------------------

MIN_SAMPLE = 10
FAST_TOUCH_BUSINESS_HOURS = 1.0
SQL_OR_LATER = (Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.LOYAL, Stage.ADVOCATE)
OPPORTUNITY_OR_LATER = (Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.LOYAL, Stage.ADVOCATE)


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``n``; ``percent`` is None when the sample is too small to say anything."""

    hits: int
    n: int

    @property
    def enough(self) -> bool:
        return self.n >= MIN_SAMPLE

    @property
    def percent(self) -> float | None:
        return round(100 * self.hits / self.n, 1) if self.enough else None


@dataclass(frozen=True)
class ConversionFacts:
    """How the leads a team received over a window turned out, split by how fast they were touched."""

    team_label: str
    since: datetime
    until: datetime
    fast: Rate  # first touch within 1 business hour of assignment -> opportunity
    slow: Rate  # touched later, or never -> opportunity
    accept_to_sql: Rate

    @property
    def enough(self) -> bool:
        return self.fast.enough and self.slow.enough


def conversion_team_for(user: User) -> tuple[list[Team], str]:
    """Whose facts a user sees: their own team, else the teams they manage, else every team."""
    if user.team_id:
        return [user.team], str(user.team)
    managed = list(Team.objects.filter(manager=user))
    if managed:
        return managed, ", ".join(str(t) for t in managed)
    return list(Team.objects.all()), "all teams"


def _first_event_after(rows: list[tuple[int, datetime]]) -> dict[int, list[datetime]]:
    by_lead: dict[int, list[datetime]] = {}
    for lead_id, at in rows:
        by_lead.setdefault(lead_id, []).append(at)
    for times in by_lead.values():
        times.sort()
    return by_lead


def _first_at_or_after(times: list[datetime], moment: datetime) -> datetime | None:
    return next((t for t in times if t >= moment), None)


def conversion_facts_for(
    *, teams: list[Team], team_label: str = "", now: datetime | None = None, days: int = 365
) -> ConversionFacts:
    """C7 facts from the event log for leads assigned to the teams' members in the last ``days`` days.

    Each lead counts once, from its first assignment to a member in the window. It is "fast" when its
    first 'lead.touched' event at or after that assignment came within 1 business hour (the owner's
    team calendar); every other lead, touched later or never, is "slow". It converted when a
    'lead.stage_changed' event at or after the assignment moved it to opportunity or beyond.
    Accept-to-SQL: leads a member accepted in the window ('lead.accepted', by owner) that later reached
    SQL or beyond. A fixed number of queries.
    """
    until = now or timezone.now()
    since = until - timedelta(days=days)
    members = dict(User.objects.filter(team__in=teams).values_list("pk", "team_id"))
    team_calendars = {t.pk: t.calendar() for t in teams}  # one query per team, never per lead
    calendars = {user_id: team_calendars[team_id] for user_id, team_id in members.items()}

    assigned: dict[int, tuple[datetime, int]] = {}
    for lead_id, at, owner_id in (
        Event.objects.filter(
            type="lead.assigned",
            subject_type="lead",
            occurred_at__gte=since,
            occurred_at__lte=until,
            payload__owner_id__in=list(members),
        )
        .order_by("occurred_at", "id")
        .values_list("subject_id", "occurred_at", "payload__owner_id")
    ):
        assigned.setdefault(lead_id, (at, int(owner_id)))

    accepted: dict[int, datetime] = {}
    for lead_id, at in (
        Event.objects.filter(
            type="lead.accepted",
            subject_type="lead",
            occurred_at__gte=since,
            occurred_at__lte=until,
            payload__owner__in=list(members),
        )
        .order_by("occurred_at", "id")
        .values_list("subject_id", "occurred_at")
    ):
        accepted.setdefault(lead_id, at)

    lead_ids = set(assigned) | set(accepted)
    touched = _first_event_after(
        list(
            Event.objects.filter(
                type="lead.touched", subject_type="lead", subject_id__in=list(assigned)
            ).values_list("subject_id", "occurred_at")
        )
    )
    stage_rows = list(
        Event.objects.filter(
            type="lead.stage_changed",
            subject_type="lead",
            subject_id__in=list(lead_ids),
            stage__in=SQL_OR_LATER,
        ).values_list("subject_id", "occurred_at", "stage")
    )
    to_opportunity = _first_event_after(
        [(lid, at) for lid, at, stage in stage_rows if stage in OPPORTUNITY_OR_LATER]
    )
    to_sql = _first_event_after([(lid, at) for lid, at, _ in stage_rows])

    fast_hits = fast_n = slow_hits = slow_n = 0
    for lead_id, (at, owner_id) in assigned.items():
        first_touch = _first_at_or_after(touched.get(lead_id, []), at)
        converted = _first_at_or_after(to_opportunity.get(lead_id, []), at) is not None
        is_fast = (
            first_touch is not None
            and calendars[owner_id].business_hours_between(at, first_touch) <= FAST_TOUCH_BUSINESS_HOURS
        )
        if is_fast:
            fast_n += 1
            fast_hits += converted
        else:
            slow_n += 1
            slow_hits += converted
    sql_hits = sum(1 for lead_id, at in accepted.items() if _first_at_or_after(to_sql.get(lead_id, []), at))
    return ConversionFacts(
        team_label=team_label or ", ".join(str(t) for t in teams),
        since=since,
        until=until,
        fast=Rate(fast_hits, fast_n),
        slow=Rate(slow_hits, slow_n),
        accept_to_sql=Rate(sql_hits, len(accepted)),
    )


# --- rejection feedback for marketing (X1, C1) -------------------------------------------------------

FEEDBACK_ROLES = access.REJECTION_FEEDBACK_ROLES


def rejection_feedback_allowed(user: User) -> bool:
    """Marketing, both heads, executives and admins read why sales sends leads back."""
    return bool(getattr(user, "is_authenticated", False) and user.has_role(*FEEDBACK_ROLES))


@dataclass
class RejectionNote:
    lead_id: int
    lead: str
    reason: str
    note: str
    rep: str
    at: datetime


@dataclass
class RejectionFeedback:
    """Rejections in a period counted four ways, with the notes reps wrote."""

    start: date
    end: date
    total: int = 0
    by_reason: list[tuple[str, int]] = field(default_factory=list)
    by_source: list[tuple[str, int]] = field(default_factory=list)
    by_campaign: list[tuple[str, int]] = field(default_factory=list)
    by_criteria_version: list[tuple[str, int]] = field(default_factory=list)
    notes: list[RejectionNote] = field(default_factory=list)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the organisation's time zone, as aware datetimes."""
    zone = timezone.get_default_timezone()
    return (
        datetime.combine(start, time.min, zone),
        datetime.combine(end + timedelta(days=1), time.min, zone),
    )


def rejection_feedback_for(
    *, user: User, start: date, end: date, notes_limit: int = 200
) -> RejectionFeedback:
    """Counts of 'lead.rejected' events from ``start`` to ``end`` (inclusive) by reason, source, campaign and
    criteria version, read from each event's payload (what the lead was when it was rejected)."""
    from accord.core.errors import AccessDenied
    from accord.qualification.models import CriteriaSet

    if not rejection_feedback_allowed(user):
        raise AccessDenied("Rejection feedback is for marketing, the heads, executives and admins.")
    lo, hi = period_bounds(start, end)
    events = list(
        Event.objects.filter(type="lead.rejected", occurred_at__gte=lo, occurred_at__lt=hi)
        .select_related("actor")
        .order_by("-occurred_at", "-id")
    )
    source_ids = {e.payload.get("source") for e in events if e.payload.get("source")}
    sources = dict(Source.objects.filter(pk__in=source_ids).values_list("pk", "name")) if source_ids else {}
    version_ids = {e.payload.get("criteria_version") for e in events if e.payload.get("criteria_version")}
    versions = (
        dict(CriteriaSet.objects.filter(pk__in=version_ids).values_list("pk", "version"))
        if version_ids
        else {}
    )
    lead_ids = {e.subject_id for e in events[:notes_limit] if e.payload.get("note")}
    leads = {lead.pk: str(lead) for lead in Lead.objects.filter(pk__in=lead_ids)} if lead_ids else {}
    reasons, by_source, campaigns, by_version = Counter(), Counter(), Counter(), Counter()
    labels = dict(RejectionReason.choices)
    for event in events:
        p = event.payload
        reasons[labels.get(p.get("reason", ""), p.get("reason") or "unknown")] += 1
        by_source[sources.get(p.get("source")) or p.get("lead_source") or "(no source)"] += 1
        campaigns[p.get("campaign") or "(no campaign)"] += 1
        version = versions.get(p.get("criteria_version"))
        by_version[f"v{version}" if version else "(no criteria version)"] += 1
    feedback = RejectionFeedback(start=start, end=end, total=len(events))
    feedback.by_reason = reasons.most_common()
    feedback.by_source = by_source.most_common()
    feedback.by_campaign = campaigns.most_common()
    feedback.by_criteria_version = by_version.most_common()
    feedback.notes = [
        RejectionNote(
            lead_id=e.subject_id,
            lead=leads.get(e.subject_id, f"Lead {e.subject_id}"),
            reason=labels.get(e.payload.get("reason", ""), e.payload.get("reason", "")),
            note=e.payload["note"],
            rep=str(e.actor) if e.actor else "",
            at=e.occurred_at,
        )
        for e in events[:notes_limit]
        if e.payload.get("note")
    ]
    return feedback


def open_clocks_prefetch() -> Prefetch:
    """A lead's running clocks, soonest first, into ``lead.open_clocks`` (the lead API lists them)."""
    return Prefetch(
        "sla_clocks", queryset=SlaClock.objects.open().order_by("due_at", "id"), to_attr="open_clocks"
    )
