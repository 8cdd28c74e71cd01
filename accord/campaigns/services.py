"""Writes for campaigns and their cost lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accord.campaigns.models import (
    Campaign,
    CampaignChannel,
    CampaignStatus,
    CostLine,
)
from accord.core.calendar import FiscalCalendar, fiscal_calendar
from accord.core.currencies import currency_check
from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.models import Channel
from accord.people import access
from accord.people.models import User

CAMPAIGN_FIELDS = (
    "name",
    "channel",
    "status",
    "owner",
    "parent",
    "start_date",
    "end_date",
    "budget",
    "currency",
    "utm_campaign",
    "description",
    "is_launch",
    "override_reason",
    "benefit_for_sales",
)

# A launch in the last week of a month is "at month end" (A6: be sensitive to month- and quarter-end).
MONTH_END_DAYS = 7


def utm_key(value: str | None) -> str:
    """The form a utm_campaign value is stored and looked up in: trimmed and lower-cased."""
    return (value or "").strip().lower()


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApplicationError(f"{field} must be a number.", detail={field: "is not a number"}) from None
    if not amount.is_finite():
        raise ApplicationError(f"{field} must be a number.", detail={field: "is not a number"})
    try:
        cents = amount.quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than Decimal's context holds, e.g. 1e308
        raise ApplicationError(f"{field} is too large.", detail={field: "too large"}) from None
    if amount != cents:
        raise ApplicationError(f"{field} has more than two decimal places.", detail={field: "too precise"})
    return cents


def _currency(value: str) -> str:
    return currency_check(value)


def _full_clean(obj: Any) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        detail = {field: " ".join(str(m) for m in msgs) for field, msgs in exc.message_dict.items()}
        raise ApplicationError(f"The campaign data is not valid: {detail}", detail=detail) from None


def _check_parent(campaign: Campaign, parent: Campaign | None) -> None:
    """Refuse a parent that would make a cycle or mix currencies."""
    if parent is None:
        return
    seen: set[int] = set()
    cursor: Campaign | None = parent
    while cursor is not None:
        if campaign.pk is not None and cursor.pk == campaign.pk:
            raise Conflict(
                f"{parent} cannot be the parent of {campaign}: "
                f"it is {campaign} itself or one of its children.",
                detail={"parent": "would make a cycle"},
            )
        if cursor.pk in seen:  # an existing cycle (only possible through raw SQL): stop walking
            break
        seen.add(cursor.pk)
        cursor = Campaign.objects.filter(pk=cursor.parent_id).first() if cursor.parent_id else None
    if parent.currency != campaign.currency:
        raise ApplicationError(
            f"A child campaign uses its parent's currency ({parent.currency}) so costs add up.",
            detail={"currency": f"must be {parent.currency}"},
        )


def _check_utm(campaign: Campaign) -> None:
    if (
        campaign.utm_campaign
        and Campaign.objects.filter(utm_campaign=campaign.utm_campaign).exclude(pk=campaign.pk).exists()
    ):
        raise Conflict(
            f"Another campaign already uses utm_campaign {campaign.utm_campaign!r}.",
            detail={"utm_campaign": "taken"},
        )


def launch_timing_warning(start: date | None, calendar: FiscalCalendar | None = None) -> str:
    """Why a launch starting on ``start`` is badly timed for sales ("" when it is not): the last month
    of a fiscal quarter, when sales is closing the quarter, or the last week of any month."""
    if start is None:
        return ""
    calendar = calendar or fiscal_calendar()
    if calendar.is_last_month_of_quarter(start):
        return (
            f"{start.isoformat()} falls in the last month of {calendar.label(start)}, when sales is closing "
            "the quarter"
        )
    next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    if (next_month - start).days <= MONTH_END_DAYS:
        return f"{start.isoformat()} falls in the last week of the month, when sales is closing the month"
    return ""


def _check_launch(campaign: Campaign, calendar: FiscalCalendar | None = None) -> None:
    """A launch at a quarter's last month or a month's last week needs an override reason (shown to
    sales); a launch going live needs its benefit for sales."""
    campaign.override_reason = (campaign.override_reason or "").strip()
    campaign.benefit_for_sales = (campaign.benefit_for_sales or "").strip()
    if not campaign.is_launch:
        return
    warning = launch_timing_warning(campaign.start_date, calendar)
    if warning and not campaign.override_reason:
        raise ApplicationError(
            f"This launch starts on {warning}: move it, or give an override reason (sales will see it).",
            detail={"override_reason": "required: " + warning},
            status=422,
        )
    if campaign.status == CampaignStatus.ACTIVE and not campaign.benefit_for_sales:
        raise ApplicationError(
            "Say what's in it for sales before the launch goes live.",
            detail={"benefit_for_sales": "required before launch"},
            status=422,
        )


@transaction.atomic
def campaign_create(
    *,
    name: str,
    actor: User,
    channel: str = CampaignChannel.OTHER,
    owner: Any = None,
    parent: Campaign | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    budget: Decimal | int | str = Decimal("0"),
    currency: str = "USD",
    utm_campaign: str = "",
    status: str = CampaignStatus.PLANNED,
    description: str = "",
    is_launch: bool = False,
    override_reason: str = "",
    benefit_for_sales: str = "",
    event_channel: str = Channel.PAGE,
) -> Campaign:
    """A new campaign. A child takes its place under ``parent``; utm_campaign must be unique (any case)."""
    campaign = Campaign(
        name=(name or "").strip(),
        channel=channel,
        owner=owner or (actor if getattr(actor, "pk", None) else None),
        parent=parent,
        start_date=start_date,
        end_date=end_date,
        budget=_money(budget, "budget"),
        currency=_currency(currency),
        utm_campaign=utm_key(utm_campaign),
        status=status,
        description=description,
        is_launch=bool(is_launch),
        override_reason=override_reason or "",
        benefit_for_sales=benefit_for_sales or "",
    )
    _check_parent(campaign, parent)
    _check_launch(campaign)
    _check_utm(campaign)
    _full_clean(campaign)
    campaign.save()
    event_record(
        type="campaign.created",
        subject=campaign,
        actor=actor,
        channel=event_channel,
        payload=_campaign_payload(campaign),
    )
    return campaign


@transaction.atomic
def campaign_update(
    *, campaign: Campaign, actor: User, event_channel: str = Channel.PAGE, **changes: Any
) -> Campaign:
    """Change a campaign's fields (only those named in CAMPAIGN_FIELDS); records before/after."""
    unknown = set(changes) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
            detail={f: "unknown" for f in unknown},
        )
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = _campaign_payload(campaign)
    for field, value in list(changes.items()):
        model_field = Campaign._meta.get_field(field)
        if value is None and not model_field.null:
            # full_clean() lets None through a blank=True text field, and the NOT NULL column would
            # then refuse it with a 500: an empty text is what "no value" means there.
            if model_field.blank and model_field.get_internal_type() in ("CharField", "TextField"):
                changes[field] = ""
            else:
                raise ApplicationError(
                    f"The campaign's {field} cannot be empty: leave it out of the request to keep "
                    "the current value.",
                    detail={field: "may not be null"},
                )
    if "budget" in changes:
        changes["budget"] = _money(changes["budget"], "budget")
    if "currency" in changes:
        changes["currency"] = _currency(changes["currency"])
        if changes["currency"] != campaign.currency and (
            campaign.cost_lines.exists() or campaign.children.exists()
        ):
            raise Conflict(
                "The currency cannot change once the campaign has costs or children.",
                detail={"currency": "locked"},
            )
    if "utm_campaign" in changes:
        changes["utm_campaign"] = utm_key(changes["utm_campaign"])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    for field, value in changes.items():
        setattr(campaign, field, value)
    if "parent" in changes:
        _check_parent(campaign, changes["parent"])
    _check_launch(campaign)
    _check_utm(campaign)
    _full_clean(campaign)
    campaign.save()
    after = _campaign_payload(campaign)
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if diff:
        event_record(
            type="campaign.updated",
            subject=campaign,
            actor=actor,
            channel=event_channel,
            payload={"changes": diff},
        )
    return campaign


