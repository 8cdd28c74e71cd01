"""Reads across apps: the account pages and the global search of the top bar.

Accounts come through ``accounts_visible_to``, their people through ``leads_visible_to`` and their deals
through ``deals_visible_to``: an account page shows a rep only what the rep may see of it. Every read
here is bounded (a page of rows, a capped count, a grouped query over one account's rows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, QuerySet, Sum
from django.db.models.functions import Lower
from django.urls import reverse

from accord.campaigns.models import Campaign, Touchpoint
from accord.core import fulltext
from accord.core.errors import NotFound
from accord.core.listing import ListQuery, capped_count
from accord.core.models import Event
from accord.deals.models import Deal, DealStage
from accord.leads.listing import ACCOUNT_LIST
from accord.leads.models import Account, Lead, Stage
from accord.people import access
from accord.people.models import User

# The waterfall, in order: an account stands at the furthest stage any of its people reached.
WATERFALL = [
    Stage.TARGET,
    Stage.INQUIRY,
    Stage.MQL,
    Stage.SAL,
    Stage.SQL,
    Stage.OPPORTUNITY,
    Stage.CUSTOMER,
    Stage.LOYAL,
    Stage.ADVOCATE,
]
STAGE_LABELS = dict(Stage.choices)
DETAIL_ROWS = 50


def lifecycle_stage(stages: set[str]) -> str:
    """The account's stage from its people's stages: the furthest along the waterfall, else nurture,
    else disqualified ("" when it has nobody)."""
    reached = [s for s in WATERFALL if s in stages]
    if reached:
        return str(reached[-1])
    for side in (Stage.NURTURE, Stage.DISQUALIFIED):
        if side in stages:
            return str(side)
    return ""


def account_list(*, user: User, query: ListQuery) -> QuerySet[Account]:
    """Accounts the user may see, filtered and sorted as the list asks."""
    accounts = access.accounts_visible_to(user).select_related("owner", "parent")
    return ACCOUNT_LIST.apply(accounts, query, user=user)


def account_stages(accounts: list[Account], user: User) -> dict[int, str]:
    """Lifecycle stage per account of one page (one grouped query over those accounts' visible leads)."""
    rows = (
        access.leads_visible_to(user)
        .filter(account__in=[a.pk for a in accounts])
        .order_by()
        .values_list("account_id", "stage")
        .distinct()
    )
    stages: dict[int, set[str]] = defaultdict(set)
    for account_id, stage in rows:
        stages[account_id].add(stage)
    return {a.pk: lifecycle_stage(stages.get(a.pk, set())) for a in accounts}


@dataclass
class AccountDetail:
    """What the account page shows, each part read through the access layer."""

    account: Account
    stage: str
    people: list[Lead]
    people_count: Any
    deals: list[Deal]
    revenue: list[tuple[str, Decimal]]  # won, per currency
    pipeline: list[tuple[str, Decimal]]  # open, per currency
    campaigns: list[dict[str, Any]]
    timeline: list[Event]
    children: list[Account]
    duplicates: list[Account] = field(default_factory=list)


def account_detail(*, user: User, account_id: int) -> AccountDetail:
    """One account as the user may see it, or NotFound."""
    account = access.accounts_visible_to(user).select_related("owner", "parent").filter(pk=account_id).first()
    if account is None:
        raise NotFound(f"Account {account_id} was not found.", detail={"id": account_id})
    leads = access.leads_visible_to(user).filter(account=account)
    people = list(leads.select_related("owner").order_by("-created_at", "-id")[:DETAIL_ROWS])
    stages = set(leads.order_by().values_list("stage", flat=True).distinct())
    deals_qs = access.deals_visible_to(user).filter(account=account)
    deals = list(deals_qs.select_related("owner", "contact").order_by("-created_at", "-id")[:DETAIL_ROWS])
    won = (
        deals_qs.filter(stage=DealStage.WON).order_by().values_list("currency").annotate(total=Sum("amount"))
    )
    open_ = (
        deals_qs.exclude(stage__in=[DealStage.WON, DealStage.LOST])
        .order_by()
        .values_list("currency")
        .annotate(total=Sum("amount"))
    )
    touched = (
        Touchpoint.objects.filter(lead__in=leads.values("pk"), campaign__isnull=False)
        .order_by()
        .values("campaign_id", "campaign__name")
        .annotate(touches=Count("id"), last=Max("occurred_at"))
        .order_by("-last")[:DETAIL_ROWS]
    )
    lead_ids = list(leads.order_by("-created_at").values_list("pk", flat=True)[:200])
    deal_ids = [d.pk for d in deals]
    timeline = list(
        (
            Event.objects.filter(subject_type="account", subject_id=account.pk)
            | Event.objects.filter(subject_type="lead", subject_id__in=lead_ids)
            | Event.objects.filter(subject_type="deal", subject_id__in=deal_ids)
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:DETAIL_ROWS]
    )
    duplicates = list(
        access.accounts_visible_to(user)
        .filter(name_key=account.name_key)
        .exclude(pk=account.pk)
        .order_by("name")[:10]
    )
    return AccountDetail(
        account=account,
        stage=lifecycle_stage(stages),
        people=people,
        people_count=capped_count(leads),
        deals=deals,
        revenue=[(c, t) for c, t in won],
        pipeline=[(c, t) for c, t in open_],
        campaigns=list(touched),
        timeline=timeline,
        children=list(access.accounts_visible_to(user).filter(parent=account).order_by("name")[:DETAIL_ROWS]),
        duplicates=duplicates,
    )


# --- global search ---------------------------------------------------------------------------------

PER_GROUP = 5
# How many of the best matches of a kind the search looks at for someone who sees only some records
# of it: a match ranked below this is not suggested to them (type more of the name).
SEARCH_WINDOW = 50


@dataclass(frozen=True)
class SearchResult:
    kind: str  # "Account", "Lead", "Deal", "Campaign"
    title: str
    detail: str
    url: str
    score: float
    snippet: str = ""


def _lead_matches(user: User, term: str, limit: int) -> list[Lead]:
    """Leads whose email, last name or first name starts with the term: three index range reads
    (email_key, lower(last_name), lower(first_name)), each stopping at ``limit`` rows."""
    words = term.lower().split()
    if not words:
        return []
    first = words[0]
    # A range [term, term + U+FFFF) reads a btree in order on both engines (LIKE 'x%' does not on
    # PostgreSQL without a pattern operator class).
    upper = first + "\uffff"
    visible = access.leads_visible_to(user).select_related("account", "owner")
    found: dict[int, Lead] = {}
    by_email = visible.filter(email_key__gte=first, email_key__lt=upper).order_by("email_key")[:limit]
    by_last = (
        visible.annotate(last_lower=Lower("last_name"))
        .filter(last_lower__gte=first, last_lower__lt=upper)
        .order_by("last_lower")[:limit]
    )
    by_first = (
        visible.annotate(first_lower=Lower("first_name"))
        .filter(first_lower__gte=first, first_lower__lt=upper)
        .order_by("first_lower")[:limit]
    )
    for rows in (by_last, by_first, by_email):
        for lead in rows:
            found.setdefault(lead.pk, lead)
    leads = list(found.values())
    if len(words) > 1:  # "vera park": every further word must start a name, the email or the company
        rest = words[1:]

        def matches(lead: Lead) -> bool:
            haystack = f"{lead.first_name} {lead.last_name} {lead.email} {lead.company}".lower().split()
            return all(any(w.startswith(r) for w in haystack) for r in rest)

        leads = [lead for lead in leads if matches(lead)]
    return leads[:limit]


def global_search(*, user: User, term: str, per_group: int = PER_GROUP) -> list[SearchResult]:
    """Accounts, leads, deals and campaigns matching ``term``, best first within each kind, only those
    the user may see. Accounts, deals and campaigns through the full-text index (``accord.core.fulltext``,
    restricted to the visible rows by a subquery); leads through indexed prefix reads."""
    term = (term or "").strip()[:200]
    if len(term) < 2 or "\x00" in term:
        return []
    results: list[SearchResult] = []
    visible = {
        "account": access.accounts_visible_to(user),
        "deal": access.deals_visible_to(user),
        "campaign": access.campaigns_visible_to(user),
    }
    # A queryset without a condition is every row (the all-records roles): searched whole, in one query.
    whole = [name for name, qs in visible.items() if not qs.query.has_filters()]
    hits = fulltext.search(whole, term, limit=per_group * 3) if whole else []
    for name, qs in visible.items():
        if name in whole:
            continue
        # The best SEARCH_WINDOW matches, then those the person sees (one indexed lookup of at most
        # SEARCH_WINDOW ids). Sent to the search as a subquery instead, "accounts holding a lead the rep
        # sees" read every lead of the rep's team for each keystroke (0.5 s at 1M leads).
        candidates = fulltext.search(name, term, limit=SEARCH_WINDOW)
        seen = set(qs.filter(pk__in=[h.object_id for h in candidates]).values_list("pk", flat=True))
        hits += [h for h in candidates if h.object_id in seen]
    by_type: dict[str, list[fulltext.Hit]] = defaultdict(list)
    for hit in hits:
        if len(by_type[hit.doc_type]) < per_group:
            by_type[hit.doc_type].append(hit)
    accounts = Account.objects.in_bulk([h.object_id for h in by_type["account"]])
    deals = Deal.objects.select_related("account").in_bulk([h.object_id for h in by_type["deal"]])
    campaigns = Campaign.objects.in_bulk([h.object_id for h in by_type["campaign"]])
    for hit in by_type["account"]:
        account = accounts.get(hit.object_id)
        if account is not None:
            results.append(
                SearchResult(
                    "Account",
                    account.name,
                    " · ".join(x for x in (account.industry, account.country) if x),
                    reverse("records:account", args=[account.pk]),
                    hit.score,
                )
            )
    for lead in _lead_matches(user, term, per_group):
        results.append(
            SearchResult(
                "Lead",
                lead.full_name or lead.email,
                " · ".join(x for x in (lead.email, lead.company, STAGE_LABELS.get(lead.stage, "")) if x),
                reverse("leads:detail", args=[lead.pk]),
                0.0,
            )
        )
    for hit in by_type["deal"]:
        deal = deals.get(hit.object_id)
        if deal is not None:
            results.append(
                SearchResult(
                    "Deal",
                    deal.name,
                    f"{deal.account.name} · {deal.get_stage_display()} · {deal.amount:,.0f} {deal.currency}",
                    reverse("deals:detail", args=[deal.pk]),
                    hit.score,
                )
            )
    for hit in by_type["campaign"]:
        campaign = campaigns.get(hit.object_id)
        if campaign is not None:
            results.append(
                SearchResult(
                    "Campaign",
                    campaign.name,
                    f"{campaign.get_channel_display()} · {campaign.get_status_display()}",
                    reverse("campaigns:detail", args=[campaign.pk]),
                    hit.score,
                )
            )
    return results


# --- what the full-text index holds ------------------------------------------------------------------


def account_document(account: Account) -> fulltext.Document:
    return fulltext.Document(
        account.pk, account.name, account.website, f"{account.industry} {account.country}"
    )


def deal_document(deal: Deal) -> fulltext.Document:
    return fulltext.Document(deal.pk, deal.name, deal.account.name if deal.account_id else "")


def campaign_document(campaign: Campaign) -> fulltext.Document:
    return fulltext.Document(campaign.pk, campaign.name, campaign.description, campaign.utm_campaign)


def register_search_documents() -> None:
    """Accounts, deals and campaigns are indexed as they are saved (and removed when deleted)."""
    fulltext.register_document_type(
        "account", model=Account, to_document=account_document, queryset=lambda: Account.objects.all()
    )
    fulltext.register_document_type(
        "deal", model=Deal, to_document=deal_document, queryset=lambda: Deal.objects.select_related("account")
    )
    fulltext.register_document_type(
        "campaign", model=Campaign, to_document=campaign_document, queryset=lambda: Campaign.objects.all()
    )
