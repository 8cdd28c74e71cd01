"""Writes for deals: converting an accepted lead, moving, winning and losing deals, and customer stages.

Every write appends an event. The contact's lifecycle stage moves only through
``accord.leads.services.lead_stage_set`` so stage history stays in one place.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from accord.core.currencies import currency_check
from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.models import Channel
from accord.deals.models import OPEN_STAGES, Deal, DealStage
from accord.deals.selectors import CONVERT_ROLES
from accord.leads.models import Account, Lead, Stage
from accord.leads.normalize import company_key
from accord.leads.services import lead_stage_set
from accord.people.access import access_deal_by_id, access_lead_by_id
from accord.people.models import User

# Only leads sales has accepted become deals.
CONVERTIBLE_STAGES = frozenset({Stage.SAL, Stage.SQL})
CUSTOMER_STAGES = frozenset({Stage.CUSTOMER, Stage.LOYAL, Stage.ADVOCATE})
# The loyalty rule: a customer with this many won deals, or a customer this many months, is loyal.
LOYAL_MIN_WON_DEALS = 2
LOYAL_AFTER_MONTHS = 12


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApplicationError("The amount must be a number.", detail={"amount": "is not a number"}) from None
    if not amount.is_finite() or amount < 0:
        raise ApplicationError("The amount must be zero or more.", detail={"amount": "must be zero or more"})
    if amount != amount.quantize(Decimal("0.01")):
        raise ApplicationError(
            "The amount has more than two decimal places.", detail={"amount": "too precise"}
        )
    return amount.quantize(Decimal("0.01"))


def _currency(value: str) -> str:
    return currency_check(value)


def _account_for(lead: Lead) -> tuple[Account, bool]:
    """The lead's account, else an account with the same normalised company name, else a new one."""
    if lead.account_id:
        return Account.objects.get(pk=lead.account_id), False
    name = (lead.company or "").strip()
    if not name:
        raise ApplicationError(
            "This lead has no account and no company: add the company before converting.",
            detail={"company": "is required to open a deal"},
        )
    key = company_key(name)
    existing = Account.objects.filter(name_key=key).order_by("pk").first() if key else None
    if existing is not None:
        return existing, False
    account = Account.objects.create(
        name=name,
        name_key=key,
        industry=lead.industry,
        size=lead.company_size,
        country=lead.country,
        website=lead.website,
    )
    return account, True


@transaction.atomic
def lead_convert(
    *,
    lead: Lead,
    user: User,
    amount: Decimal | int | str,
    currency: str = "USD",
    name: str | None = None,
    expected_close: date | None = None,
    channel: str = Channel.PAGE,
) -> Deal:
    """Open a deal for an accepted lead (SAL or SQL): reuse or create its account, move it to opportunity."""
    if not user.has_role(*CONVERT_ROLES):
        raise AccessDenied("Only sales may convert a lead into a deal.")
    # "May act", not "may see": a rep sees a teammate's lead but does not convert it (403, nothing written).
    lead = access_lead_by_id(user, lead.pk, action="convert", lock=True)
    if lead.merged_into_id:
        raise Conflict(
            "This lead was merged into another; convert that one instead.", detail={"lead": "merged"}
        )
    if lead.stage not in CONVERTIBLE_STAGES:
        raise Conflict(
            "Only leads sales has accepted (SAL or SQL) become deals; "
            f"this lead is at {lead.get_stage_display()}.",
            detail={"stage": lead.stage},
        )
    value, code = _amount(amount), _currency(currency)
    account, account_created = _account_for(lead)
    if lead.account_id is None:
        lead.account = account
        lead.save(update_fields=["account", "updated_at"])  # save(), so the audit trail sees it
    deal = Deal(
        name=(name or "").strip() or f"{account.name}: {lead.full_name or lead.email}",
        account=account,
        contact=lead,
        owner=lead.owner or user,
        amount=value,
        currency=code,
        stage=DealStage.QUALIFICATION,
        expected_close=expected_close,
        created_by=user,
    )
    deal.full_clean()
    deal.save()
    event_record(
        type="deal.created",
        subject=deal,
        actor=user,
        channel=channel,
        payload={
            "lead": lead.pk,
            "account": account.pk,
            "account_created": account_created,
            "amount": str(value),
            "currency": code,
            "owner": deal.owner_id,
            "lead_stage": lead.stage,
            "expected_close": expected_close.isoformat() if expected_close else None,
        },
    )
    lead_stage_set(
        lead=lead, stage=Stage.OPPORTUNITY, actor=user, channel=channel, reason=f"Converted to deal {deal.pk}"
    )
    return deal


def _deal_for_action(deal: Deal, user: User) -> Deal:
    """The deal, locked, if ``user`` may act on it (accord.people.access); 404 or 403 otherwise."""
    locked: Deal = access_deal_by_id(user, deal.pk, action="act", lock=True)
    return locked


def _closed_at(value: datetime | None, deal: Deal) -> datetime:
    moment = value or timezone.now()
    if timezone.is_naive(moment):
        raise ApplicationError("closed_at needs a time zone.", detail={"closed_at": "naive"})
    if moment < deal.created_at:
        raise ApplicationError(
            "A deal cannot close before it was opened.", detail={"closed_at": "before created_at"}
        )
    if moment > timezone.now():
        raise ApplicationError("A deal cannot close in the future.", detail={"closed_at": "in the future"})
    return moment


