"""Record-level access, in one place: who may see which rows, and who may act on them.

Every page, API operation, export and search reads rows through the querysets here
(``leads_visible_to(user)``, ``deals_actionable_by(user)``, ... or ``restrict(queryset, user, action)``),
and every write asks "may act", never "may see", through ``access_<entity>_by_id`` or the
``*_actionable_by`` querysets. Nothing filters rows in Python.

**Two questions, two answers.** A record outside what a person may see does not exist for them: it is
a 404, exactly like a missing one. A record they see but may not act on is a 403 that says who may.

**The relations** (written down once):

- *owner*: the user in the record's ``owner`` field.
- *team*: the owner's sales team (``User.team``).
- *manages*: a manager manages everyone below them: their direct reports (``User.manager``), the
  members of the teams they manage (``Team.manager``), and, repeatedly, everyone those people manage.
  So a sales head at the top of the chain manages every rep under every manager under them.

  Why the whole chain and not only direct reports: escalations already climb the whole chain (a breach
  reaches the manager's manager), so a person who is asked to step in must be able to open and work
  the lead; and a manager of managers answers for all their teams' numbers. Before this module the lead
  lists meant "direct reports" while the SLA actions meant "the whole chain", so a second-level manager
  could accept a lead they could not open.

**The role groups** (who sees or acts on every row of a kind, whatever the relations) are the
frozensets below; the rules per entity are in each function's docstring and in docs/access.md.

This module sits in ``people``, below the apps whose rows it restricts, so it names their models by
label (``"leads.Lead"``) through the app registry instead of importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeGuard

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import HttpRequest

from accord.core.errors import AccessDenied, NotFound
from accord.people.models import Role, Team, User

# --- role groups -------------------------------------------------------------------------------------

# See every lead, account, deal and clock (marketing works the whole funnel; heads and executives
# answer for all of it).
ALL_RECORDS_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE}
)
# Act on every lead and deal they can see: admins, and the sales head who runs all of sales.
ACT_ON_ALL_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD})
MARKETING_ROLES = frozenset({Role.MARKETING, Role.MARKETING_HEAD})
SALES_ROLES = frozenset({Role.SALES_REP, Role.SALES_MANAGER, Role.SALES_HEAD})
# Sales people: they see their own records, their team's leads and everyone's they manage.
SALES_FLOOR_ROLES = frozenset({Role.SALES_REP, Role.SALES_MANAGER})
# Set a lead's lifecycle stage on any lead they see (marketing owns nurture and recycling).
LEAD_STAGE_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD})
# Edit the fields of any lead they see (marketing keeps the data clean across the funnel); others edit
# the leads they may act on.
LEAD_EDIT_ALL_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD})
# Edit a lead's email and first-touch attribution (source as sent, UTM values): marketing and admins.
LEAD_ATTRIBUTION_EDIT_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Work the duplicates queue and merge leads.
MERGE_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD})
# Reassign a lead they may act on to another rep.
REASSIGN_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD, Role.SALES_MANAGER})
# Convert a lead they may act on into a deal.
CONVERT_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD, Role.SALES_MANAGER, Role.SALES_REP})
# Create and change campaigns, their costs and their communications.
CAMPAIGN_MANAGER_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Read communications and their A/B results.
COMMUNICATION_READER_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.MARKETING,
        Role.MARKETING_HEAD,
        Role.SALES_REP,
        Role.SALES_MANAGER,
        Role.SALES_HEAD,
        Role.EXECUTIVE,
    }
)
# Take in leads through the API (executives read only).
INTAKE_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_REP, Role.SALES_MANAGER, Role.SALES_HEAD}
)
# Create intake sources (forms, API keys).
SOURCE_MANAGER_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Upload CSV imports and follow every import job.
IMPORT_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Decide external qualification reviews (marketing, or the provider's account holding a marketing role).
EXTERNAL_REVIEWER_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Move leads to the trash and restore them (privacy).
TRASH_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD})
# Erase a person and export what is held about them (privacy requests).
PRIVACY_ROLES = frozenset({Role.ADMIN})
# Read configuration changes in the audit trail (admins read every change record).
AUDIT_CONFIG_READER_ROLES = frozenset({Role.MARKETING_HEAD, Role.SALES_HEAD})
# Manage outgoing webhooks, read export records.
ADMIN_ROLES = frozenset({Role.ADMIN})

# Feature role groups: who may use a whole feature, whatever the record (a 403 before any lookup).
# Edit criteria drafts.
CRITERIA_EDITOR_ROLES = frozenset({Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.ADMIN})
# Change routing rules, activate a version (and, with the record rule above, reassign leads).
ROUTING_EDITOR_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD, Role.SALES_MANAGER})
# Read the routing pages and API (the marketing head reads only).
ROUTING_READER_ROLES = ROUTING_EDITOR_ROLES | {Role.MARKETING_HEAD}
# Read revenue attribution: everyone but individual reps (it is revenue of every team).
ATTRIBUTION_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.SALES_MANAGER, Role.EXECUTIVE}
)
# Read every team's scorecards (managers read their teams', reps their own row).
ALL_TEAMS_SCORECARD_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD, Role.MARKETING_HEAD, Role.EXECUTIVE})
# Read marketing's rejection feedback.
REJECTION_FEEDBACK_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE}
)
# Read each dashboard.
DASHBOARD_ROLES: dict[str, frozenset[str]] = {
    "marketing": frozenset(
        {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE}
    ),
    "sales": frozenset(
        {Role.ADMIN, Role.SALES_MANAGER, Role.SALES_HEAD, Role.MARKETING_HEAD, Role.EXECUTIVE}
    ),
    "executive": frozenset({Role.ADMIN, Role.EXECUTIVE, Role.MARKETING_HEAD, Role.SALES_HEAD}),
}

# Whom the querysets answer: a signed-in user, or the anonymous one (who sees and may do nothing).
Viewer = User | AnonymousUser

Action = Literal["view", "act", "stage", "reassign", "convert", "merge", "edit"]


# --- the relations -------------------------------------------------------------------------------------


def signed_in_user(request: HttpRequest) -> User:
    """The user of a request only a signed-in user reaches (a page behind ``login_required``, an API
    operation behind the API's authentication), as the ``User`` that services and selectors take.

    Django types ``request.user`` as ``User | AnonymousUser``; this narrows it once, where sign-in is
    already required, instead of a cast at every call.
    """
    user = request.user
    if not isinstance(user, User):
        raise AccessDenied(
            "This needs a signed-in user: sign in, then try again.", detail={"user": "anonymous"}
        )
    return user


def is_signed_in(user: Viewer) -> TypeGuard[User]:
    """An active, signed-in user (anonymous and deactivated users see nothing)."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def managed_user_ids(user: Viewer) -> frozenset[int]:
    """The ids of everyone ``user`` manages: direct reports, members of teams they manage, and so on down.

    One query per level of the hierarchy; cycles are cut. Cached on the user object for the request,
    like its roles.
    """
    if not is_signed_in(user) or not user.pk:
        return frozenset()
    cached = getattr(user, "_managed_ids_cache", None)
    if cached is not None:
        return cached
    found: set[int] = set()
    frontier = {user.pk}
    while frontier:
        below = set(
            User.objects.filter(Q(manager_id__in=frontier) | Q(team__manager_id__in=frontier)).values_list(
                "pk", flat=True
            )
        )
        frontier = below - found - {user.pk}
        found |= frontier
    result = frozenset(found)
    user._managed_ids_cache = result
    return result


def team_members(user: Viewer) -> QuerySet[User]:
    """The members of the user's sales team (themselves included), as a subquery: the database filters
    leads by ``owner_id IN (...)`` while it walks a list's index, where a join to every lead's owner
    to compare teams made PostgreSQL hash-join and sort every matching lead for one page."""
    if not is_signed_in(user) or not user.team_id:
        return User.objects.none()
    return User.objects.filter(team_id=user.team_id)


def managed_users(user: Viewer) -> QuerySet[User]:
    """Everyone ``user`` manages (see ``managed_user_ids``)."""
    return User.objects.filter(pk__in=managed_user_ids(user))


def manages(manager: Viewer, person: User | int | None) -> bool:
    """Whether ``manager`` is above ``person``: the one definition of "manages"."""
    person_id = getattr(person, "pk", person)
    return person_id is not None and person_id in managed_user_ids(manager)


def managers_of(person: User) -> QuerySet[User]:
    """Everyone who manages ``person`` (their chain up, and the chain above their team's manager)."""
    ids: set[int] = set()
    frontier: set[int] = {person.pk}
    while frontier:
        people = User.objects.filter(pk__in=frontier).select_related("team")
        above = {u.manager_id for u in people if u.manager_id}
        above |= {u.team.manager_id for u in people if u.team_id and u.team and u.team.manager_id}
        frontier = above - ids - {person.pk}
        ids |= frontier
    return User.objects.filter(pk__in=ids)


def managed_teams(user: Viewer) -> QuerySet[Any]:
    """Teams the user manages, and the teams of everyone they manage (their scorecards' teams)."""
    if not is_signed_in(user):
        return Team.objects.none()
    return Team.objects.filter(Q(manager_id=user.pk) | Q(members__in=managed_user_ids(user))).distinct()


def owned_or_managed(user: Viewer, owner: str = "owner") -> Q:
    """Rows whose ``owner`` field is the user or someone the user manages."""
    return Q(**{f"{owner}_id": user.pk}) | Q(**{f"{owner}_id__in": managed_user_ids(user)})


def _roles(user: Viewer) -> frozenset[str]:
    return user.role_set if is_signed_in(user) else frozenset()


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


def _all(label: str) -> QuerySet[Any]:
    return _model(label)._default_manager.all()


# --- leads -----------------------------------------------------------------------------------------------

# A lead nobody owns that routing left in a queue (the fallback queue or a rule's): sales managers see
# it and may claim or assign it (with the sales head and admins, who see and act on every lead).
WAITING_IN_QUEUE = Q(owner__isnull=True, routing__queue__isnull=False)


def leads_visible_to(user: Viewer) -> QuerySet[Any]:
    """Leads a user may see.

    Marketing, heads, executives and admins see every lead. A rep or manager sees their own leads,
    their team's, and those of everyone they manage; a manager also the leads waiting in a queue. Anyone
    else sees none. Merged-away leads and leads in the trash are hidden from everyone.
    """
    # NOT IN (the trash's lead ids), not a LEFT JOIN ... IS NULL: PostgreSQL plans the join as a hash
    # join, which loses the order of the index a list walks, so every matching lead was read and sorted
    # for a page of 50 (135 ms against 1 ms at 100k leads); the subquery is hashed once per query.
    live = _model("leads.Lead").objects.live().exclude(pk__in=_all("privacy.LeadTrash").values("lead_id"))
    roles = _roles(user)
    if roles & ALL_RECORDS_ROLES:
        return live
    if not roles & SALES_FLOOR_ROLES:
        return live.none()
    condition = owned_or_managed(user)
    if isinstance(user, User) and user.team_id:  # roles imply a signed-in user; this tells mypy
        condition |= Q(owner_id__in=team_members(user).values("pk"))
    if Role.SALES_MANAGER in roles:
        condition |= WAITING_IN_QUEUE
    return live.filter(condition)


def leads_actionable_by(user: Viewer, action: Action = "act") -> QuerySet[Any]:
    """Leads a user may act on, among those they see.

    - ``act`` (accept, reject, touch, record an outcome, change a customer stage): the owner and everyone
      who manages the owner; admins and the sales head on every lead.
    - ``convert`` into a deal: as ``act``, for sales roles and admins.
    - ``reassign``: as ``act``, for sales managers, the sales head and admins; managers also claim and
      assign the leads waiting in a queue.
    - ``stage`` (set the lifecycle stage by hand): as ``act``, plus marketing on every lead.
    - ``merge`` (the duplicates queue): marketing, the sales head and admins, on every lead.
    - ``edit`` (change its fields): as ``act``, plus marketing on every lead. Which fields each role
      may change is ``lead_editable_fields`` (leads.services).
    """
    visible = leads_visible_to(user)
    roles = _roles(user)
    if action == "view":
        return visible
    if action == "merge":
        return visible if roles & MERGE_ROLES else visible.none()
    if action == "stage" and roles & LEAD_STAGE_ROLES:
        return visible
    if action == "edit" and roles & LEAD_EDIT_ALL_ROLES:
        return visible
    if action == "convert" and not roles & CONVERT_ROLES:
        return visible.none()
    if action == "reassign" and not roles & REASSIGN_ROLES:
        return visible.none()
    if roles & ACT_ON_ALL_ROLES:
        return visible
    if not roles:
        return visible.none()
    if action == "reassign" and Role.SALES_MANAGER in roles:
        # A manager claims leads waiting in a queue, or hands them to a rep they manage.
        return visible.filter(owned_or_managed(user) | WAITING_IN_QUEUE)
    return visible.filter(owned_or_managed(user))


LEAD_REFUSALS = {
    "act": "Only the lead's owner, the people who manage them, the sales head and admins may act on this lead.",
    "convert": "Only the lead's owner, the people who manage them, the sales head and admins may convert "
    "this lead into a deal.",
    "reassign": "Only the owner's managers, the sales head and admins may reassign this lead.",
    "stage": "Only marketing, the heads, admins, the lead's owner and the people who manage them may change "
    "its stage.",
    "merge": "Only marketing, the sales head and admins work the duplicates queue.",
    "edit": "Only marketing, the heads, admins, the lead's owner and the people who manage them may edit this "
    "lead.",
}


def access_lead_by_id(user: Viewer, lead_id: int, *, action: Action = "act", lock: bool = False) -> Any:
    """The lead ``lead_id`` if ``user`` may do ``action`` to it.

    NotFound (404) when they may not see it; AccessDenied (403) when they see it but may not act.
    ``lock`` takes a row lock (inside a transaction) so the check and the write see the same row.
    """
    return _access_by_id(
        visible=leads_visible_to(user).select_related("account", "owner", "source", "criteria_version"),
        actionable=leads_actionable_by(user, action),
        pk=lead_id,
        noun="Lead",
        action=action,
        refusals=LEAD_REFUSALS,
        lock=lock,
    )


# --- accounts -------------------------------------------------------------------------------------------


def accounts_visible_to(user: Viewer) -> QuerySet[Any]:
    """Accounts a user may see: every account for the all-records roles, else those they own, manage the
    owner of, or hold a visible lead of."""
    accounts = _all("leads.Account")
    roles = _roles(user)
    if roles & ALL_RECORDS_ROLES:
        return accounts
    if not roles & SALES_FLOOR_ROLES:
        return accounts.none()
    return accounts.filter(
        owned_or_managed(user)
        | Q(pk__in=leads_visible_to(user).filter(account__isnull=False).values("account"))
    )


def accounts_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Accounts a user may take account-control steps on (copies of marketing mail, sending under their
    name): admins every account; anyone else those owned by themselves, by someone they manage, or by a
    member of their team (the team's territory)."""
    accounts = _all("leads.Account")
    roles = _roles(user)
    if roles & ADMIN_ROLES:
        return accounts
    if not roles:
        return accounts.none()
    condition = owned_or_managed(user)
    if isinstance(user, User) and user.team_id:  # roles imply a signed-in user; this tells mypy
        condition |= Q(owner_id__in=team_members(user).values("pk"))
    return accounts.filter(condition)


# --- deals ----------------------------------------------------------------------------------------------


def deals_visible_to(user: Viewer) -> QuerySet[Any]:
    """Deals a user may see: the all-records roles every deal; sales their own and those of everyone they
    manage (a rep does not see a teammate's deals: revenue is personal until it is the team's)."""
    deals = _all("deals.Deal")
    roles = _roles(user)
    if roles & ALL_RECORDS_ROLES:
        return deals
    if not roles & SALES_FLOOR_ROLES:
        return deals.none()
    return deals.filter(owned_or_managed(user))


def deals_actionable_by(user: Viewer, action: Action = "act") -> QuerySet[Any]:
    """Deals a user may move, win or lose: the owner, everyone who manages the owner, the sales head and
    admins. Marketing and executives read deals and act on none."""
    visible = deals_visible_to(user)
    roles = _roles(user)
    if action == "view":
        return visible
    if roles & ACT_ON_ALL_ROLES:
        return visible
    if not roles & SALES_FLOOR_ROLES:
        return visible.none()
    return visible.filter(owned_or_managed(user))


DEAL_REFUSALS = {
    "act": "Only the deal's owner, the people who manage them, the sales head and admins may change this deal."
}


def access_deal_by_id(user: Viewer, deal_id: int, *, action: Action = "act", lock: bool = False) -> Any:
    """The deal ``deal_id`` if ``user`` may do ``action`` to it; 404 when unseen, 403 when seen only."""
    return _access_by_id(
        visible=deals_visible_to(user).select_related("account", "contact", "owner"),
        actionable=deals_actionable_by(user, action),
        pk=deal_id,
        noun="Deal",
        action=action,
        refusals=DEAL_REFUSALS,
        lock=lock,
    )


# --- campaigns, their costs, touchpoints, communications and deliveries ---------------------------------


def campaigns_visible_to(user: Viewer) -> QuerySet[Any]:
    """Every signed-in person reads every campaign (and its costs)."""
    campaigns = _all("campaigns.Campaign")
    return campaigns if is_signed_in(user) else campaigns.none()


def campaigns_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Marketing and admins create and change campaigns, their costs and communications."""
    campaigns = campaigns_visible_to(user)
    return campaigns if _roles(user) & CAMPAIGN_MANAGER_ROLES else campaigns.none()


def cost_lines_visible_to(user: Viewer) -> QuerySet[Any]:
    """Cost lines of the campaigns a user sees."""
    return _all("campaigns.CostLine").filter(campaign__in=campaigns_visible_to(user))


def touchpoints_visible_to(user: Viewer) -> QuerySet[Any]:
    """Touchpoints on leads the user sees."""
    return _all("campaigns.Touchpoint").filter(lead__in=leads_visible_to(user))


def communications_visible_to(user: Viewer) -> QuerySet[Any]:
    """Marketing, sales, executives and admins read every communication and its result."""
    communications = _all("campaigns.Communication")
    return communications if _roles(user) & COMMUNICATION_READER_ROLES else communications.none()


def communications_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Marketing and admins create, edit, schedule and send communications."""
    communications = communications_visible_to(user)
    return communications if _roles(user) & CAMPAIGN_MANAGER_ROLES else communications.none()


def deliveries_visible_to(user: Viewer) -> QuerySet[Any]:
    """Deliveries of the communications a user reads, to leads they see."""
    return _all("campaigns.Delivery").filter(
        communication__in=communications_visible_to(user), lead__in=leads_visible_to(user)
    )


def deliveries_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Deliveries whose outcome a user may record: marketing every one they see (integrations, imports),
    anyone else those to leads they may act on."""
    visible = deliveries_visible_to(user)
    if _roles(user) & CAMPAIGN_MANAGER_ROLES:
        return visible
    return visible.filter(lead__in=leads_actionable_by(user, "act"))


# --- SLA clocks and touches ----------------------------------------------------------------------------


def sla_clocks_visible_to(user: Viewer) -> QuerySet[Any]:
    """SLA clocks on leads the user sees."""
    return _all("sla.SlaClock").filter(lead__in=leads_visible_to(user))


def touches_visible_to(user: Viewer) -> QuerySet[Any]:
    """Touches (calls, emails, meetings) on leads the user sees."""
    return _all("sla.Touch").filter(lead__in=leads_visible_to(user))


def external_reviews_visible_to(user: Viewer) -> QuerySet[Any]:
    """External qualification reviews: reviewers see and decide those of the leads they see."""
    reviews = _all("sla.ExternalReview")
    if not _roles(user) & EXTERNAL_REVIEWER_ROLES:
        return reviews.none()
    return reviews.filter(lead__in=leads_visible_to(user))


# --- teams, their calendars and people's absences ------------------------------------------------------

# Edit every team (hours, holidays, members' capacity and absences) and create teams.
TEAM_ADMIN_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD})


def teams_actionable_by(user: Viewer) -> QuerySet[Team]:
    """Teams whose working hours, holidays, members' capacity and absences a user may change: admins and
    the sales head every team; a sales manager the teams they manage (and those below them)."""
    roles = _roles(user)
    if roles & TEAM_ADMIN_ROLES:
        return Team.objects.all()
    if Role.SALES_MANAGER in roles:
        return managed_teams(user)
    return Team.objects.none()


def access_team_by_id(user: Viewer, team_id: int) -> Team:
    """The team ``team_id`` if the user may change it: 404 when it does not exist, 403 when it is not
    theirs to change."""
    team = Team.objects.select_related("manager").filter(pk=team_id).first()
    if team is None or not is_signed_in(user):
        raise NotFound(f"Team {team_id} was not found.", detail={"id": team_id})
    if not teams_actionable_by(user).filter(pk=team_id).exists():
        raise AccessDenied(
            "Only the team's manager, the sales head and admins may change this team.",
            detail={"id": team_id, "action": "act"},
        )
    return team


def absences_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Absences a user may add or remove: their own; a manager also those of everyone they manage;
    admins and the sales head everyone's."""
    absences = _all("people.Absence")
    roles = _roles(user)
    if not roles and not is_signed_in(user):
        return absences.none()
    if roles & TEAM_ADMIN_ROLES:
        return absences
    return absences.filter(Q(user_id=user.pk) | Q(user_id__in=managed_user_ids(user)))


def may_set_absence_for(user: Viewer, person: User) -> bool:
    """Whether ``user`` may mark ``person`` away: themselves, someone they manage, or (admins, the sales
    head) anyone."""
    if not is_signed_in(user):
        return False
    return person.pk == user.pk or bool(_roles(user) & TEAM_ADMIN_ROLES) or manages(user, person)


# --- follow-up tasks ------------------------------------------------------------------------------------


def follow_ups_visible_to(user: Viewer) -> QuerySet[Any]:
    """Follow-up tasks: a person sees their own, those of everyone they manage, and (the sales head and
    admins) every task; always only on leads they see."""
    tasks = _all("sla.FollowUp")
    roles = _roles(user)
    if not roles:
        return tasks.none()
    on_visible = tasks.filter(lead__in=leads_visible_to(user))
    if roles & ACT_ON_ALL_ROLES:
        return on_visible
    return on_visible.filter(owned_or_managed(user, owner="assignee"))


def follow_ups_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Mark done or change a follow-up task: the same people who see it (its assignee, their managers,
    the sales head, admins)."""
    return follow_ups_visible_to(user)


FOLLOW_UP_REFUSALS = {
    "act": "Only the task's assignee, the people who manage them, the sales head and admins may "
    "change this task."
}


def access_follow_up_by_id(user: Viewer, task_id: int, *, lock: bool = False) -> Any:
    """The follow-up task ``task_id`` if ``user`` may act on it (404 when unseen)."""
    return _access_by_id(
        visible=follow_ups_visible_to(user).select_related("lead", "assignee"),
        actionable=follow_ups_actionable_by(user),
        pk=task_id,
        noun="Task",
        action="act",
        refusals=FOLLOW_UP_REFUSALS,
        lock=lock,
    )


# --- imports, notifications, audit, webhooks and the person's own settings ------------------------------


def import_jobs_visible_to(user: Viewer) -> QuerySet[Any]:
    """CSV import jobs: the marketing desk and admins follow every job (imports are shared work)."""
    jobs = _all("leads.ImportJob")
    return jobs if _roles(user) & IMPORT_ROLES else jobs.none()


def import_jobs_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Map, preview, run and retry an import: the same people who follow it."""
    return import_jobs_visible_to(user)


def queued_submissions_visible_to(user: Viewer) -> QuerySet[Any]:
    """Queued submissions: the marketing desk and admins follow every one (they run the forms); any
    other caller allowed to submit leads follows the ones it handed in."""
    submissions = _all("leads.QueuedSubmission")
    if not is_signed_in(user):
        return submissions.none()
    if _roles(user) & SOURCE_MANAGER_ROLES:
        return submissions
    if _roles(user) & INTAKE_ROLES:
        return submissions.filter(actor_id=user.pk)
    return submissions.none()


def queued_submissions_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Try a failed submission again: the marketing desk and admins, who can fix what refused it."""
    submissions = _all("leads.QueuedSubmission")
    return submissions if _roles(user) & SOURCE_MANAGER_ROLES else submissions.none()


def duplicates_visible_to(user: Viewer) -> QuerySet[Any]:
    """Possible duplicates whose leads are both seen by someone who works the queue."""
    pairs = _all("leads.PossibleDuplicate")
    roles = _roles(user)
    if not roles & MERGE_ROLES:
        return pairs.none()
    if roles & ALL_RECORDS_ROLES:
        # Every live lead is visible to them: say so row by row (two joins per pair) rather than as
        # "IN (every visible lead)" twice, so the queue reads its first page off an index and stops.
        trash = _all("privacy.LeadTrash")
        return pairs.filter(lead__merged_into__isnull=True, other__merged_into__isnull=True).exclude(
            Exists(trash.filter(lead_id=OuterRef("lead_id")))
            | Exists(trash.filter(lead_id=OuterRef("other_id")))
        )
    visible = leads_visible_to(user)
    return pairs.filter(lead__in=visible, other__in=visible)


def trashed_leads_visible_to(user: Viewer) -> QuerySet[Any]:
    """Leads in the trash (privacy.LeadTrash rows): those who may delete leads see and restore them all."""
    rows = _all("privacy.LeadTrash")
    return rows if _roles(user) & TRASH_ROLES else rows.none()


def notifications_visible_to(user: Viewer) -> QuerySet[Any]:
    """Each person reads and marks only their own notifications."""
    notes = _all("notifications.Notification")
    return notes.filter(user_id=user.pk) if is_signed_in(user) else notes.none()


def copy_requests_visible_to(user: Viewer) -> QuerySet[Any]:
    """A person's own requests for copies of communications (their account settings)."""
    rows = _all("notifications.CommunicationCopyRequest")
    return rows.filter(user_id=user.pk) if is_signed_in(user) else rows.none()


def sender_consents_visible_to(user: Viewer) -> QuerySet[Any]:
    """A person's own sender consents (their account settings)."""
    rows = _all("notifications.SenderConsent")
    return rows.filter(user_id=user.pk) if is_signed_in(user) else rows.none()


def change_records_visible_to(user: Viewer) -> QuerySet[Any]:
    """Audit change records: admins read all, the heads read configuration changes, nobody else any."""
    records = _all("audit.ChangeRecord")
    roles = _roles(user)
    if roles & ADMIN_ROLES:
        return records
    if roles & AUDIT_CONFIG_READER_ROLES:
        return records.filter(is_configuration=True)
    return records.none()


def export_records_visible_to(user: Viewer) -> QuerySet[Any]:
    """Who exported what: admins only."""
    records = _all("audit.ExportRecord")
    return records if _roles(user) & ADMIN_ROLES else records.none()


def webhook_endpoints_visible_to(user: Viewer) -> QuerySet[Any]:
    """Outgoing webhook endpoints: admins only (they carry signing secrets)."""
    endpoints = _all("webhooks.WebhookEndpoint")
    return endpoints if _roles(user) & ADMIN_ROLES else endpoints.none()


def webhook_deliveries_visible_to(user: Viewer) -> QuerySet[Any]:
    """Deliveries of the webhook endpoints a user manages."""
    return _all("webhooks.WebhookDelivery").filter(endpoint__in=webhook_endpoints_visible_to(user))


# --- enablement: briefs, materials, committee reviews, positioning rounds --------------------------------

# Draft briefs, make materials, decide on reviews, publish and retire: marketing (and admins).
ENABLEMENT_EDITOR_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Read briefs and the library; sales add to briefs, comment, rate, share and submit their own material.
ENABLEMENT_READER_ROLES = frozenset(Role.values)
# Add to a brief and accept it for their side: marketing and every sales role.
BRIEF_WRITER_ROLES = ENABLEMENT_EDITOR_ROLES | SALES_ROLES
# Choose the sales committee of a plan period: the two heads and admins.
COMMITTEE_CHOOSER_ROLES = frozenset({Role.ADMIN, Role.MARKETING_HEAD, Role.SALES_HEAD})


def briefs_visible_to(user: Viewer) -> QuerySet[Any]:
    """Briefs are the shared message: every signed-in person with a role reads every brief."""
    briefs = _all("enablement.Brief")
    return briefs if _roles(user) & ENABLEMENT_READER_ROLES else briefs.none()


def briefs_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Marketing drafts, sales adds: marketing, sales and admins change briefs and accept them."""
    briefs = briefs_visible_to(user)
    return briefs if _roles(user) & BRIEF_WRITER_ROLES else briefs.none()


def materials_visible_to(user: Viewer) -> QuerySet[Any]:
    """Marketing and admins see every material. Everyone else with a role sees what is in the library
    (published, not retired), their own material, what is in front of them as a committee reviewer,
    and what waits for a gate (compliance, legal) they decide."""
    materials = _all("enablement.Material")
    roles = _roles(user)
    if roles & ENABLEMENT_EDITOR_ROLES:
        return materials
    if not roles & ENABLEMENT_READER_ROLES:
        return materials.none()
    condition = Q(published_version__isnull=False, retired_at__isnull=True) | Q(owner_id=user.pk)
    condition |= Q(pk__in=_all("enablement.CommitteeReview").filter(reviewers=user.pk).values("material"))
    gates = set(_all("enablement.Approver").filter(user_id=user.pk).values_list("gate", flat=True))
    pending = Q(status__in=("in_review", "approved"))
    if "compliance" in gates:
        condition |= pending & Q(needs_compliance=True)
    if "legal" in gates:
        condition |= pending & Q(needs_legal=True)
    return materials.filter(condition)


def materials_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Change a material, add a version, send it to review: marketing and admins every one, anyone else
    their own (a rep's own material, submitted so the best is adopted)."""
    visible = materials_visible_to(user)
    roles = _roles(user)
    if roles & ENABLEMENT_EDITOR_ROLES:
        return visible
    if not roles:
        return visible.none()
    return visible.filter(owner_id=user.pk)


MATERIAL_REFUSALS = {
    "act": "Only marketing, admins and the material's owner may change this material.",
    "decide": "Only marketing and admins decide on, publish and retire material; the committee advises.",
}


def access_material_by_id(user: Viewer, material_id: int, *, action: str = "act", lock: bool = False) -> Any:
    """The material if ``user`` may do ``action``: ``view``, ``act`` (change, new version, submit for
    review) or ``decide`` (publish, retire: marketing and admins). 404 unseen, 403 seen only."""
    visible = materials_visible_to(user)
    if action == "decide":
        actionable = visible if _roles(user) & ENABLEMENT_EDITOR_ROLES else visible.none()
    else:
        actionable = materials_actionable_by(user)
    return _access_by_id(
        visible=visible.select_related("brief", "owner", "current_version", "published_version"),
        actionable=actionable,
        pk=material_id,
        noun="Material",
        action=action,
        refusals=MATERIAL_REFUSALS,
        lock=lock,
    )


def material_shares_visible_to(user: Viewer) -> QuerySet[Any]:
    """Share links: marketing and admins see every one; anyone else those they made."""
    shares = _all("enablement.Share")
    roles = _roles(user)
    if roles & ENABLEMENT_EDITOR_ROLES:
        return shares
    return shares.filter(shared_by_id=user.pk) if roles else shares.none()


def positioning_rounds_visible_to(user: Viewer) -> QuerySet[Any]:
    """Positioning rounds: marketing and every sales role (and executives, admins) read them."""
    rounds = _all("enablement.PositioningRound")
    return rounds if _roles(user) & ENABLEMENT_READER_ROLES else rounds.none()


def positioning_rounds_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Open, summarise and close a round: marketing and admins."""
    rounds = positioning_rounds_visible_to(user)
    return rounds if _roles(user) & ENABLEMENT_EDITOR_ROLES else rounds.none()


# --- planning: goals, plans, drastic changes, previews, disagreements, meetings, promises, profiles ------
#
# Planning is shared work between marketing and sales: every person with a role reads goals, plans,
# previews, disagreements, meetings, promises and prospect profiles. Writes are narrower; each is below.

# Read planning at all: every role (a signed-in person without a role sees nothing).
PLANNING_READER_ROLES = frozenset(Role.values)
# Write plans, their items, previews, explanations of drastic changes, promises and prospect profiles.
PLAN_EDITOR_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Acknowledge marketing's explanation of a drastic change: sales leadership.
PLAN_CHANGE_ACKNOWLEDGER_ROLES = frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_HEAD})
# Set goals of each side (keyed by ``planning.Side``).
GOAL_SETTER_ROLES: dict[str, frozenset[str]] = {
    "marketing": frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD}),
    "sales": frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_HEAD}),
}
# Call planning meetings (the heads' pre-planning meeting, a team's tactics meeting).
MEETING_CALLER_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_MANAGER, Role.SALES_HEAD}
)
# Record every meeting (attendance, decisions, action items, promises made in it).
MEETING_RUN_ALL_ROLES = frozenset({Role.ADMIN, Role.MARKETING_HEAD, Role.SALES_HEAD})
# Comment on and disagree with the items of every team's preview.
PREVIEW_COMMENT_ALL_ROLES = PLAN_EDITOR_ROLES | {Role.SALES_HEAD}
# Raise a disagreement on a plan item outside a team's preview.
PLAN_DISAGREE_ROLES = PLAN_EDITOR_ROLES | {Role.SALES_HEAD, Role.SALES_MANAGER}
# Mark every promise kept.
PROMISE_KEEP_ALL_ROLES = frozenset({Role.ADMIN, Role.MARKETING_HEAD})
# Revenue figures in planning (ROI, lifetime value, revenue in statements) are internal: as attribution.
PLANNING_REVENUE_ROLES = ATTRIBUTION_ROLES
# Read everyone's joint performance statement (others read their own and those of the people they manage).
STATEMENT_ALL_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD, Role.MARKETING_HEAD, Role.EXECUTIVE})


def may_read_planning(user: Viewer) -> bool:
    """Whether the user reads planning at all (every role does)."""
    return bool(_roles(user) & PLANNING_READER_ROLES)


def may_edit_plans(user: Viewer) -> bool:
    """Create and change plans, explain their drastic changes, submit and publish them, record promises
    outside a meeting and define prospect profiles: marketing and admins."""
    return bool(_roles(user) & PLAN_EDITOR_ROLES)


def may_acknowledge_plan_changes(user: Viewer) -> bool:
    """Acknowledge explained drastic changes: sales managers, the sales head and admins."""
    return bool(_roles(user) & PLAN_CHANGE_ACKNOWLEDGER_ROLES)


def may_set_goal(user: Viewer, side: str) -> bool:
    """Set a goal of ``side`` (sales or marketing): that side's leads and admins."""
    return bool(_roles(user) & GOAL_SETTER_ROLES.get(side, frozenset()))


def may_call_meetings(user: Viewer) -> bool:
    """Call a planning meeting: marketing, sales managers, the heads and admins."""
    return bool(_roles(user) & MEETING_CALLER_ROLES)


def may_read_planning_revenue(user: Viewer) -> bool:
    """See planning's revenue figures (ROI, lifetime value, revenue in a statement)."""
    return bool(_roles(user) & PLANNING_REVENUE_ROLES)


def may_read_statement_of(user: Viewer, person: User) -> bool:
    """Read ``person``'s joint performance statement: their own, those of the people they manage, and
    (admins, the heads, executives) everyone's. Planning readers only."""
    if not may_read_planning(user):
        return False
    return person.pk == user.pk or manages(user, person) or bool(_roles(user) & STATEMENT_ALL_ROLES)


def _planning(label: str, user: Viewer) -> QuerySet[Any]:
    """Every row of a planning model for a planning reader, none for anyone else."""
    rows = _all(f"planning.{label}")
    return rows if may_read_planning(user) else rows.none()


def goals_visible_to(user: Viewer) -> QuerySet[Any]:
    """Goals of both sides: every planning reader."""
    return _planning("Goal", user)


def goals_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Record a goal's progress: its owner, everyone who manages the owner, and those who set goals of
    its side."""
    visible = goals_visible_to(user)
    sides = [side for side, roles in GOAL_SETTER_ROLES.items() if _roles(user) & roles]
    if not is_signed_in(user):
        return visible.none()
    return visible.filter(owned_or_managed(user) | Q(side__in=sides))


def plans_visible_to(user: Viewer) -> QuerySet[Any]:
    """Plans: every planning reader."""
    return _planning("Plan", user)


def plans_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Change a plan's versions and items, submit it to sales, publish it: marketing and admins."""
    plans = plans_visible_to(user)
    return plans if may_edit_plans(user) else plans.none()


def plan_versions_visible_to(user: Viewer) -> QuerySet[Any]:
    """A plan's pre-plan and plan: as the plan."""
    return _all("planning.PlanVersion").filter(plan__in=plans_visible_to(user))


def plan_versions_actionable_by(user: Viewer) -> QuerySet[Any]:
    return _all("planning.PlanVersion").filter(plan__in=plans_actionable_by(user))


def plan_items_visible_to(user: Viewer) -> QuerySet[Any]:
    """A version's items: as the plan."""
    return _all("planning.PlanItem").filter(version__plan__in=plans_visible_to(user))


def plan_items_actionable_by(user: Viewer, action: str = "act") -> QuerySet[Any]:
    """Plan items a user may ``act`` on (change, as the plan) or ``disagree`` with outside a team's
    preview (marketing, sales managers, the sales head, admins; in a preview the preview's rule holds)."""
    visible = plan_items_visible_to(user)
    if action == "disagree":
        return visible if _roles(user) & PLAN_DISAGREE_ROLES else visible.none()
    return visible.filter(version__plan__in=plans_actionable_by(user))


def drastic_changes_visible_to(user: Viewer) -> QuerySet[Any]:
    """Drastic changes from pre-plan to plan: as the plan."""
    return _all("planning.DrasticChange").filter(plan__in=plans_visible_to(user))


def drastic_changes_actionable_by(user: Viewer, action: str = "explain") -> QuerySet[Any]:
    """``explain`` a drastic change: marketing and admins; ``acknowledge`` the explanation: sales
    managers, the sales head and admins."""
    visible = drastic_changes_visible_to(user)
    if action == "acknowledge":
        return visible if may_acknowledge_plan_changes(user) else visible.none()
    return visible if may_edit_plans(user) else visible.none()


def previews_visible_to(user: Viewer) -> QuerySet[Any]:
    """A plan's previews sent to sales teams: as the plan."""
    return _all("planning.Preview").filter(plan__in=plans_visible_to(user))


def _leads_team(user: Viewer, team: str = "team") -> Q:
    """Rows whose ``team`` is managed by the user or by someone the user manages."""
    return Q(**{f"{team}__manager_id": user.pk}) | Q(**{f"{team}__manager_id__in": managed_user_ids(user)})


def previews_actionable_by(user: Viewer, action: str = "comment") -> QuerySet[Any]:
    """Previews a user may ``comment`` on (and raise disagreements in): the team's members and manager,
    whoever manages the team's manager, marketing, the sales head and admins. Mark ``done``: the team's
    lead (its manager), whoever manages them, and admins."""
    visible = previews_visible_to(user)
    roles = _roles(user)
    if not is_signed_in(user):
        return visible.none()
    if action == "done":
        return visible if Role.ADMIN in roles else visible.filter(_leads_team(user))
    if roles & PREVIEW_COMMENT_ALL_ROLES:
        return visible
    condition = _leads_team(user)
    if isinstance(user, User) and user.team_id:
        condition |= Q(team_id=user.team_id)
    return visible.filter(condition)


def item_comments_visible_to(user: Viewer) -> QuerySet[Any]:
    """Comments on plan items: as the preview they were made in (comments are never changed)."""
    return _all("planning.ItemComment").filter(preview__in=previews_visible_to(user))


def disagreements_visible_to(user: Viewer) -> QuerySet[Any]:
    """Disagreements on plan items: as the plan."""
    return _all("planning.Disagreement").filter(plan__in=plans_visible_to(user))


def disagreements_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Resolve a disagreement: the person it waits on now, everyone above them, the plan's executive
    sponsor, and admins."""
    visible = disagreements_visible_to(user)
    if not is_signed_in(user):
        return visible.none()
    if Role.ADMIN in _roles(user):
        return visible
    return visible.filter(Q(plan__executive_sponsor_id=user.pk) | owned_or_managed(user, owner="assignee"))


def disagreement_steps_visible_to(user: Viewer) -> QuerySet[Any]:
    """A disagreement's history: as the disagreement (steps are never changed)."""
    return _all("planning.DisagreementStep").filter(disagreement__in=disagreements_visible_to(user))


def meetings_visible_to(user: Viewer) -> QuerySet[Any]:
    """Planning meetings: every planning reader."""
    return _planning("Meeting", user)


def meetings_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Record a meeting (attendance, decisions, action items, promises made in it): whoever called it,
    the team's manager and those above them, the heads and admins."""
    visible = meetings_visible_to(user)
    if not is_signed_in(user):
        return visible.none()
    if _roles(user) & MEETING_RUN_ALL_ROLES:
        return visible
    return visible.filter(Q(created_by_id=user.pk) | _leads_team(user))


def attendance_visible_to(user: Viewer) -> QuerySet[Any]:
    return _all("planning.Attendance").filter(meeting__in=meetings_visible_to(user))


def attendance_actionable_by(user: Viewer) -> QuerySet[Any]:
    return _all("planning.Attendance").filter(meeting__in=meetings_actionable_by(user))


def decisions_visible_to(user: Viewer) -> QuerySet[Any]:
    return _all("planning.Decision").filter(meeting__in=meetings_visible_to(user))


def decisions_actionable_by(user: Viewer) -> QuerySet[Any]:
    return _all("planning.Decision").filter(meeting__in=meetings_actionable_by(user))


def action_items_visible_to(user: Viewer) -> QuerySet[Any]:
    """A meeting's action items: as the meeting."""
    return _all("planning.ActionItem").filter(meeting__in=meetings_visible_to(user))


def action_items_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Mark an action item done: its owner and whoever may record its meeting."""
    visible = action_items_visible_to(user)
    if not is_signed_in(user):
        return visible.none()
    return visible.filter(Q(owner_id=user.pk) | Q(meeting__in=meetings_actionable_by(user)))


def promises_visible_to(user: Viewer) -> QuerySet[Any]:
    """Promises to sales: every planning reader."""
    return _planning("Promise", user)


def promises_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Mark a promise kept: its owner, everyone who manages them, the marketing head and admins."""
    visible = promises_visible_to(user)
    if not is_signed_in(user):
        return visible.none()
    if _roles(user) & PROMISE_KEEP_ALL_ROLES:
        return visible
    return visible.filter(owned_or_managed(user))


def prospect_profiles_visible_to(user: Viewer) -> QuerySet[Any]:
    """Prospect profiles: every planning reader."""
    return _planning("ProspectProfile", user)


def prospect_profiles_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Define and change prospect profiles: marketing and admins."""
    profiles = prospect_profiles_visible_to(user)
    return profiles if may_edit_plans(user) else profiles.none()


GOAL_REFUSALS = {"act": "Only the goal's owner, their managers and its side's leads may update it."}
PLAN_REFUSALS = {
    "act": "Only marketing and admins may change plans.",
    "publish": "Only marketing and admins may publish plans.",
    "preview": "Only marketing and admins may submit plans to sales.",
}
PLAN_ITEM_REFUSALS = {
    "act": PLAN_REFUSALS["act"],
    "disagree": "Only the team's members and managers, marketing and admins raise disagreements here.",
}
DRASTIC_CHANGE_REFUSALS = {
    "act": "Only marketing and admins may explain plan changes.",
    "explain": "Only marketing and admins may explain plan changes.",
    "acknowledge": "Only sales managers, the sales head and admins acknowledge plan changes.",
}
PREVIEW_REFUSALS = {
    "act": "Only the team's members and managers, marketing and admins comment on this preview.",
    "comment": "Only the team's members and managers, marketing and admins comment on this preview.",
    "disagree": "Only the team's members and managers, marketing and admins raise disagreements here.",
    "done": "Only the team's lead, those above them and admins mark the preview done.",
}
DISAGREEMENT_REFUSALS = {
    "act": "Only the person this disagreement waits on, those above them, the plan's sponsor and admins "
    "resolve it."
}
MEETING_REFUSALS = {
    "act": "Only whoever called the meeting, the team's managers, the heads and admins record it."
}
ACTION_ITEM_REFUSALS = {"act": "Only the action's owner and whoever runs the meeting mark it done."}
PROMISE_REFUSALS = {
    "act": "Only the promise's owner, their managers, the marketing head and admins mark it kept."
}
PROSPECT_PROFILE_REFUSALS = {"act": "Only marketing and admins may define prospect profiles."}


def access_goal_by_id(user: Viewer, goal_id: int, *, action: str = "act", lock: bool = False) -> Any:
    """The goal if ``user`` may ``view`` it or ``act`` on it (record progress); 404 unseen, 403 seen only."""
    return _access_by_id(
        visible=goals_visible_to(user).select_related("owner", "team").prefetch_related("serves"),
        actionable=goals_actionable_by(user),
        pk=goal_id,
        noun="Goal",
        action=action,
        refusals=GOAL_REFUSALS,
        lock=lock,
    )


def access_plan_by_id(user: Viewer, plan_id: int, *, action: str = "act", lock: bool = False) -> Any:
    """The plan if ``user`` may ``view`` it or change it (``act``, ``preview``: submit to sales,
    ``publish``: marketing and admins)."""
    return _access_by_id(
        visible=plans_visible_to(user).select_related("executive_sponsor"),
        actionable=plans_actionable_by(user),
        pk=plan_id,
        noun="Plan",
        action=action,
        refusals=PLAN_REFUSALS,
        lock=lock,
    )


def access_plan_item_by_id(user: Viewer, item_id: int, *, action: str = "act", lock: bool = False) -> Any:
    """The plan item if ``user`` may ``view`` it, ``act`` on it or ``disagree`` with it outside a preview."""
    return _access_by_id(
        visible=plan_items_visible_to(user).select_related("version__plan"),
        actionable=plan_items_actionable_by(user, action),
        pk=item_id,
        noun="Plan item",
        action=action,
        refusals=PLAN_ITEM_REFUSALS,
        lock=lock,
    )


def access_drastic_change_by_id(
    user: Viewer, change_id: int, *, action: str = "explain", lock: bool = False
) -> Any:
    """The drastic change if ``user`` may ``view``, ``explain`` or ``acknowledge`` it."""
    return _access_by_id(
        visible=drastic_changes_visible_to(user).select_related("plan"),
        actionable=drastic_changes_actionable_by(user, action),
        pk=change_id,
        noun="Change",
        action=action,
        refusals=DRASTIC_CHANGE_REFUSALS,
        lock=lock,
    )


def access_preview_by_id(
    user: Viewer, preview_id: int, *, action: str = "comment", lock: bool = False
) -> Any:
    """The preview if ``user`` may ``view`` it, ``comment`` (or ``disagree``) in it, or mark it ``done``."""
    return _access_by_id(
        visible=previews_visible_to(user).select_related("plan", "team", "team__manager", "done_by"),
        actionable=previews_actionable_by(user, "done" if action == "done" else "comment"),
        pk=preview_id,
        noun="Preview",
        action=action,
        refusals=PREVIEW_REFUSALS,
        lock=lock,
    )


def access_disagreement_by_id(
    user: Viewer, disagreement_id: int, *, action: str = "resolve", lock: bool = False
) -> Any:
    """The disagreement if ``user`` may ``view`` or ``resolve`` it."""
    return _access_by_id(
        visible=disagreements_visible_to(user).select_related(
            "plan", "item", "raised_by", "assignee", "resolved_by"
        ),
        actionable=disagreements_actionable_by(user),
        pk=disagreement_id,
        noun="Disagreement",
        action=action,
        refusals=DISAGREEMENT_REFUSALS,
        lock=lock,
    )


def access_meeting_by_id(user: Viewer, meeting_id: int, *, action: str = "run", lock: bool = False) -> Any:
    """The meeting if ``user`` may ``view`` it or ``run`` it (record attendance, decisions, actions,
    promises)."""
    return _access_by_id(
        visible=meetings_visible_to(user).select_related("plan", "team"),
        actionable=meetings_actionable_by(user),
        pk=meeting_id,
        noun="Meeting",
        action=action,
        refusals=MEETING_REFUSALS,
        lock=lock,
    )


def access_action_item_by_id(
    user: Viewer, action_id: int, *, action: str = "done", lock: bool = False
) -> Any:
    """The action item if ``user`` may ``view`` it or mark it ``done``."""
    return _access_by_id(
        visible=action_items_visible_to(user).select_related("meeting"),
        actionable=action_items_actionable_by(user),
        pk=action_id,
        noun="Action item",
        action=action,
        refusals=ACTION_ITEM_REFUSALS,
        lock=lock,
    )


def access_promise_by_id(user: Viewer, promise_id: int, *, action: str = "keep", lock: bool = False) -> Any:
    """The promise if ``user`` may ``view`` it or mark it kept (``keep``)."""
    return _access_by_id(
        visible=promises_visible_to(user).select_related("owner", "team", "meeting", "plan"),
        actionable=promises_actionable_by(user),
        pk=promise_id,
        noun="Promise",
        action=action,
        refusals=PROMISE_REFUSALS,
        lock=lock,
    )


def access_prospect_profile_by_id(
    user: Viewer, profile_id: int, *, action: str = "act", lock: bool = False
) -> Any:
    """The prospect profile if ``user`` may ``view`` or change it."""
    return _access_by_id(
        visible=prospect_profiles_visible_to(user),
        actionable=prospect_profiles_actionable_by(user),
        pk=profile_id,
        noun="Prospect profile",
        action=action,
        refusals=PROSPECT_PROFILE_REFUSALS,
        lock=lock,
    )


# --- intelligence: research questions, pulse surveys, field reports, ride-alongs, the panel ---------------
#
# Market intelligence is shared: everyone signed in reads the research questions and their results
# (aggregates, never who answered what), the field reports, and the pulse surveys meant for them. Who
# answers is a role (the sales floor answers questions, reps answer surveys); who writes is marketing.

# Write research questions, start and stop asking them: marketing and admins.
RESEARCH_QUESTION_WRITER_ROLES = MARKETING_ROLES | {Role.ADMIN}
# Answer research questions in calls and meetings: the sales floor (reps, managers, the sales head).
RESEARCH_ANSWER_ROLES = SALES_ROLES
# Schedule and close pulse surveys: marketing and admins.
SURVEY_WRITER_ROLES = MARKETING_ROLES | {Role.ADMIN}
# See every survey (scheduled ones too) and read results while a survey runs; others once it has closed.
SURVEY_RESULT_ROLES = MARKETING_ROLES | {Role.ADMIN, Role.SALES_HEAD, Role.EXECUTIVE}
# Answer pulse surveys: reps (of the survey's audience).
SURVEY_RESPONDENT_ROLES = frozenset({Role.SALES_REP})
# Write and corroborate field reports: everyone but executives.
FIELD_REPORT_WRITER_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_REP, Role.SALES_MANAGER, Role.SALES_HEAD}
)
# Log customer research (trade shows, service calls, market research): marketing and admins.
CUSTOMER_RESEARCH_ROLES = MARKETING_ROLES | {Role.ADMIN}
# Ask marketing to join a call: reps and sales managers.
RIDE_ALONG_REQUESTER_ROLES = frozenset({Role.SALES_REP, Role.SALES_MANAGER})
# Accept or decline a ride-along: marketing (one proposed to a marketer: that marketer or the head).
RIDE_ALONG_DECIDER_ROLES = MARKETING_ROLES
# Propose the quarter's ride-along rotation: the marketing head and admins.
RIDE_ALONG_ROTATION_ROLES = frozenset({Role.MARKETING_HEAD, Role.ADMIN})
# See every ride-along (others: their own, as rep or marketer, and those of the reps they manage).
ALL_RIDE_ALONGS_ROLES = MARKETING_ROLES | {Role.ADMIN, Role.SALES_HEAD, Role.EXECUTIVE}
# Read the collaboration panel and the records behind its figures.
COLLABORATION_PANEL_ROLES = frozenset({Role.ADMIN, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE})


def require(allowed: bool, refusal: str) -> None:
    """A 403 saying who may (``refusal``) unless ``allowed``: how a feature check refuses, before any
    record is looked up."""
    if not allowed:
        raise AccessDenied(refusal)


def _only(roles: frozenset[str], doing: str) -> str:
    labels = ", ".join(sorted(Role(r).label.lower() for r in roles))
    return f"Only {labels} may {doing}."


def require_role(user: Viewer, roles: frozenset[str], doing: str) -> None:
    """A 403 naming the roles that may ``doing``, before any lookup, for a feature only some roles use."""
    require(bool(_roles(user) & roles), _only(roles, doing))


def may_write_research_questions(user: Viewer) -> bool:
    """Write research questions, start and stop asking them: marketing and admins."""
    return bool(_roles(user) & RESEARCH_QUESTION_WRITER_ROLES)


def may_answer_research_questions(user: Viewer) -> bool:
    """Answer the research questions being asked: reps, sales managers, the sales head."""
    return bool(_roles(user) & RESEARCH_ANSWER_ROLES)


def may_schedule_surveys(user: Viewer) -> bool:
    """Schedule and close pulse surveys: marketing and admins."""
    return bool(_roles(user) & SURVEY_WRITER_ROLES)


def may_answer_surveys(user: Viewer) -> bool:
    """Answer pulse surveys at all (which ones: ``pulse_surveys_actionable_by(user, "respond")``): reps."""
    return bool(_roles(user) & SURVEY_RESPONDENT_ROLES)


def may_read_survey_results(user: Viewer, survey: Model) -> bool:
    """A survey's results (aggregates): marketing, the heads, executives and admins while it runs; every
    reader of the survey once it has closed (results are shared back with the reps)."""
    if not is_signed_in(user):
        return False
    return bool(_roles(user) & SURVEY_RESULT_ROLES) or getattr(survey, "status", "") == "closed"


def may_write_field_reports(user: Viewer) -> bool:
    """Write and corroborate field reports: everyone but executives."""
    return bool(_roles(user) & FIELD_REPORT_WRITER_ROLES)


def may_log_customer_research(user: Viewer) -> bool:
    """Log customer research (a trade show, a service call, market research): marketing and admins."""
    return bool(_roles(user) & CUSTOMER_RESEARCH_ROLES)


def may_request_ride_alongs(user: Viewer) -> bool:
    """Ask marketing to join a call: reps and sales managers."""
    return bool(_roles(user) & RIDE_ALONG_REQUESTER_ROLES)


def may_decide_ride_alongs(user: Viewer) -> bool:
    """Accept or decline ride-alongs at all (which ones: ``ride_alongs_actionable_by(user, "decide")``)."""
    return bool(_roles(user) & RIDE_ALONG_DECIDER_ROLES)


def may_propose_rotation(user: Viewer) -> bool:
    """Propose the quarter's ride-along rotation: the marketing head and admins."""
    return bool(_roles(user) & RIDE_ALONG_ROTATION_ROLES)


def may_read_collaboration_panel(user: Viewer) -> bool:
    """The collaboration panel and the records behind its figures: the heads, executives and admins."""
    return bool(_roles(user) & COLLABORATION_PANEL_ROLES)


def _signed_in_rows(label: str, user: Viewer) -> QuerySet[Any]:
    """Every row of a model for anyone signed in, none for the anonymous user."""
    rows = _all(label)
    return rows if is_signed_in(user) else rows.none()


def research_questions_visible_to(user: Viewer) -> QuerySet[Any]:
    """Research questions (and their aggregated results): everyone signed in."""
    return _signed_in_rows("intelligence.ResearchQuestion", user)


def research_questions_actionable_by(user: Viewer, action: str = "act") -> QuerySet[Any]:
    """``act`` (start or stop asking a question): marketing and admins. ``answer`` it: the sales floor
    (whether it is being asked now is the service's question, a 409)."""
    visible = research_questions_visible_to(user)
    if action == "answer":
        return visible if may_answer_research_questions(user) else visible.none()
    return visible if may_write_research_questions(user) else visible.none()


def research_answers_visible_to(user: Viewer) -> QuerySet[Any]:
    """One's own answers to research questions. Results are read as aggregates over everyone's answers
    (``intelligence.selectors``), never row by row: nobody reads who answered what."""
    rows = _all("intelligence.ResearchAnswer")
    return rows.filter(rep_id=user.pk) if is_signed_in(user) else rows.none()


def pulse_surveys_visible_to(user: Viewer) -> QuerySet[Any]:
    """Marketing, the heads, executives and admins see every survey; anyone else signed in the open and
    closed surveys of every rep or of their own team."""
    surveys = _all("intelligence.PulseSurvey")
    if not is_signed_in(user):
        return surveys.none()
    if _roles(user) & SURVEY_RESULT_ROLES:
        return surveys
    return surveys.exclude(status="scheduled").filter(Q(team__isnull=True) | Q(team_id=user.team_id))


def pulse_surveys_actionable_by(user: Viewer, action: str = "close") -> QuerySet[Any]:
    """``respond``: the reps the survey asks (every rep, or its team's), once each (the service counts);
    ``close`` (or ``act``): marketing and admins."""
    visible = pulse_surveys_visible_to(user)
    if action == "respond":
        if not may_answer_surveys(user):
            return visible.none()
        team_id = getattr(user, "team_id", None)
        return visible.filter(Q(team__isnull=True) | Q(team_id=team_id))
    return visible if may_schedule_surveys(user) else visible.none()


def survey_responses_visible_to(user: Viewer) -> QuerySet[Any]:
    """Named answers to a survey that is not anonymous: one's own (results are aggregates)."""
    rows = _all("intelligence.SurveyResponse")
    return rows.filter(respondent_id=user.pk) if is_signed_in(user) else rows.none()


def anonymous_survey_responses_visible_to(user: Viewer) -> QuerySet[Any]:
    """Answers to an anonymous survey: nobody reads them row by row, not even admins (results are
    aggregates, withheld below a minimum of answers)."""
    return _all("intelligence.AnonymousSurveyResponse").none()


def survey_participations_visible_to(user: Viewer) -> QuerySet[Any]:
    """Who has answered a survey: each person their own (so a page can say "answered")."""
    rows = _all("intelligence.SurveyParticipation")
    return rows.filter(user_id=user.pk) if is_signed_in(user) else rows.none()


def field_reports_visible_to(user: Viewer) -> QuerySet[Any]:
    """Field reports and customer research: everyone signed in."""
    return _signed_in_rows("intelligence.FieldReport", user)


def field_reports_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Corroborate a field report: everyone but executives (reports are never changed)."""
    visible = field_reports_visible_to(user)
    return visible if may_write_field_reports(user) else visible.none()


def corroborations_visible_to(user: Viewer) -> QuerySet[Any]:
    """What backs a report: as the report (corroborations are never changed)."""
    return _all("intelligence.Corroboration").filter(report__in=field_reports_visible_to(user))


def ride_alongs_visible_to(user: Viewer) -> QuerySet[Any]:
    """Marketing, the heads, executives and admins see every ride-along; anyone else signed in those they
    are on (as rep or marketer) and those of the reps they manage."""
    rows = _all("intelligence.RideAlong")
    if not is_signed_in(user):
        return rows.none()
    if _roles(user) & ALL_RIDE_ALONGS_ROLES:
        return rows
    return rows.filter(Q(rep_id=user.pk) | Q(marketer_id=user.pk) | Q(rep_id__in=managed_user_ids(user)))


def ride_alongs_actionable_by(user: Viewer, action: str = "decide") -> QuerySet[Any]:
    """``decide`` (accept or decline; also ``act``): marketing, on a request for anyone in marketing or
    one proposed to themselves; the marketing head on every one. ``complete`` (write the call's notes):
    the marketer and the rep on the call."""
    visible = ride_alongs_visible_to(user)
    if not is_signed_in(user):
        return visible.none()
    if action == "complete":
        return visible.filter(Q(marketer_id=user.pk) | Q(rep_id=user.pk))
    if not may_decide_ride_alongs(user):
        return visible.none()
    if Role.MARKETING_HEAD in _roles(user):
        return visible
    return visible.filter(Q(marketer__isnull=True) | Q(marketer_id=user.pk))


RESEARCH_QUESTION_REFUSALS = {
    "act": _only(RESEARCH_QUESTION_WRITER_ROLES, "start or stop asking research questions"),
    "answer": _only(RESEARCH_ANSWER_ROLES, "answer research questions"),
}
PULSE_SURVEY_REFUSALS = {
    "act": _only(SURVEY_WRITER_ROLES, "close pulse surveys"),
    "respond": "This survey is for another team's reps.",
}
FIELD_REPORT_REFUSALS = {"act": _only(FIELD_REPORT_WRITER_ROLES, "corroborate field reports")}
RIDE_ALONG_REFUSALS = {
    "act": "This ride-along is for the marketer it was proposed to (or the marketing head) to answer.",
    "complete": "Only the marketer or the rep on the call write its notes.",
}


def access_research_question_by_id(
    user: Viewer, question_id: int, *, action: str = "act", lock: bool = False
) -> Any:
    """The research question if ``user`` may ``view`` it, ``act`` on it (start, stop asking) or
    ``answer`` it; 404 unseen, 403 seen only."""
    return _access_by_id(
        visible=research_questions_visible_to(user).select_related("owner"),
        actionable=research_questions_actionable_by(user, action),
        pk=question_id,
        noun="Research question",
        action=action,
        refusals=RESEARCH_QUESTION_REFUSALS,
        lock=lock,
    )


def access_pulse_survey_by_id(
    user: Viewer, survey_id: int, *, action: str = "close", lock: bool = False
) -> Any:
    """The pulse survey if ``user`` may ``view`` it, ``close`` it or ``respond`` to it."""
    return _access_by_id(
        visible=pulse_surveys_visible_to(user),
        actionable=pulse_surveys_actionable_by(user, action),
        pk=survey_id,
        noun="Survey",
        action=action,
        refusals=PULSE_SURVEY_REFUSALS,
        lock=lock,
    )


def access_field_report_by_id(
    user: Viewer, report_id: int, *, action: str = "corroborate", lock: bool = False
) -> Any:
    """The field report if ``user`` may ``view`` or ``corroborate`` it."""
    return _access_by_id(
        visible=field_reports_visible_to(user).select_related("author", "campaign"),
        actionable=field_reports_actionable_by(user),
        pk=report_id,
        noun="Field report",
        action=action,
        refusals=FIELD_REPORT_REFUSALS,
        lock=lock,
    )


def access_ride_along_by_id(
    user: Viewer, ride_along_id: int, *, action: str = "decide", lock: bool = False
) -> Any:
    """The ride-along if ``user`` may ``view`` it, ``decide`` on it (accept, decline) or ``complete`` it."""
    return _access_by_id(
        visible=ride_alongs_visible_to(user),
        actionable=ride_alongs_actionable_by(user, action),
        pk=ride_along_id,
        noun="Ride-along",
        action=action,
        refusals=RIDE_ALONG_REFUSALS,
        lock=lock,
    )


# --- knowledge: answers reps find, questions reps ask ----------------------------------------------------
#
# Everyone signed in reads the answers (marketing and admins also the retired ones) and asks questions;
# a question is seen by its asker, whoever manages them, marketing, the heads and admins.

# Write answers and answer questions: marketing and admins.
KNOWLEDGE_WRITER_ROLES = MARKETING_ROLES | {Role.ADMIN}
# Change every answer (a marketer changes their own): the marketing head and admins.
KNOWLEDGE_ANSWER_ALL_ROLES = frozenset({Role.MARKETING_HEAD, Role.ADMIN})
# See every asked question.
ALL_KNOWLEDGE_QUESTIONS_ROLES = MARKETING_ROLES | {Role.ADMIN, Role.SALES_HEAD, Role.EXECUTIVE}
KNOWLEDGE_WRITER_REFUSAL = "Only marketing answers questions and writes answers."


def may_write_answers(user: Viewer) -> bool:
    """Write answers and answer asked questions: marketing and admins."""
    return bool(_roles(user) & KNOWLEDGE_WRITER_ROLES)


def knowledge_answers_visible_to(user: Viewer) -> QuerySet[Any]:
    """Answers: everyone signed in reads those in use; marketing and admins also the retired ones."""
    rows = _all("knowledge.Answer")
    if not is_signed_in(user):
        return rows.none()
    return rows if may_write_answers(user) else rows.filter(retired=False)


def knowledge_answers_actionable_by(user: Viewer, action: str = "act") -> QuerySet[Any]:
    """``act`` (change, review, retire): its owner (a marketer), the marketing head and admins. ``cite``
    (count it as what answers a question, one's own or one being answered): whoever sees it."""
    visible = knowledge_answers_visible_to(user)
    if action == "cite":
        return visible
    if not may_write_answers(user):
        return visible.none()
    if _roles(user) & KNOWLEDGE_ANSWER_ALL_ROLES:
        return visible
    return visible.filter(owner_id=user.pk)


def knowledge_questions_visible_to(user: Viewer) -> QuerySet[Any]:
    """Asked questions: the asker and whoever manages them; marketing, the heads, executives and admins
    every one."""
    rows = _all("knowledge.Question")
    if not is_signed_in(user):
        return rows.none()
    if _roles(user) & ALL_KNOWLEDGE_QUESTIONS_ROLES:
        return rows
    return rows.filter(owned_or_managed(user, owner="asked_by"))


def knowledge_questions_actionable_by(user: Viewer) -> QuerySet[Any]:
    """Answer a question: marketing and admins (whether it is still open is the service's 409)."""
    visible = knowledge_questions_visible_to(user)
    return visible if may_write_answers(user) else visible.none()


KNOWLEDGE_ANSWER_REFUSALS = {
    "act": "Only the answer's owner, the marketing head and admins change this answer.",
}
KNOWLEDGE_QUESTION_REFUSALS = {"act": KNOWLEDGE_WRITER_REFUSAL}


def access_knowledge_answer_by_id(
    user: Viewer, answer_id: int, *, action: str = "act", lock: bool = False
) -> Any:
    """The answer if ``user`` may ``view`` it, ``act`` on it (change, review, retire) or ``cite`` it."""
    return _access_by_id(
        visible=knowledge_answers_visible_to(user).select_related("owner"),
        actionable=knowledge_answers_actionable_by(user, action),
        pk=answer_id,
        noun="Answer",
        action=action,
        refusals=KNOWLEDGE_ANSWER_REFUSALS,
        lock=lock,
    )


def access_knowledge_question_by_id(
    user: Viewer, question_id: int, *, action: str = "answer", lock: bool = False
) -> Any:
    """The asked question if ``user`` may ``view`` or ``answer`` it."""
    return _access_by_id(
        visible=knowledge_questions_visible_to(user).select_related("asked_by", "owner", "answer"),
        actionable=knowledge_questions_actionable_by(user),
        pk=question_id,
        noun="Question",
        action=action,
        refusals=KNOWLEDGE_QUESTION_REFUSALS,
        lock=lock,
    )


# --- the NetBox-style entry point and the one not-found error --------------------------------------------

Restriction = Callable[[Any], QuerySet[Any]]

# model label -> (visible_to, actionable_by). Records without an entry here have no record-level
# access of their own (configuration such as criteria or routing rules is guarded by role on the
# feature, which the access matrix checks).
POLICIES: dict[str, tuple[Restriction, Restriction]] = {
    "leads.lead": (leads_visible_to, leads_actionable_by),
    "leads.account": (accounts_visible_to, accounts_actionable_by),
    "leads.importjob": (import_jobs_visible_to, import_jobs_actionable_by),
    "leads.queuedsubmission": (queued_submissions_visible_to, queued_submissions_actionable_by),
    "leads.possibleduplicate": (duplicates_visible_to, duplicates_visible_to),
    "deals.deal": (deals_visible_to, deals_actionable_by),
    "campaigns.campaign": (campaigns_visible_to, campaigns_actionable_by),
    "campaigns.costline": (
        cost_lines_visible_to,
        lambda u: _all("campaigns.CostLine").filter(campaign__in=campaigns_actionable_by(u)),
    ),
    "campaigns.touchpoint": (touchpoints_visible_to, lambda u: touchpoints_visible_to(u).none()),
    "campaigns.communication": (communications_visible_to, communications_actionable_by),
    "campaigns.delivery": (deliveries_visible_to, deliveries_actionable_by),
    "sla.slaclock": (
        sla_clocks_visible_to,
        lambda u: _all("sla.SlaClock").filter(lead__in=leads_actionable_by(u)),
    ),
    "sla.externalreview": (external_reviews_visible_to, external_reviews_visible_to),
    "sla.touch": (touches_visible_to, lambda u: touches_visible_to(u).none()),
    "sla.followup": (follow_ups_visible_to, follow_ups_actionable_by),
    "privacy.leadtrash": (trashed_leads_visible_to, trashed_leads_visible_to),
    "notifications.notification": (notifications_visible_to, notifications_visible_to),
    "notifications.communicationcopyrequest": (copy_requests_visible_to, copy_requests_visible_to),
    "notifications.senderconsent": (sender_consents_visible_to, sender_consents_visible_to),
    "audit.changerecord": (change_records_visible_to, lambda u: change_records_visible_to(u).none()),
    "audit.exportrecord": (export_records_visible_to, lambda u: export_records_visible_to(u).none()),
    "webhooks.webhookendpoint": (webhook_endpoints_visible_to, webhook_endpoints_visible_to),
    "webhooks.webhookdelivery": (webhook_deliveries_visible_to, webhook_deliveries_visible_to),
    "enablement.brief": (briefs_visible_to, briefs_actionable_by),
    "enablement.material": (materials_visible_to, materials_actionable_by),
    "enablement.share": (material_shares_visible_to, material_shares_visible_to),
    "enablement.positioninground": (positioning_rounds_visible_to, positioning_rounds_actionable_by),
    "planning.goal": (goals_visible_to, goals_actionable_by),
    "planning.plan": (plans_visible_to, plans_actionable_by),
    "planning.planversion": (plan_versions_visible_to, plan_versions_actionable_by),
    "planning.planitem": (plan_items_visible_to, plan_items_actionable_by),
    "planning.drasticchange": (drastic_changes_visible_to, drastic_changes_actionable_by),
    "planning.preview": (previews_visible_to, previews_actionable_by),
    "planning.itemcomment": (item_comments_visible_to, lambda u: item_comments_visible_to(u).none()),
    "planning.disagreement": (disagreements_visible_to, disagreements_actionable_by),
    "planning.disagreementstep": (
        disagreement_steps_visible_to,
        lambda u: disagreement_steps_visible_to(u).none(),
    ),
    "planning.meeting": (meetings_visible_to, meetings_actionable_by),
    "planning.attendance": (attendance_visible_to, attendance_actionable_by),
    "planning.decision": (decisions_visible_to, decisions_actionable_by),
    "planning.actionitem": (action_items_visible_to, action_items_actionable_by),
    "planning.promise": (promises_visible_to, promises_actionable_by),
    "planning.prospectprofile": (prospect_profiles_visible_to, prospect_profiles_actionable_by),
    "intelligence.researchquestion": (research_questions_visible_to, research_questions_actionable_by),
    "intelligence.researchanswer": (
        research_answers_visible_to,
        lambda u: research_answers_visible_to(u).none(),
    ),
    "intelligence.pulsesurvey": (pulse_surveys_visible_to, pulse_surveys_actionable_by),
    "intelligence.surveyresponse": (
        survey_responses_visible_to,
        lambda u: survey_responses_visible_to(u).none(),
    ),
    "intelligence.anonymoussurveyresponse": (
        anonymous_survey_responses_visible_to,
        anonymous_survey_responses_visible_to,
    ),
    "intelligence.surveyparticipation": (
        survey_participations_visible_to,
        lambda u: survey_participations_visible_to(u).none(),
    ),
    "intelligence.fieldreport": (field_reports_visible_to, field_reports_actionable_by),
    "intelligence.corroboration": (corroborations_visible_to, lambda u: corroborations_visible_to(u).none()),
    "intelligence.ridealong": (ride_alongs_visible_to, ride_alongs_actionable_by),
    "knowledge.answer": (knowledge_answers_visible_to, knowledge_answers_actionable_by),
    "knowledge.question": (knowledge_questions_visible_to, knowledge_questions_actionable_by),
}


# The models whose "may act" depends on the action (their ``*_actionable_by`` takes it).
ACTION_AWARE = frozenset(
    {
        "leads.lead",
        "deals.deal",
        "planning.planitem",
        "planning.drasticchange",
        "planning.preview",
        "intelligence.researchquestion",
        "intelligence.pulsesurvey",
        "intelligence.ridealong",
        "knowledge.answer",
    }
)


def restrict(queryset: QuerySet[Any], user: Viewer, action: str = "view") -> QuerySet[Any]:
    """``queryset`` narrowed to the rows ``user`` may see (``view``) or act on (any other action).

    Like NetBox's ``RestrictedQuerySet.restrict(user, action)``; an unknown model is an error, not a
    silent pass, so a new entity has to be given its rules here first.
    """
    label = queryset.model._meta.label_lower
    if label not in POLICIES:
        raise LookupError(f"{label} has no access rules; add them to accord.people.access.POLICIES.")
    visible, actionable = POLICIES[label]
    if action == "view":
        allowed = visible(user)
    elif label in ACTION_AWARE:
        allowed = actionable(user, action)  # type: ignore[call-arg]
    else:
        allowed = actionable(user)
    return queryset.filter(pk__in=allowed.values("pk"))


def may_act(user: Viewer, record: Model, action: str = "act") -> bool:
    """Whether ``user`` may do ``action`` to ``record`` (a registered model's row), by the same rules as
    ``restrict``: what a page asks to show or hide a form; the write itself asks ``access_<entity>_by_id``."""
    return restrict(type(record)._default_manager.filter(pk=record.pk), user, action).exists()


def _access_by_id(
    *,
    visible: QuerySet[Any],
    actionable: QuerySet[Any],
    pk: int,
    noun: str,
    action: str,
    refusals: dict[str, str],
    lock: bool,
) -> Any:
    rows = visible.select_for_update(of=("self",)) if lock else visible
    record = rows.filter(pk=pk).first()
    if record is None:
        raise NotFound(f"{noun} {pk} was not found.", detail={"id": pk})
    if action != "view" and not actionable.filter(pk=pk).exists():
        raise AccessDenied(refusals.get(action, refusals.get("act", "")), detail={"id": pk, "action": action})
    return record
