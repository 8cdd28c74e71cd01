"""Reads for deals: the one place deciding who sees and works which deal, and the deal lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from accord.core.errors import NotFound
from accord.deals.models import Deal, DealStage
from accord.people.models import Role, User

# Roles that read every deal. Marketing and executives read; they do not work deals.
ALL_DEALS_ROLES = frozenset(
    {Role.ADMIN, Role.MARKETING, Role.MARKETING_HEAD, Role.SALES_HEAD, Role.EXECUTIVE}
)
# Roles that may win, lose or move any deal they can see.
DEAL_ACTION_ALL_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD})
# Roles that may convert a lead they can see into a deal.
CONVERT_ROLES = frozenset({Role.ADMIN, Role.SALES_HEAD, Role.SALES_MANAGER, Role.SALES_REP})


def _managed_condition(user: User) -> Q:
    """Deals owned by the members of the teams ``user`` manages or by their direct reports."""
    return Q(owner__team__manager=user) | Q(owner__manager=user)


def deals_visible_to(user: User) -> QuerySet[Deal]:
    """Heads, executives, marketing and admins see every deal; a manager their team's; a rep their own."""
    if not user.is_authenticated or not user.is_active:
        return Deal.objects.none()
    roles = user.role_set
    if roles & ALL_DEALS_ROLES:
        return Deal.objects.all()
    condition = Q(pk__in=[])
    if Role.SALES_MANAGER in roles:
        condition |= Q(owner=user) | _managed_condition(user)
    if Role.SALES_REP in roles:
        condition |= Q(owner=user)
    return Deal.objects.filter(condition)


def can_act_on_deal(user: User, deal: Deal) -> bool:
    """Win, lose or move a deal: its owner, the owner's manager or team manager, sales heads and admins."""
    if not user.is_authenticated:
        return False
    if user.has_role(*DEAL_ACTION_ALL_ROLES):
        return True
    if deal.owner_id == user.pk and user.has_role(Role.SALES_REP, Role.SALES_MANAGER):
        return True
    if user.has_role(Role.SALES_MANAGER) and deal.owner_id is not None:
        return Deal.objects.filter(pk=deal.pk).filter(_managed_condition(user)).exists()
    return False


def deal_get(*, user: User, deal_id: int) -> Deal:
    """A deal the user may see, or NotFound (never 403: existence is not disclosed)."""
    deal = deals_visible_to(user).select_related("account", "contact", "owner").filter(pk=deal_id).first()
    if deal is None:
        raise NotFound(f"Deal {deal_id} was not found.", detail={"id": deal_id})
    return deal


@dataclass(frozen=True)
class DealFilters:
    stage: str = ""
    owner: str = ""  # username or "me"
    q: str = ""


def deal_list(*, user: User, filters: DealFilters | None = None) -> QuerySet[Deal]:
    """Deals the user may see, filtered the same way for the list page and the API."""
    filters = filters or DealFilters()
    qs = deals_visible_to(user).select_related("account", "contact", "owner")
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.owner == "me":
        qs = qs.filter(owner=user)
    elif filters.owner:
        qs = qs.filter(owner__username=filters.owner)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(account__name__icontains=term)
            | Q(contact__email_key__icontains=term.lower())
        )
    return qs.order_by("-created_at", "-id")


def deals_won_between(*, since: datetime, until: datetime) -> QuerySet[Deal]:
    """Deals won and closed in ``[since, until)``; revenue attribution credits them to campaigns
    (registered with accord.leads.registry, so campaigns do not import deals)."""
    return Deal.objects.filter(stage=DealStage.WON, closed_at__gte=since, closed_at__lt=until)