@transaction.atomic
def deal_stage_set(*, deal: Deal, user: User, stage: str, channel: str = Channel.PAGE) -> Deal:
    """Move an open deal between qualification, proposal and negotiation (win and lose have their own)."""
    if stage not in OPEN_STAGES:
        raise ApplicationError(
            "Use win or lose to close a deal; this moves open deals only.",
            detail={"stage": f"use one of {', '.join(sorted(OPEN_STAGES))}"},
        )
    deal = _deal_for_action(deal, user)
    if not deal.is_open:
        raise Conflict(
            f"This deal is already {deal.get_stage_display().lower()}.", detail={"stage": deal.stage}
        )
    if deal.stage == stage:
        return deal
    previous = deal.stage
    deal.stage = stage
    deal.save(update_fields=["stage", "updated_at"])
    event_record(
        type="deal.stage_changed",
        subject=deal,
        actor=user,
        channel=channel,
        payload={"from": previous, "to": stage},
    )
    return deal


@transaction.atomic
def deal_win(
    *,
    deal: Deal,
    user: User,
    closed_at: datetime | None = None,
    reason: str = "",
    channel: str = Channel.PAGE,
) -> Deal:
    """Mark a deal won: revenue counts from ``closed_at`` and its contact becomes a customer."""
    deal = _deal_for_action(deal, user)
    if not deal.is_open:
        raise Conflict(
            f"This deal is already {deal.get_stage_display().lower()}.", detail={"stage": deal.stage}
        )
    deal.stage = DealStage.WON
    deal.closed_at = _closed_at(closed_at, deal)
    deal.won_reason = (reason or "").strip()
    deal.save(update_fields=["stage", "closed_at", "won_reason", "updated_at"])
    event_record(
        type="deal.won",
        subject=deal,
        actor=user,
        channel=channel,
        occurred_at=deal.closed_at,
        payload={
            "amount": str(deal.amount),
            "currency": deal.currency,
            "reason": deal.won_reason,
            "contact": deal.contact_id,
            "account": deal.account_id,
            "owner": deal.owner_id,
        },
    )
    contact = Lead.objects.get(pk=deal.contact_id)
    if contact.stage not in CUSTOMER_STAGES:
        lead_stage_set(
            lead=contact, stage=Stage.CUSTOMER, actor=user, channel=channel, reason=f"Deal {deal.pk} won"
        )
    return deal


@transaction.atomic
def deal_lose(
    *, deal: Deal, user: User, reason: str, closed_at: datetime | None = None, channel: str = Channel.PAGE
) -> Deal:
    """Mark a deal lost; the reason is required (it feeds the loss analysis). The contact's stage stays."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the deal was lost.", detail={"reason": "is required"})
    deal = _deal_for_action(deal, user)
    if not deal.is_open:
        raise Conflict(
            f"This deal is already {deal.get_stage_display().lower()}.", detail={"stage": deal.stage}
        )
    deal.stage = DealStage.LOST
    deal.closed_at = _closed_at(closed_at, deal)
    deal.lost_reason = reason
    deal.save(update_fields=["stage", "closed_at", "lost_reason", "updated_at"])
    event_record(
        type="deal.lost",
        subject=deal,
        actor=user,
        channel=channel,
        occurred_at=deal.closed_at,
        payload={
            "amount": str(deal.amount),
            "currency": deal.currency,
            "reason": reason,
            "contact": deal.contact_id,
            "owner": deal.owner_id,
        },
    )
    return deal


@transaction.atomic
def customer_stage_set(
    *, lead: Lead, stage: str, user: User, reason: str, channel: str = Channel.PAGE
) -> Lead:
    """Move a customer between customer, loyal and advocate by hand. Advocates are only ever set this way."""
    if stage not in CUSTOMER_STAGES:
        raise ApplicationError(
            "Customer stages are customer, loyal and advocate.",
            detail={"stage": f"use one of {', '.join(sorted(CUSTOMER_STAGES))}"},
        )
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why this customer's stage changes.", detail={"reason": "is required"})
    lead = access_lead_by_id(user, lead.pk, action="stage")
    if lead.stage not in CUSTOMER_STAGES:
        raise Conflict(
            f"Only customers move between customer stages; this lead is at {lead.get_stage_display()}. "
            "Win a deal first.",
            detail={"stage": lead.stage},
        )
    return lead_stage_set(lead=lead, stage=stage, actor=user, channel=channel, reason=f"By hand: {reason}")


def _months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` earlier (the last day of the month when that day does not exist)."""
    year, month = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + year, month + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def customer_stages_apply_rules(*, as_of: datetime | None = None) -> list[tuple[int, str]]:
    """Promote customers to loyal: 2 or more won deals, or a customer for 12 months (since their first win).

    Only leads at stage customer are considered: loyal customers are never demoted and advocates are
    set by hand only (``customer_stage_set``). Idempotent. Returns (lead id, reason) for each move.
    """
    now = as_of or timezone.now()
    cutoff = _months_before(now, LOYAL_AFTER_MONTHS)
    won = Q(deals__stage=DealStage.WON, deals__closed_at__lte=now)
    candidates = (
        Lead.objects.live()
        .filter(stage=Stage.CUSTOMER)
        .annotate(won_deals=Count("deals", filter=won), first_won=Min("deals__closed_at", filter=won))
        .filter(Q(won_deals__gte=LOYAL_MIN_WON_DEALS) | Q(first_won__lte=cutoff))
    )
    moved: list[tuple[int, str]] = []
    for lead in candidates:
        if lead.won_deals >= LOYAL_MIN_WON_DEALS:
            reason = f"Rule: {lead.won_deals} won deals (loyal from {LOYAL_MIN_WON_DEALS})"
        else:
            reason = (
                f"Rule: customer since {lead.first_won:%Y-%m-%d}, "
                f"{LOYAL_AFTER_MONTHS} months or more (loyal after {LOYAL_AFTER_MONTHS})"
            )
        with transaction.atomic():
            lead_stage_set(lead=lead, stage=Stage.LOYAL, actor=None, channel=Channel.TASK, reason=reason)
        moved.append((lead.pk, reason))
    return moved