def _campaign_payload(campaign: Campaign) -> dict[str, Any]:
    return {
        "name": campaign.name,
        "channel": campaign.channel,
        "status": campaign.status,
        "owner": campaign.owner_id,
        "parent": campaign.parent_id,
        "start_date": campaign.start_date.isoformat() if campaign.start_date else None,
        "end_date": campaign.end_date.isoformat() if campaign.end_date else None,
        "budget": str(campaign.budget),
        "currency": campaign.currency,
        "utm_campaign": campaign.utm_campaign,
        "is_launch": campaign.is_launch,
        "override_reason": campaign.override_reason,
        "benefit_for_sales": campaign.benefit_for_sales,
    }


@transaction.atomic
def cost_line_add(
    *,
    campaign: Campaign,
    amount: Decimal | int | str,
    actor: User,
    incurred_on: date | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    currency: str | None = None,
    note: str = "",
    event_channel: str = Channel.PAGE,
) -> CostLine:
    """Record money spent: on one day (``incurred_on``) or spread evenly over ``period_start..period_end``.

    The currency must be the campaign's: Accord keeps no exchange rates, so convert before entering.
    """
    if incurred_on is not None and (period_start or period_end):
        raise ApplicationError(
            "Give either incurred_on or a period, not both.", detail={"incurred_on": "conflicts"}
        )
    if incurred_on is not None:
        period_start = period_end = incurred_on
    if period_start is None or period_end is None:
        raise ApplicationError(
            "A cost needs the day it was incurred or a period start and end.",
            detail={"incurred_on": "is required"},
        )
    if period_end < period_start:
        raise ApplicationError(
            "The period ends before it starts.", detail={"period_end": "before period_start"}
        )
    code = _currency(currency or campaign.currency)
    if code != campaign.currency:
        raise ApplicationError(
            f"This campaign counts in {campaign.currency}; convert the cost before adding it.",
            detail={"currency": f"must be {campaign.currency}"},
        )
    value = _money(amount, "amount")
    if value == 0:
        raise ApplicationError("A cost of zero records nothing.", detail={"amount": "is zero"})
    line = CostLine(
        campaign=campaign,
        amount=value,
        currency=code,
        period_start=period_start,
        period_end=period_end,
        note=(note or "").strip()[:300],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _full_clean(line)
    line.save()
    event_record(
        type="campaign.cost_added",
        subject=campaign,
        actor=actor,
        channel=event_channel,
        payload={
            "cost_line": line.pk,
            "amount": str(value),
            "currency": code,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
        },
    )
    return line


COST_LINE_FIELDS = ("amount", "period_start", "period_end", "note")


@transaction.atomic
def cost_line_update(
    *, cost_line: CostLine, actor: User, event_channel: str = Channel.PAGE, **changes: Any
) -> CostLine:
    """Correct a cost line (amount, period, note). The save leaves a ChangeRecord with the old and new
    values (accord.audit) and the campaign's history a ``campaign.cost_changed`` event. The currency is
    the campaign's and does not change; a refund is better entered as a negative line of its own."""
    unknown = set(changes) - set(COST_LINE_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These fields of a cost cannot be changed: {', '.join(sorted(unknown))}.",
            detail={f: "unknown" for f in unknown},
        )
    # "May act", asked of the access layer: marketing and admins change costs; everyone else reads them.
    if not access.restrict(CostLine.objects.filter(pk=cost_line.pk), actor, "change").exists():
        raise AccessDenied(
            "Only marketing and admins change a campaign's costs.", detail={"id": cost_line.pk}
        )
    line = CostLine.objects.select_for_update().select_related("campaign").get(pk=cost_line.pk)
    before = _cost_line_payload(line)
    if "amount" in changes:
        value = _money(changes["amount"], "amount")
        if value == 0:
            raise ApplicationError("A cost of zero records nothing.", detail={"amount": "is zero"})
        line.amount = value
    for field in ("period_start", "period_end"):
        if field in changes:
            if changes[field] is None:
                raise ApplicationError(
                    f"A cost needs its {field.replace('_', ' ')}.", detail={field: "is required"}
                )
            setattr(line, field, changes[field])
    if line.period_end < line.period_start:
        raise ApplicationError(
            "The period ends before it starts.", detail={"period_end": "before period_start"}
        )
    if "note" in changes:
        line.note = (changes["note"] or "").strip()[:300]
    after = _cost_line_payload(line)
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not diff:
        return line
    _full_clean(line)
    line.save()
    event_record(
        type="campaign.cost_changed",
        subject=line.campaign,
        actor=actor,
        channel=event_channel,
        payload={"cost_line": line.pk, "changes": diff},
    )
    return line


def _cost_line_payload(line: CostLine) -> dict[str, Any]:
    return {
        "amount": str(line.amount),
        "period_start": line.period_start.isoformat(),
        "period_end": line.period_end.isoformat(),
        "note": line.note,
    }
