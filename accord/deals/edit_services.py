"""Writes that correct and create deals: a deal opened directly, its fields, its products (line items),
and the stage probabilities the forecast weighs open deals with.

Every write asks the access layer "may act" (``access_deal_by_id``, ``access_lead_by_id``); every save
goes through ``save()`` so the audit trail (accord.audit.capture) keeps the old and new values, and every
change appends an event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from accord.core.errors import AccessDenied, ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.models import Channel
from accord.deals.models import (
    OPEN_STAGES,
    Deal,
    DealLineItem,
    DealStage,
    StageProbability,
)
from accord.deals.pipeline_selectors import PROBABILITY_ROLES, deal_owner_choices
from accord.deals.selectors import CONVERT_ROLES
from accord.deals.services import CONVERTIBLE_STAGES, _account_for, _amount, _currency
from accord.leads.models import Lead, Stage
from accord.leads.services import lead_stage_set
from accord.people.access import access_deal_by_id, access_lead_by_id
from accord.people.models import User

MAX_LINE_ITEMS = 100
UNSET: Any = object()


def _owner_check(user: User, owner: User | None) -> User | None:
    """``owner`` if ``user`` may give a deal to them: themselves, someone they manage, or (the sales head
    and admins) any salesperson."""
    if owner is None:
        return None
    if not deal_owner_choices(user).filter(pk=owner.pk).exists():
        raise AccessDenied(
            f"You may not give a deal to {owner}: a deal goes to yourself or to someone you manage.",
            detail={"owner": "not someone you may give deals to"},
        )
    return owner


def _name(value: str | None, default: str) -> str:
    name = (value or "").strip() or default
    if len(name) > 255:
        raise ApplicationError("The deal name is longer than 255 characters.", detail={"name": "too long"})
    return name


def _quantity(value: Any, row: int) -> Decimal:
    try:
        quantity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApplicationError(
            f"Product {row}: the quantity must be a number.", detail={f"line_items.{row}": "quantity"}
        ) from None
    if not quantity.is_finite() or quantity <= 0 or quantity != quantity.quantize(Decimal("0.01")):
        raise ApplicationError(
            f"Product {row}: the quantity must be more than zero, with at most two decimals.",
            detail={f"line_items.{row}": "quantity"},
        )
    return quantity


def line_items_clean(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Products as rows of (product, quantity, unit price), checked; rows with no product are dropped."""
    cleaned: list[dict[str, Any]] = []
    for row, item in enumerate(items, start=1):
        product = str(item.get("product") or "").strip()
        if not product:
            if item.get("unit_price") not in (None, ""):
                raise ApplicationError(
                    f"Product {row}: name the product.", detail={f"line_items.{row}": "product"}
                )
            continue
        if len(product) > 200:
            raise ApplicationError(
                f"Product {row}: the name is longer than 200 characters.",
                detail={f"line_items.{row}": "product"},
            )
        try:
            price = _amount(item.get("unit_price"))
        except ApplicationError:
            raise ApplicationError(
                f"Product {row}: the unit price must be a number, zero or more, with at most two decimals.",
                detail={f"line_items.{row}": "unit_price"},
            ) from None
        quantity = _quantity(item.get("quantity", 1) or 1, row)
        cleaned.append({"product": product, "quantity": quantity, "unit_price": price})
    if len(cleaned) > MAX_LINE_ITEMS:
        raise ApplicationError(
            f"A deal holds at most {MAX_LINE_ITEMS} products.", detail={"line_items": "too many"}
        )
    return cleaned


def _line_total(items: list[dict[str, Any]]) -> Decimal:
    total = sum(((i["quantity"] * i["unit_price"]).quantize(Decimal("0.01")) for i in items), Decimal("0"))
    return Decimal(total).quantize(Decimal("0.01"))


def _line_items_write(deal: Deal, items: list[dict[str, Any]]) -> None:
    """Replace the deal's products; deletes and creates go through the ORM so the audit trail sees them."""
    for line in deal.line_items.all():
        line.delete()
    for position, item in enumerate(items):
        line = DealLineItem(deal=deal, position=position, **item)
        line.full_clean()
        line.save()


