"""Reads for SLA: who may act on a lead, the policy for a lead, clocks ordered by urgency."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.core.calendar import BusinessCalendar
from accord.core.errors import ApplicationError, NotFound
from accord.leads.models import Lead
from accord.leads.selectors import leads_visible_to
from accord.people.models import Role, User
from accord.people.selectors import user_calendar
from accord.sla.models import SlaClock


def lead_actors(owner: User) -> list[User]:
    """Who besides the owner may accept, reject or log touches: their manager chain and team manager."""
    chain = owner.manager_chain()
    team_manager = owner.team.manager if owner.team_id and owner.team and owner.team.manager_id else None
    if (
        team_manager is not None
        and team_manager.pk != owner.pk
        and all(m.pk != team_manager.pk for m in chain)
    ):
        chain.append(team_manager)
    return chain


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


def user_may_act_on_lead(user: Any, lead: Lead) -> bool:
    """The owner acts on their lead; so do their managers up the chain, their team's manager and admins."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_role(Role.ADMIN):
        return True
    if lead.owner_id is None:
        return False
    if lead.owner_id == user.pk:
        return True
    return any(m.pk == user.pk for m in lead_actors(lead.owner))


def lead_get_for_action(*, user: User, lead_id: int) -> Lead:
    """A lead the user may act on, or NotFound: a rep gets 404 for a colleague's lead as for a missing one."""
    lead = (
        leads_visible_to(user)
        .select_related("owner__team__manager", "owner__manager")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None or not user_may_act_on_lead(user, lead):
        raise NotFound(f"Lead {lead_id} was not found.", detail={"id": lead_id})
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
    clocks = SlaClock.objects.filter(lead__in=leads_visible_to(user)).select_related(
        "lead", "owner", "policy"
    )
    if not include_closed:
        clocks = clocks.open()
    if owner == "me":
        clocks = clocks.filter(owner=user)
    elif owner:
        if not User.objects.filter(username=owner).exists():
            raise ApplicationError(f"No user named {owner!r}.", detail={"owner": "unknown user"})
        clocks = clocks.filter(owner__username=owner)
    return clocks.order_by("due_at", "id")
