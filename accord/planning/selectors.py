"""Reads for joint planning and who may do what to its records.

The planning records are shared work between marketing and sales: every signed-in person with a role
reads goals, plans, previews, meetings, promises and profiles (revenue figures are marked internal
where they are shown). Writes are narrower and each is written down once here, next to the reads, built
on the relations of ``accord.people.access`` (``manages``, ``managers_of``, the role groups).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.core.errors import AccessDenied, NotFound
from accord.people import access
from accord.people.access import is_signed_in, manages
from accord.people.models import Role, Team, User
from accord.planning.models import (
    ActionItem,
    Disagreement,
    DisagreementStatus,
    DrasticChange,
    Goal,
    Meeting,
    Plan,
    PlanItem,
    PlanVersion,
    Preview,
    Promise,
    ProspectProfile,
    Side,
    VersionKind,
)

# Marketing writes the plan, its items, previews, explanations, promises and the prospect profile.
PLAN_EDITOR_ROLES = frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD})
# Sales leadership acknowledges marketing's explanations of drastic changes.
SALES_LEAD_ROLES = frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_HEAD})
# Who sets goals of each side.
GOAL_SETTER_ROLES: dict[str, frozenset[str]] = {
    Side.MARKETING: frozenset({Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD}),
    Side.SALES: frozenset({Role.ADMIN, Role.SALES_MANAGER, Role.SALES_HEAD}),
}
# Who calls planning meetings (the heads' pre-planning meeting, a team's tactics meeting).
MEETING_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_MANAGER, Role.SALES_HEAD}
)
# Who reads planning at all: every role (a signed-in person without a role sees nothing).
READER_ROLES = frozenset(Role.values)
# Revenue figures (ROI, lifetime value, revenue in the statements) are internal: as for attribution.
REVENUE_ROLES = access.ATTRIBUTION_ROLES


def _roles(user: Any) -> frozenset[str]:
    return user.role_set if is_signed_in(user) else frozenset()


def can_read_planning(user: Any) -> bool:
    return bool(_roles(user) & READER_ROLES)


def can_edit_plans(user: Any) -> bool:
    return bool(_roles(user) & PLAN_EDITOR_ROLES)


def can_acknowledge(user: Any) -> bool:
    return bool(_roles(user) & SALES_LEAD_ROLES)


def can_set_goal(user: Any, side: str) -> bool:
    return bool(_roles(user) & GOAL_SETTER_ROLES.get(side, frozenset()))


def can_call_meetings(user: Any) -> bool:
    return bool(_roles(user) & MEETING_ROLES)


def can_read_revenue(user: Any) -> bool:
    return bool(_roles(user) & REVENUE_ROLES)


def require_reader(user: Any) -> User:
    if not can_read_planning(user):
        raise AccessDenied("Your account has no role: ask an admin for one to read the plans.")
    return user


def require_editor(user: Any, what: str = "change plans") -> User:
    if not can_edit_plans(user):
        raise AccessDenied(f"Only marketing and admins may {what}.")
    return user


# --- goals -----------------------------------------------------------------------------------------------


def goals_visible_to(user: Any) -> QuerySet[Goal]:
    goals = Goal.objects.select_related("owner", "team").prefetch_related("serves")
    return goals if can_read_planning(user) else goals.none()


def goal_get(*, user: Any, goal_id: int) -> Goal:
    goal = goals_visible_to(user).filter(pk=goal_id).first()
    if goal is None:
        raise NotFound(f"Goal {goal_id} was not found.", detail={"id": goal_id})
    return goal


def goal_list(*, user: Any, side: str = "", start: Any = None, end: Any = None) -> QuerySet[Goal]:
    goals = goals_visible_to(user)
    if side:
        goals = goals.filter(side=side)
    if start:
        goals = goals.filter(period_end__gte=start)
    if end:
        goals = goals.filter(period_start__lte=end)
    return goals.order_by("period_start", "side", "title", "id")


def can_change_goal(user: Any, goal: Goal) -> bool:
    """The goal's owner, whoever manages the owner, and those who set goals of its side."""
    if not is_signed_in(user):
        return False
    return goal.owner_id == user.pk or manages(user, goal.owner_id) or can_set_goal(user, goal.side)


