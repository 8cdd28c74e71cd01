"""Reads for joint planning.

Who may see and who may act on planning's records is decided in ``accord.people.access`` (the planning
section: ``goals_visible_to``, ``previews_actionable_by``, ``access_preview_by_id``, ``may_edit_plans``,
...), like every other record's; the reads here go through it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accord.core.errors import AccessDenied
from accord.people import access
from accord.people.access import is_signed_in
from accord.people.models import Team, User
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
    VersionKind,
)


def require_reader(user: Any) -> User:
    if not access.may_read_planning(user):
        raise AccessDenied("Your account has no role: ask an admin for one to read the plans.")
    return user


# --- goals -----------------------------------------------------------------------------------------------


def goals_visible_to(user: Any) -> QuerySet[Goal]:
    return access.goals_visible_to(user).select_related("owner", "team").prefetch_related("serves")


def goal_get(*, user: Any, goal_id: int) -> Goal:
    goal: Goal = access.access_goal_by_id(user, goal_id, action="view")
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


# --- plans, versions, items, changes ----------------------------------------------------------------------


def plans_visible_to(user: Any) -> QuerySet[Plan]:
    return access.plans_visible_to(user).select_related("executive_sponsor")


def plan_get(*, user: Any, plan_id: int) -> Plan:
    plan: Plan = access.access_plan_by_id(user, plan_id, action="view")
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
    item: PlanItem = access.access_plan_item_by_id(user, item_id, action="view")
    return item


def drastic_change_get(*, user: Any, change_id: int) -> DrasticChange:
    change: DrasticChange = access.access_drastic_change_by_id(user, change_id, action="view")
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
    preview: Preview = access.access_preview_by_id(user, preview_id, action="view")
    return preview


def disagreement_get(*, user: Any, disagreement_id: int) -> Disagreement:
    found: Disagreement = access.access_disagreement_by_id(user, disagreement_id, action="view")
    return found


def disagreements_waiting_on(user: Any) -> QuerySet[Disagreement]:
    if not is_signed_in(user):
        return Disagreement.objects.none()
    return Disagreement.objects.filter(status=DisagreementStatus.OPEN, assignee=user).select_related(
        "item", "plan"
    )


# --- meetings, promises, profiles ---------------------------------------------------------------------


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    return access.meetings_visible_to(user).select_related("plan", "team")


def meeting_get(*, user: Any, meeting_id: int) -> Meeting:
    meeting: Meeting = access.access_meeting_by_id(user, meeting_id, action="view")
    return meeting


def action_item_get(*, user: Any, action_id: int) -> ActionItem:
    action: ActionItem = access.access_action_item_by_id(user, action_id, action="view")
    return action


def promises_visible_to(user: Any) -> QuerySet[Promise]:
    return access.promises_visible_to(user).select_related("owner", "team", "meeting", "plan")


def promise_get(*, user: Any, promise_id: int) -> Promise:
    promise: Promise = access.access_promise_by_id(user, promise_id, action="view")
    return promise


def profiles_visible_to(user: Any) -> QuerySet[ProspectProfile]:
    return access.prospect_profiles_visible_to(user)


def profile_get(*, user: Any, profile_id: int) -> ProspectProfile:
    profile: ProspectProfile = access.access_prospect_profile_by_id(user, profile_id, action="view")
    return profile


def team_members(team: Team) -> QuerySet[User]:
    return User.objects.filter(Q(team=team) | Q(pk=team.manager_id), is_active=True).distinct()