def _line_items_words(items: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    return [
        {"product": i["product"], "quantity": str(i["quantity"]), "unit_price": str(i["unit_price"])}
        for i in items
    ]


@transaction.atomic
def deal_create(
    *,
    user: User,
    contact: Lead,
    amount: Decimal | int | str | None = None,
    currency: str = "USD",
    name: str | None = None,
    expected_close: date | None = None,
    stage: str = DealStage.QUALIFICATION,
    owner: User | None = None,
    line_items: Iterable[Mapping[str, Any]] = (),
    channel: str = Channel.PAGE,
) -> Deal:
    """Open a deal directly for a contact (a new deal with a customer, or one that did not come from a
    marketing lead). Sales only, on a contact they may act on; an accepted lead (SAL or SQL) becomes an
    opportunity, as when converting; a customer keeps their stage."""
    if not user.has_role(*CONVERT_ROLES):
        raise AccessDenied("Only sales may open deals.")
    contact = access_lead_by_id(user, contact.pk, action="convert", lock=True)
    if contact.merged_into_id:
        raise Conflict(
            "This contact was merged into another; open the deal there.", detail={"contact": "merged"}
        )
    if contact.stage in (Stage.DISQUALIFIED,):
        raise Conflict(
            "This contact is disqualified: requalify them before opening a deal.",
            detail={"contact": contact.stage},
        )
    if stage not in OPEN_STAGES:
        raise ApplicationError(
            "A new deal starts at qualification, proposal or negotiation.",
            detail={"stage": f"use one of {', '.join(sorted(OPEN_STAGES))}"},
        )
    items = line_items_clean(line_items)
    if items:
        value = _line_total(items)
        if amount not in (None, "") and _amount(amount) != value:
            raise ApplicationError(
                f"The amount ({_amount(amount)}) is not the total of the products ({value}); "
                "leave it empty to use the products' total.",
                detail={"amount": "differs from the products' total"},
            )
    elif amount in (None, ""):
        raise ApplicationError("Give the deal an amount or its products.", detail={"amount": "is required"})
    else:
        value = _amount(amount)
    code = _currency(currency)
    deal_owner = _owner_check(user, owner) or user
    account, account_created = _account_for(contact)
    if contact.account_id is None:
        contact.account = account
        contact.save(update_fields=["account", "updated_at"])
    deal = Deal(
        name=_name(name, f"{account.name}: {contact.full_name or contact.email}"),
        account=account,
        contact=contact,
        owner=deal_owner,
        amount=value,
        currency=code,
        stage=stage,
        expected_close=expected_close,
        created_by=user,
    )
    deal.full_clean()
    deal.save()
    _line_items_write(deal, items)
    event_record(
        type="deal.created",
        subject=deal,
        actor=user,
        channel=channel,
        payload={
            "lead": contact.pk,
            "account": account.pk,
            "account_created": account_created,
            "amount": str(value),
            "currency": code,
            "owner": deal.owner_id,
            "stage": stage,
            "lead_stage": contact.stage,
            "expected_close": expected_close.isoformat() if expected_close else None,
            "direct": True,
            "line_items": _line_items_words(items),
        },
    )
    if contact.stage in CONVERTIBLE_STAGES:
        lead_stage_set(
            lead=contact,
            stage=Stage.OPPORTUNITY,
            actor=user,
            channel=channel,
            reason=f"Deal {deal.pk} opened",
        )
    return deal


def _words(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, User):
        return value.username
    return str(value)


@transaction.atomic
def deal_update(
    *,
    deal: Deal,
    user: User,
    name: str | None = None,
    amount: Decimal | int | str | None = None,
    currency: str | None = None,
    expected_close: date | None = UNSET,
    stage: str | None = None,
    owner: User | None = UNSET,
    line_items: Iterable[Mapping[str, Any]] | None = None,
    channel: str = Channel.PAGE,
) -> Deal:
    """Correct an open deal: name, amount, currency, expected close, stage, owner and products.

    Only arguments given change. With products the amount is their total (set ``line_items=[]`` to
    remove them and set the amount by hand). Winning and losing have their own services; a closed deal
    is not edited (its revenue is on the books).
    """
    deal = access_deal_by_id(user, deal.pk, action="act", lock=True)
    if not deal.is_open:
        raise Conflict(
            f"This deal is {deal.get_stage_display().lower()}: closed deals are not edited.",
            detail={"stage": deal.stage},
        )
    before = {
        "name": deal.name,
        "amount": deal.amount,
        "currency": deal.currency,
        "expected_close": deal.expected_close,
        "stage": deal.stage,
        "owner": deal.owner,
    }
    old_items = [
        {"product": i.product, "quantity": i.quantity, "unit_price": i.unit_price}
        for i in deal.line_items.all()
    ]
    if name is not None:
        deal.name = _name(name, deal.name)
    if currency is not None:
        deal.currency = _currency(currency)
    if expected_close is not UNSET:
        deal.expected_close = expected_close
    if stage is not None and stage != deal.stage:
        if stage not in OPEN_STAGES:
            raise ApplicationError(
                "Use win or lose to close a deal; editing moves open deals only.",
                detail={"stage": f"use one of {', '.join(sorted(OPEN_STAGES))}"},
            )
        deal.stage = stage
    if owner is not UNSET and owner != deal.owner:
        if owner is None:
            raise ApplicationError("A deal needs an owner.", detail={"owner": "is required"})
        deal.owner = _owner_check(user, owner)
    items = line_items_clean(line_items) if line_items is not None else None
    has_items = bool(items) if items is not None else bool(old_items)
    if has_items:
        total = _line_total(items if items is not None else old_items)
        if amount not in (None, "") and _amount(amount) != total and _amount(amount) != deal.amount:
            raise ApplicationError(
                f"This deal's amount is the total of its products ({total}); change the products instead.",
                detail={"amount": "set by the products"},
            )
        deal.amount = total
    elif amount not in (None, ""):
        deal.amount = _amount(amount)
    deal.full_clean()
    changes = {
        key: [_words(old), _words(getattr(deal, key))]
        for key, old in before.items()
        if old != getattr(deal, key)
    }
    if items is not None and items != old_items:
        _line_items_write(deal, items)
        changes["line_items"] = [_line_items_words(old_items), _line_items_words(items)]
    if not changes:
        return deal
    deal.save()
    event_record(type="deal.updated", subject=deal, actor=user, channel=channel, payload={"changes": changes})
    if "stage" in changes:
        event_record(
            type="deal.stage_changed",
            subject=deal,
            actor=user,
            channel=channel,
            payload={"from": before["stage"], "to": deal.stage},
        )
    return deal


@transaction.atomic
def stage_probability_set(*, user: User, stage: str, probability: int) -> StageProbability:
    """Set how likely a deal at an open stage is to be won (0-100 %), for the weighted forecast.
    The sales head and admins only: the forecast is sales' number."""
    if not user.has_role(*PROBABILITY_ROLES):
        raise AccessDenied("Only the sales head and admins set stage probabilities.")
    if stage not in OPEN_STAGES:
        raise ApplicationError(
            "Probabilities are set for open stages only (won counts 100 %, lost 0 %).",
            detail={"stage": f"use one of {', '.join(sorted(OPEN_STAGES))}"},
        )
    if isinstance(probability, bool) or not isinstance(probability, int) or not 0 <= probability <= 100:
        raise ApplicationError(
            "A probability is a whole percentage from 0 to 100.", detail={"probability": "0 to 100"}
        )
    row = StageProbability.objects.select_for_update().filter(stage=stage).first()
    previous = row.probability if row else None
    if row is None:
        row = StageProbability(stage=stage, probability=probability)
    row.probability = probability
    row.full_clean()
    row.save()
    event_record(
        type="deal.stage_probability_set",
        subject=row,
        actor=user,
        channel=Channel.PAGE,
        payload={"stage": stage, "from": previous, "to": probability},
    )
    return row