# --- plans, versions, items, changes ----------------------------------------------------------------------


def plans_visible_to(user: Any) -> QuerySet[Plan]:
    plans = Plan.objects.select_related("executive_sponsor")
    return plans if can_read_planning(user) else plans.none()


def plan_get(*, user: Any, plan_id: int) -> Plan:
    plan = plans_visible_to(user).filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(f"Plan {plan_id} was not found.", detail={"id": plan_id})
    return plan


def plan_version(plan: Plan, kind: str) -> PlanVersion | None:
    return plan.versions.filter(kind=kind).first()


def version_items(plan: Plan, kind: str) -> list[PlanItem]:
    return list(
        PlanItem.objects.filter(version__plan=plan, version__kind=kind)
        .prefetch_related("campaigns")
        .order_by("kind", "key")
    )


def plan_item_get(*, user: Any, item_id: int) -> PlanItem:
    item = (
        PlanItem.objects.select_related("version__plan")
        .filter(pk=item_id, version__plan__in=plans_visible_to(user))
        .first()
    )
    if item is None:
        raise NotFound(f"Plan item {item_id} was not found.", detail={"id": item_id})
    return item


def drastic_change_get(*, user: Any, change_id: int) -> DrasticChange:
    change = DrasticChange.objects.filter(pk=change_id, plan__in=plans_visible_to(user)).first()
    if change is None:
        raise NotFound(f"Change {change_id} was not found.", detail={"id": change_id})
    return change


def publish_blockers(plan: Plan) -> list[str]:
    """Why the plan cannot be published yet, in plain words (empty: it can)."""
    blockers: list[str] = []
    if not plan.versions.filter(kind=VersionKind.PLAN).exists():
        blockers.append("The plan has no plan version yet.")
    for change in plan.drastic_changes.all():
        if not change.explained_at:
            blockers.append(
                f"Marketing has not explained the drastic change “{change.title}” ({change.get_kind_display().lower()})."
            )
        elif not change.acknowledged_at:
            blockers.append(f"Sales has not acknowledged the explanation of “{change.title}”.")
    open_count = plan.disagreements.filter(status=DisagreementStatus.OPEN).count()
    if open_count:
        blockers.append(f"{open_count} disagreement{'s are' if open_count > 1 else ' is'} still open.")
    return blockers


# --- previews, comments, disagreements -----------------------------------------------------------------


def preview_get(*, user: Any, preview_id: int) -> Preview:
    preview = (
        Preview.objects.select_related("plan", "team", "team__manager", "done_by")
        .filter(pk=preview_id, plan__in=plans_visible_to(user))
        .first()
    )
    if preview is None:
        raise NotFound(f"Preview {preview_id} was not found.", detail={"id": preview_id})
    return preview


def can_comment_on_preview(user: Any, preview: Preview) -> bool:
    """The team's members and manager, whoever manages the team's manager, marketing and admins."""
    if not is_signed_in(user):
        return False
    if can_edit_plans(user) or user.has_role(Role.SALES_HEAD):
        return True
    team: Team = preview.team
    return user.team_id == team.pk or team.manager_id == user.pk or manages(user, team.manager_id)


def can_mark_preview_done(user: Any, preview: Preview) -> bool:
    """The team lead (the team's manager), whoever manages them, and admins."""
    if not is_signed_in(user):
        return False
    if user.has_role(Role.ADMIN):
        return True
    manager_id = preview.team.manager_id
    return manager_id is not None and (manager_id == user.pk or manages(user, manager_id))


