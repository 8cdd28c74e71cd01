"""What routing adds to the lead page (accord.leads.registry): reassigning the lead to another rep, for
the owner's managers, the sales head and admins."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accord.leads.models import Lead
from accord.people.access import leads_actionable_by, managed_user_ids
from accord.people.models import Role, User

MAX_CANDIDATES = 200


def reassign_candidates(user: User) -> QuerySet[User]:
    """Active reps ``user`` may hand a lead to: everyone for the sales head and admins, else the reps
    they manage."""
    reps = User.objects.filter(is_active=True, roles__role=Role.SALES_REP).distinct()
    if not user.has_role(Role.SALES_HEAD, Role.ADMIN):
        reps = reps.filter(pk__in=managed_user_ids(user))
    return reps.order_by("first_name", "last_name", "username")


def lead_reassign_context(user: User, lead: Lead) -> dict[str, Any] | None:
    """The reassign panel, for those who may reassign this lead (None for everyone else)."""
    if not leads_actionable_by(user, "reassign").filter(pk=lead.pk).exists():
        return None
    candidates = [u for u in reassign_candidates(user)[:MAX_CANDIDATES] if u.pk != lead.owner_id]
    return {"candidates": candidates}
