"""Reads for deals: one deal, the deal lists. Who sees and works which deal is decided in
``accord.people.access`` (``deals_visible_to`` is re-exported here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from accord.deals.models import Deal, DealStage
from accord.people import access
from accord.people.access import access_deal_by_id, deals_actionable_by, deals_visible_to
from accord.people.models import User

# Who may convert a lead into a deal; the record-level rules live in accord.people.access.
CONVERT_ROLES = access.CONVERT_ROLES


def can_act_on_deal(user: User, deal: Deal) -> bool:
    """Whether the user may win, lose or move this deal (for showing the buttons; writes check again)."""
    return deals_actionable_by(user).filter(pk=deal.pk).exists()


def deal_get(*, user: User, deal_id: int) -> Deal:
    """A deal the user may see, or NotFound (never 403: existence is not disclosed)."""
    deal: Deal = access_deal_by_id(user, deal_id, action="view")
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