def disagreement_get(*, user: Any, disagreement_id: int) -> Disagreement:
    found = (
        Disagreement.objects.select_related("plan", "item", "raised_by", "assignee", "resolved_by")
        .filter(pk=disagreement_id, plan__in=plans_visible_to(user))
        .first()
    )
    if found is None:
        raise NotFound(f"Disagreement {disagreement_id} was not found.", detail={"id": disagreement_id})
    return found


def can_resolve(user: Any, disagreement: Disagreement) -> bool:
    """Someone with authority: the person it waits on now, anyone above them, the plan's executive
    sponsor, and admins."""
    if not is_signed_in(user):
        return False
    if user.has_role(Role.ADMIN) or disagreement.plan.executive_sponsor_id == user.pk:
        return True
    assignee_id = disagreement.assignee_id
    return assignee_id is not None and (assignee_id == user.pk or manages(user, assignee_id))


def disagreements_waiting_on(user: Any) -> QuerySet[Disagreement]:
    if not is_signed_in(user):
        return Disagreement.objects.none()
    return Disagreement.objects.filter(status=DisagreementStatus.OPEN, assignee=user).select_related(
        "item", "plan"
    )


# --- meetings, promises, profiles ---------------------------------------------------------------------


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    meetings = Meeting.objects.select_related("plan", "team")
    return meetings if can_read_planning(user) else meetings.none()


def meeting_get(*, user: Any, meeting_id: int) -> Meeting:
    meeting = meetings_visible_to(user).filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound(f"Meeting {meeting_id} was not found.", detail={"id": meeting_id})
    return meeting


def can_run_meeting(user: Any, meeting: Meeting) -> bool:
    """Who records attendance, decisions and action items: whoever called it, the team's manager and
    those above them, the heads and admins."""
    if not is_signed_in(user):
        return False
    if meeting.created_by_id == user.pk or user.has_role(Role.ADMIN, Role.MARKETING_HEAD, Role.SALES_HEAD):
        return True
    if meeting.team_id and meeting.team and meeting.team.manager_id:
        return meeting.team.manager_id == user.pk or manages(user, meeting.team.manager_id)
    return False


def action_item_get(*, user: Any, action_id: int) -> ActionItem:
    action = (
        ActionItem.objects.select_related("meeting")
        .filter(pk=action_id, meeting__in=meetings_visible_to(user))
        .first()
    )
    if action is None:
        raise NotFound(f"Action item {action_id} was not found.", detail={"id": action_id})
    return action


def promises_visible_to(user: Any) -> QuerySet[Promise]:
    promises = Promise.objects.select_related("owner", "team", "meeting", "plan")
    return promises if can_read_planning(user) else promises.none()


def promise_get(*, user: Any, promise_id: int) -> Promise:
    promise = promises_visible_to(user).filter(pk=promise_id).first()
    if promise is None:
        raise NotFound(f"Promise {promise_id} was not found.", detail={"id": promise_id})
    return promise


def can_keep_promise(user: Any, promise: Promise) -> bool:
    """The promise's owner, whoever manages them, the marketing head and admins mark it kept."""
    if not is_signed_in(user):
        return False
    return (
        promise.owner_id == user.pk
        or manages(user, promise.owner_id)
        or user.has_role(Role.ADMIN, Role.MARKETING_HEAD)
    )


def profiles_visible_to(user: Any) -> QuerySet[ProspectProfile]:
    profiles = ProspectProfile.objects.all()
    return profiles if can_read_planning(user) else profiles.none()


def profile_get(*, user: Any, profile_id: int) -> ProspectProfile:
    profile = profiles_visible_to(user).filter(pk=profile_id).first()
    if profile is None:
        raise NotFound(f"Prospect profile {profile_id} was not found.", detail={"id": profile_id})
    return profile


def team_members(team: Team) -> QuerySet[User]:
    return User.objects.filter(Q(team=team) | Q(pk=team.manager_id), is_active=True).distinct()
