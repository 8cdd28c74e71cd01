"""Writes for campaigns, their cost lines and touchpoints, and communications with A/B variants.

The intake pipeline calls ``touchpoint_record_from_intake`` once per submission; everything else
records touches through ``touchpoint_record``.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accord.campaigns import sending
from accord.campaigns.models import (
    OUTCOME_FIELDS,
    Audience,
    Campaign,
    CampaignChannel,
    CampaignStatus,
    Communication,
    CommunicationKind,
    CommunicationStatus,
    CostLine,
    Delivery,
    DeliveryStatus,
    Outcome,
    SuccessMetric,
    Touchpoint,
    TouchpointKind,
    Variant,
)
from accord.core.currencies import currency_check
from accord.core.errors import ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.mail_headers import header_clean
from accord.core.models import Channel
from accord.leads.models import Lead, Source, Stage

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")

# utm_medium values people actually send, read as a marketing channel when a touch has no campaign.
CHANNEL_BY_UTM_MEDIUM: dict[str, str] = {
    "email": CampaignChannel.EMAIL,
    "e-mail": CampaignChannel.EMAIL,
    "newsletter": CampaignChannel.EMAIL,
    "cpc": CampaignChannel.PAID_SEARCH,
    "ppc": CampaignChannel.PAID_SEARCH,
    "sem": CampaignChannel.PAID_SEARCH,
    "paid_search": CampaignChannel.PAID_SEARCH,
    "paidsearch": CampaignChannel.PAID_SEARCH,
    "paid_social": CampaignChannel.PAID_SOCIAL,
    "paidsocial": CampaignChannel.PAID_SOCIAL,
    "social_paid": CampaignChannel.PAID_SOCIAL,
    "webinar": CampaignChannel.WEBINAR,
    "event": CampaignChannel.EVENT,
    "tradeshow": CampaignChannel.EVENT,
    "content": CampaignChannel.CONTENT,
    "blog": CampaignChannel.CONTENT,
    "partner": CampaignChannel.PARTNER,
    "affiliate": CampaignChannel.PARTNER,
    "referral": CampaignChannel.PARTNER,
    "direct_mail": CampaignChannel.DIRECT_MAIL,
    "print": CampaignChannel.DIRECT_MAIL,
}

# Intake activities that name a touchpoint kind outright; anything else falls back by intake channel.
KIND_BY_ACTIVITY: dict[str, str] = {
    **{kind: kind for kind in TouchpointKind.values},
    "webinar": TouchpointKind.WEBINAR_ATTENDED,
    "webinar_registration": TouchpointKind.WEBINAR_ATTENDED,
    "event": TouchpointKind.EVENT_VISIT,
    "trade_show": TouchpointKind.EVENT_VISIT,
    "booth_visit": TouchpointKind.EVENT_VISIT,
    "phone_call": TouchpointKind.CALL,
}
KIND_BY_INTAKE_CHANNEL: dict[str, str] = {
    Channel.FORM: TouchpointKind.FORM_SUBMISSION,
    Channel.API: TouchpointKind.FORM_SUBMISSION,
    Channel.PAGE: TouchpointKind.FORM_SUBMISSION,
}

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
)


def utm_key(value: str | None) -> str:
    """The form a utm_campaign value is stored and looked up in: trimmed and lower-cased."""
    return (value or "").strip().lower()


def channel_from_utm_medium(medium: str | None) -> str:
    return CHANNEL_BY_UTM_MEDIUM.get(utm_key(medium), CampaignChannel.OTHER)


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


@transaction.atomic
def campaign_create(
    *,
    name: str,
    actor: Any,
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
    )
    _check_parent(campaign, parent)
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
    *, campaign: Campaign, actor: Any, event_channel: str = Channel.PAGE, **changes: Any
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
    }


@transaction.atomic
def cost_line_add(
    *,
    campaign: Campaign,
    amount: Decimal | int | str,
    actor: Any,
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


def campaign_for_utm(value: str | None) -> Campaign | None:
    """The campaign whose utm_campaign key matches ``value`` in any case, or None."""
    key = utm_key(value)
    if not key:
        return None
    return Campaign.objects.filter(utm_campaign=key).first()


def touchpoint_record(
    *,
    lead: Lead,
    kind: str,
    occurred_at: datetime,
    campaign: Campaign | None = None,
    channel: str | None = None,
    intake_channel: str = "",
    activity: str = "",
    utm: dict[str, str] | None = None,
    source: Source | None = None,
) -> Touchpoint:
    """Record that ``lead`` touched marketing at ``occurred_at``. Idempotent: a repeat returns the first row.

    The marketing channel is, in order: the one given, the campaign's, the one utm_medium names.
    The touchpoint row is itself the record (no extra event): the submission that caused it has its own.
    """
    if kind not in TouchpointKind.values:
        raise ApplicationError(
            f"Unknown touchpoint kind {kind!r}.",
            detail={"kind": f"use one of {', '.join(TouchpointKind.values)}"},
        )
    if occurred_at.tzinfo is None:
        raise ApplicationError("A touchpoint needs an aware datetime.", detail={"occurred_at": "naive"})
    utm = {k: (v or "").strip()[:200] for k, v in (utm or {}).items() if k in UTM_FIELDS}
    if channel is None:
        channel = campaign.channel if campaign else channel_from_utm_medium(utm.get("utm_medium"))
    if channel not in CampaignChannel.values:
        raise ApplicationError(f"Unknown channel {channel!r}.", detail={"channel": "unknown"})
    existing = Touchpoint.objects.filter(
        lead=lead, kind=kind, occurred_at=occurred_at, campaign=campaign
    ).first()
    if existing is not None:
        return existing
    touch = Touchpoint(
        lead=lead,
        campaign=campaign,
        kind=kind,
        occurred_at=occurred_at,
        channel=channel,
        intake_channel=intake_channel,
        activity=(activity or "")[:64],
        source=source,
        **utm,
    )
    try:
        with transaction.atomic():
            touch.save()
    except IntegrityError:
        # The same touch was recorded a moment ago by a concurrent request.
        return Touchpoint.objects.get(lead=lead, kind=kind, occurred_at=occurred_at, campaign=campaign)
    return touch


def touchpoint_record_from_intake(
    *,
    lead: Lead,
    activity: str,
    channel: str,
    occurred_at: datetime,
    utm: dict[str, str],
    source: Source | None,
) -> Touchpoint:
    """The intake pipeline's hook: one touch per submission, linked to the campaign its utm_campaign names.

    ``channel`` is the intake channel (form, api, import, email); the kind comes from the activity
    when it names one, else from the intake channel. An unknown utm_campaign still records the touch
    (without a campaign) so nothing the person did is lost.
    """
    campaign = campaign_for_utm(utm.get("utm_campaign"))
    kind = KIND_BY_ACTIVITY.get(utm_key(activity)) or KIND_BY_INTAKE_CHANNEL.get(
        channel, TouchpointKind.OTHER
    )
    return touchpoint_record(
        lead=lead,
        kind=kind,
        occurred_at=occurred_at,
        campaign=campaign,
        intake_channel=channel,
        activity=activity,
        utm=utm,
        source=source,
    )


@dataclass(frozen=True)
class IntakeTouch:
    """One submission of a bulk intake (CSV import), as the bulk hook takes it."""

    lead_id: int
    activity: str
    channel: str
    occurred_at: datetime
    utm: dict[str, str]
    source_id: int | None = None


def touchpoints_record_from_intake_bulk(
    items: Iterable[IntakeTouch], *, batch_size: int = 5000, new_leads: bool = False
) -> int:
    """The bulk form of ``touchpoint_record_from_intake`` for imports: one campaign query, batched inserts.

    Same rules as the single hook (campaign by utm_campaign in any case, kind from the activity, else
    the intake channel). Repeats are skipped by the unique constraints. Returns how many rows were sent.

    No ``Touchpoint`` instance is built per row: rows go to the database as plain tuples, one
    statement per batch (SQLite ``INSERT OR IGNORE`` with ``executemany``; PostgreSQL ``COPY`` into a
    staging table, then ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``), as ``bulk_create(...,
    ignore_conflicts=True)`` would, at a fraction of its cost per row.

    ``new_leads=True`` says every item is the one touch of a lead created in this transaction, so no
    row can repeat a recorded touch: PostgreSQL then copies straight into the table.
    """
    campaigns = {
        key: (pk, str(channel))
        for pk, key, channel in Campaign.objects.exclude(utm_campaign="").values_list(
            "pk", "utm_campaign", "channel"
        )
    }
    adapt = connection.ops.adapt_datetimefield_value
    stamp = adapt(timezone.now())  # created_at / updated_at, as auto_now(_add) would set them
    moments: dict[datetime, Any] = {}  # an import's touches share one moment: adapt it once
    kinds: dict[tuple[str, str], str] = {}
    sent = 0
    batch: list[tuple[Any, ...]] = []
    for item in items:
        utm = {k: (v or "").strip()[:200] for k, v in item.utm.items() if k in UTM_FIELDS}
        campaign_id, channel = campaigns.get(utm_key(utm.get("utm_campaign")), (None, None))
        kind = kinds.get((item.activity, item.channel))
        if kind is None:
            kind = kinds[(item.activity, item.channel)] = str(
                KIND_BY_ACTIVITY.get(utm_key(item.activity))
                or KIND_BY_INTAKE_CHANNEL.get(item.channel, TouchpointKind.OTHER)
            )
        occurred = moments.get(item.occurred_at)
        if occurred is None:
            occurred = moments[item.occurred_at] = adapt(item.occurred_at)
        batch.append(
            (
                item.lead_id,
                campaign_id,
                kind,
                occurred,
                channel or str(channel_from_utm_medium(utm.get("utm_medium"))),
                str(item.channel),
                (item.activity or "")[:64],
                utm.get("utm_source", ""),
                utm.get("utm_medium", ""),
                utm.get("utm_campaign", ""),
                utm.get("utm_term", ""),
                utm.get("utm_content", ""),
                item.source_id,
                stamp,
                stamp,
            )
        )
        if len(batch) >= batch_size:
            sent += _touchpoints_insert(batch, new_leads=new_leads)
            batch = []
    return sent + _touchpoints_insert(batch, new_leads=new_leads)


_TOUCHPOINT_COLUMNS = (
    ("lead_id", "bigint"),
    ("campaign_id", "bigint"),
    ("kind", "text"),
    ("occurred_at", "timestamptz"),
    ("channel", "text"),
    ("intake_channel", "text"),
    ("activity", "text"),
    ("utm_source", "text"),
    ("utm_medium", "text"),
    ("utm_campaign", "text"),
    ("utm_term", "text"),
    ("utm_content", "text"),
    ("source_id", "bigint"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)


def _touchpoints_insert(batch: list[tuple[Any, ...]], *, new_leads: bool = False) -> int:
    """Rows that repeat a recorded touch are skipped, as with ``bulk_create(ignore_conflicts=True)``."""
    if not batch:
        return 0
    quote = connection.ops.quote_name
    table = quote(Touchpoint._meta.db_table)
    names = ", ".join(quote(name) for name, _ in _TOUCHPOINT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and new_leads:
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in batch:
                    copy.write_row(row)
        elif connection.vendor == "postgresql":
            # COPY cannot skip conflicts: COPY into a session-local staging table, then one
            # INSERT ... SELECT ... ON CONFLICT DO NOTHING (every unique constraint, as bulk_create).
            staging = "accord_touchpoint_staging"
            definition = ", ".join(f"{quote(name)} {kind}" for name, kind in _TOUCHPOINT_COLUMNS)
            raw = cursor.cursor
            with connection.wrap_database_errors:
                raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} ({definition})")
                raw.execute(f"TRUNCATE {staging}")
                with raw.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
                raw.execute(
                    f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} ON CONFLICT DO NOTHING"
                )
                raw.execute(f"TRUNCATE {staging}")
        else:
            marks = ", ".join(["%s"] * len(_TOUCHPOINT_COLUMNS))
            cursor.executemany(f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({marks})", batch)
    return len(batch)


# --- communications and their A/B variants ---------------------------------------------------------

COMMUNICATION_FIELDS = (
    "name",
    "kind",
    "subject",
    "body",
    "success_metric",
    "success_window_days",
    "audience",
    "audience_stage",
)
VARIANT_KEYS = "ABCDEFGHIJ"
# The touch a delivery leaves on the campaign, by kind of communication (attribution reads touches).
TOUCH_KIND_BY_COMMUNICATION: dict[str, str] = {
    CommunicationKind.EMAIL: TouchpointKind.EMAIL_SENT,
    CommunicationKind.CALL_SCRIPT: TouchpointKind.CALL,
}
CLICK_TOUCH_BY_COMMUNICATION: dict[str, str] = {
    CommunicationKind.EMAIL: TouchpointKind.EMAIL_CLICK,
    CommunicationKind.AD: TouchpointKind.AD_CLICK,
}
_PLACEHOLDERS = ("first_name", "last_name", "company")


@dataclass(frozen=True)
class VariantSpec:
    """A variant as a form or the API gives it; empty text falls back to the communication's."""

    subject: str = ""
    body: str = ""
    weight: int = 1


def _communication_check(communication: Communication) -> None:
    if communication.audience_stage and communication.audience_stage not in Stage.values:
        raise ApplicationError(
            f"Unknown stage {communication.audience_stage!r}.", detail={"audience_stage": "unknown"}
        )
    try:
        communication.full_clean(exclude=["campaign", "created_by"])
    except ValidationError as exc:
        detail = {field: " ".join(str(m) for m in msgs) for field, msgs in exc.message_dict.items()}
        raise ApplicationError(f"The communication is not valid: {detail}", detail=detail) from None


def _subjects_check(communication: Communication, variants: list[Variant]) -> None:
    if communication.kind != CommunicationKind.EMAIL:
        return
    missing = [v.key for v in variants if not (v.subject or communication.subject)]
    if missing:
        raise ApplicationError(
            f"An email needs a subject: variant {', '.join(missing)} has none.",
            detail={"subject": "is required for an email"},
            status=422,
        )


def _variants_replace(communication: Communication, variants: list[VariantSpec]) -> list[Variant]:
    if not variants:
        variants = [VariantSpec()]
    if len(variants) > len(VARIANT_KEYS):
        raise ApplicationError(
            f"At most {len(VARIANT_KEYS)} variants.", detail={"variants": "too many"}, status=422
        )
    rows = []
    for key, spec in zip(VARIANT_KEYS, variants, strict=False):
        if not 1 <= spec.weight <= 1000:
            raise ApplicationError(
                f"Variant {key}: the weight must be between 1 and 1000.",
                detail={"variants": f"{key}: weight out of range"},
                status=422,
            )
        rows.append(
            Variant(
                communication=communication,
                key=key,
                subject=(spec.subject or "").strip()[:300],
                body=spec.body or "",
                weight=spec.weight,
            )
        )
    _subjects_check(communication, rows)
    Variant.objects.filter(communication=communication).delete()
    return Variant.objects.bulk_create(rows)


def _communication_payload(communication: Communication) -> dict[str, Any]:
    return {
        "campaign": communication.campaign_id,
        "name": communication.name,
        "kind": communication.kind,
        "status": communication.status,
        "success_metric": communication.success_metric,
        "success_window_days": communication.success_window_days,
        "audience": communication.audience,
        "audience_stage": communication.audience_stage,
        "variants": {
            v.key: {"subject": v.subject, "weight": v.weight}
            for v in Variant.objects.filter(communication=communication).order_by("key")
        },
    }


@transaction.atomic
def communication_create(
    *,
    campaign: Campaign,
    actor: Any,
    name: str,
    kind: str = CommunicationKind.EMAIL,
    subject: str = "",
    body: str = "",
    success_metric: str = SuccessMetric.CLICK,
    success_window_days: int = 14,
    audience: str = Audience.CAMPAIGN,
    audience_stage: str = "",
    variants: list[VariantSpec] | None = None,
    event_channel: str = Channel.PAGE,
) -> Communication:
    """A draft communication of ``campaign`` with its variants (A, B, ... in the order given; one A
    using the communication's own text when none are given)."""
    communication = Communication(
        campaign=campaign,
        name=(name or "").strip(),
        kind=kind,
        subject=(subject or "").strip(),
        body=body or "",
        success_metric=success_metric,
        success_window_days=success_window_days,
        audience=audience,
        audience_stage=audience_stage or "",
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _communication_check(communication)
    communication.save()
    _variants_replace(communication, list(variants or []))
    event_record(
        type="communication.created",
        subject=communication,
        actor=actor,
        channel=event_channel,
        payload=_communication_payload(communication),
    )
    return communication


@transaction.atomic
def communication_update(
    *,
    communication: Communication,
    actor: Any,
    variants: list[VariantSpec] | None = None,
    event_channel: str = Channel.PAGE,
    **changes: Any,
) -> Communication:
    """Change a communication's text, metric or audience, and (before the first delivery) its variants.

    Once anyone received a variant the variants and the metric are fixed: changing what was tested
    would make the verdict compare things nobody was shown.
    """
    unknown = set(changes) - set(COMMUNICATION_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These fields cannot be changed: {', '.join(sorted(unknown))}.",
            detail={f: "unknown" for f in unknown},
        )
    communication = Communication.objects.select_for_update().get(pk=communication.pk)
    before = _communication_payload(communication)
    started = Delivery.objects.filter(communication=communication).exists()
    fixed = {"kind", "subject", "body", "success_metric", "success_window_days"}
    if started and (
        variants is not None or any(changes[f] != getattr(communication, f) for f in fixed & set(changes))
    ):
        raise Conflict(
            "Recipients already got this communication: its variants, text and metric are fixed. "
            "Create a new communication to test something else.",
            detail={"variants": "locked after the first delivery"},
        )
    for field, value in changes.items():
        setattr(communication, field, value.strip() if field in ("name", "subject") else value)
    _communication_check(communication)
    communication.save()
    if variants is not None:
        _variants_replace(communication, variants)
    else:
        _subjects_check(communication, list(communication.variants.all()))
    after = _communication_payload(communication)
    diff = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if diff:
        event_record(
            type="communication.updated",
            subject=communication,
            actor=actor,
            channel=event_channel,
            payload={"changes": diff},
        )
    return communication


@transaction.atomic
def communication_schedule(
    *, communication: Communication, actor: Any, at: datetime, event_channel: str = Channel.PAGE
) -> Communication:
    """Send the communication to its audience at ``at`` (a task runs then); ``at`` in the past sends soon."""
    if at.tzinfo is None:
        raise ApplicationError("The time needs a time zone.", detail={"scheduled_for": "naive"})
    communication = Communication.objects.select_for_update().get(pk=communication.pk)
    if communication.status == CommunicationStatus.SENT:
        raise Conflict("This communication was already sent.", detail={"status": "sent"})
    communication.status = CommunicationStatus.SCHEDULED
    communication.scheduled_for = at
    communication.created_by = communication.created_by or (actor if getattr(actor, "pk", None) else None)
    communication.save(update_fields=["status", "scheduled_for", "created_by", "updated_at"])
    event_record(
        type="communication.scheduled",
        subject=communication,
        actor=actor,
        channel=event_channel,
        payload={"scheduled_for": at.isoformat()},
    )
    from accord.campaigns.tasks import communication_send_scheduled_task

    communication_id = communication.pk
    transaction.on_commit(
        lambda: communication_send_scheduled_task.using(run_after=at).enqueue(
            communication_id=communication_id
        ),
        robust=True,
    )
    return communication


@transaction.atomic
def communication_unschedule(
    *, communication: Communication, actor: Any, event_channel: str = Channel.PAGE
) -> Communication:
    """Cancel a scheduled send: back to draft (the queued task finds it no longer scheduled)."""
    communication = Communication.objects.select_for_update().get(pk=communication.pk)
    if communication.status != CommunicationStatus.SCHEDULED:
        return communication
    communication.status = CommunicationStatus.DRAFT
    communication.scheduled_for = None
    communication.save(update_fields=["status", "scheduled_for", "updated_at"])
    event_record(type="communication.unscheduled", subject=communication, actor=actor, channel=event_channel)
    return communication


def communication_send_scheduled(*, communication_id: int) -> SendResult | None:
    """The scheduled send, as the task runs it: only while still scheduled and due (it may run twice)."""
    communication = Communication.objects.filter(pk=communication_id).select_related("created_by").first()
    now = timezone.now()
    if (
        communication is None
        or communication.status != CommunicationStatus.SCHEDULED
        or communication.scheduled_for is None
        or communication.scheduled_for > now
    ):
        return None
    return communication_send(
        communication=communication, actor=communication.created_by, event_channel=Channel.TASK
    )


@dataclass
class SendResult:
    """What one send did: how many got it, and how many were skipped and why."""

    communication_id: int
    sent: int = 0
    failed: int = 0
    already_sent: int = 0
    skipped_unsubscribed: int = 0
    skipped_no_consent: int = 0
    skipped_no_email: int = 0
    skipped_unavailable: int = 0
    by_variant: dict[str, int] | None = None

    @property
    def skipped(self) -> int:
        return (
            self.skipped_unsubscribed
            + self.skipped_no_consent
            + self.skipped_no_email
            + self.skipped_unavailable
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "already_sent": self.already_sent,
            "skipped": self.skipped,
            "skipped_unsubscribed": self.skipped_unsubscribed,
            "skipped_no_consent": self.skipped_no_consent,
            "skipped_no_email": self.skipped_no_email,
            "skipped_unavailable": self.skipped_unavailable,
            "by_variant": dict(self.by_variant or {}),
        }

    def summary(self) -> str:
        parts = [f"Sent to {self.sent:,}"]
        if self.by_variant:
            parts[0] += " (" + ", ".join(f"{k} {n:,}" for k, n in sorted(self.by_variant.items())) + ")"
        reasons = [
            (self.skipped_unsubscribed, "unsubscribed"),
            (self.skipped_no_consent, "no email consent"),
            (self.skipped_no_email, "no email address"),
            (self.skipped_unavailable, "in the trash or merged away"),
        ]
        shown = [f"{n:,} {why}" for n, why in reasons if n]
        parts.append(f"skipped {self.skipped:,}" + (f" ({', '.join(shown)})" if shown else ""))
        if self.already_sent:
            parts.append(f"{self.already_sent:,} had it already")
        if self.failed:
            parts.append(f"{self.failed:,} failed at the mail server")
        return "; ".join(parts) + "."


def _skip_reason(lead: Lead) -> str | None:
    """Why this lead must not get marketing now, or None. Privacy's check is the authority (see
    ``accord.campaigns.sending``)."""
    if lead.merged_into_id is not None:
        return "unavailable"
    if not lead.email:
        return "no_email"
    return sending.privacy_refusal(lead)


def _personalise(text: str, lead: Lead) -> str:
    for name in _PLACEHOLDERS:
        text = text.replace("{" + name + "}", getattr(lead, name, "") or "")
    return text


_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def _tracked(text: str, delivery: Delivery) -> str:
    """``text`` with every web link replaced by its tracked redirect for this delivery."""
    from accord.campaigns.communication_selectors import click_url

    def swap(match: re.Match[str]) -> str:
        url = match.group(0)
        tail = ""
        while url and url[-1] in ".,;:!?":
            url, tail = url[:-1], url[-1] + tail
        return click_url(delivery_id=delivery.pk, url=url) + tail

    return _URL.sub(swap, text)


def _email_messages(
    *, communication: Communication, variant: Variant, lead: Lead, delivery: Delivery, connection: Any
) -> list[EmailMessage]:
    """The email to the lead (tracked links, unsubscribe link and List-Unsubscribe headers) and one
    plain copy for each rep who asked for copies of communications into their territory."""
    headers = sending.unsubscribe_headers(lead)
    unsubscribe = headers["List-Unsubscribe"].strip("<>")  # the same link in the header and the body
    subject = header_clean(_personalise(variant.effective_subject, lead), max_length=998)
    text = _personalise(variant.effective_body, lead)
    body = (
        f"{_tracked(text, delivery)}\n\n--\n"
        f"You receive this email as part of {communication.campaign.name}. "
        f"To stop receiving marketing emails: {unsubscribe}\n"
    )
    messages = [
        EmailMessage(
            subject,
            body,
            delivery.from_email,
            [lead.email],
            headers=headers,
            connection=connection,
        )
    ]
    copies = [u.email for u in sending.copy_recipients_for(lead) if u.email]
    if copies:
        messages.append(
            EmailMessage(
                f"[Copy] {subject}",
                f"A copy of the email {communication.name!r} (variant {variant.key}) sent to "
                f"{lead} <{lead.email}>, as you asked for copies into your accounts.\n\n{text}\n",
                settings.DEFAULT_FROM_EMAIL,
                copies,
                connection=connection,
            )
        )
    return messages


def _deliver_all(
    *,
    communication: Communication,
    actor: Any,
    leads: Any,
    done: set[int],
    variants: dict[str, Variant],
    at: datetime | None,
    connection: Any,
    touch_kind: str,
    result: SendResult,
    event_channel: str,
) -> None:
    """The per-recipient part of ``communication_send``: privacy check, variant, delivery row, message,
    touch and event; counts go into ``result``."""
    from accord.campaigns.assignment import variant_for

    weights = [(key, v.weight) for key, v in variants.items()]
    campaign = communication.campaign
    is_email = communication.kind == CommunicationKind.EMAIL
    for lead in leads.iterator(chunk_size=500):
        if lead.pk in done:
            result.already_sent += 1
            continue
        reason = _skip_reason(lead)
        if reason is not None:
            setattr(result, f"skipped_{reason}", getattr(result, f"skipped_{reason}") + 1)
            continue
        variant = variants[variant_for(communication_id=communication.pk, lead_id=lead.pk, weights=weights)]
        sent_at = at or timezone.now()
        with transaction.atomic():
            delivery, created = Delivery.objects.get_or_create(
                communication=communication,
                lead=lead,
                defaults={
                    "variant": variant,
                    "sent_at": sent_at,
                    "from_email": sending.sender_for(lead).from_email if is_email else "",
                },
            )
        if not created:  # a concurrent send reached this lead first
            result.already_sent += 1
            continue
        if is_email:
            try:
                for message in _email_messages(
                    communication=communication,
                    variant=variant,
                    lead=lead,
                    delivery=delivery,
                    connection=connection,
                ):
                    message.send()
            except (OSError, smtplib.SMTPException) as exc:
                Delivery.objects.filter(pk=delivery.pk).update(
                    status=DeliveryStatus.FAILED, error=str(exc)[:300], updated_at=timezone.now()
                )
                result.failed += 1
                continue
        with transaction.atomic():
            touchpoint_record(lead=lead, kind=touch_kind, occurred_at=sent_at, campaign=campaign)
            event_record(
                type="communication.sent",
                subject=lead,
                actor=actor,
                channel=event_channel,
                occurred_at=sent_at,
                payload={
                    "communication": communication.pk,
                    "name": communication.name,
                    "campaign": campaign.pk,
                    "variant": variant.key,
                    "subject": variant.effective_subject,
                    "delivery": delivery.pk,
                },
            )
        result.sent += 1
        result.by_variant[variant.key] = result.by_variant.get(variant.key, 0) + 1


def communication_send(
    *,
    communication: Communication,
    actor: Any,
    lead_ids: Iterable[int] | None = None,
    at: datetime | None = None,
    connection: Any = None,
    event_channel: str = Channel.PAGE,
) -> SendResult:
    """Send the communication: each recipient gets one variant, chosen by ``assignment.variant_for``.

    Recipients are ``lead_ids`` when given, else the communication's audience. Privacy is checked
    for each person just before their message (``may_email``: unsubscribed, no consent where consent
    is required, in the trash), so an unsubscribe between two sends is honoured by the second. A lead
    who got this communication already is not sent it again. Emails go through Django's email backend
    under the name ``sender_for`` picks, with an unsubscribe link; other kinds are delivered by their
    own channel and only recorded here. Each delivery leaves a touch on the campaign and an event in
    the lead's timeline. At most once: the delivery row is written before the message goes out.
    ``at`` backdates the send (imports of sends made elsewhere, the demo).
    """
    from accord.campaigns.communication_selectors import communication_recipients

    variants = {v.key: v for v in communication.variants.order_by("key")}
    if not variants:
        raise ApplicationError("The communication has no variants.", detail={"variants": "none"})
    is_email = communication.kind == CommunicationKind.EMAIL
    touch_kind = TOUCH_KIND_BY_COMMUNICATION.get(communication.kind, TouchpointKind.OTHER)
    result = SendResult(communication_id=communication.pk, by_variant={})
    leads = communication_recipients(communication=communication, lead_ids=lead_ids)
    done = set(Delivery.objects.filter(communication=communication).values_list("lead_id", flat=True))
    if is_email and connection is None:
        connection = get_connection()
    opened = bool(connection and connection.open())  # one mail-server session for the whole send
    try:
        _deliver_all(
            communication=communication,
            actor=actor,
            leads=leads,
            done=done,
            variants=variants,
            at=at,
            connection=connection,
            touch_kind=touch_kind,
            result=result,
            event_channel=event_channel,
        )
    finally:
        if opened:
            connection.close()
    with transaction.atomic():
        now = timezone.now()
        changes: dict[str, Any] = {"updated_at": now}
        if result.sent:
            changes["status"] = CommunicationStatus.SENT
        Communication.objects.filter(pk=communication.pk).update(**changes)
        if result.sent:
            Communication.objects.filter(pk=communication.pk, first_sent_at__isnull=True).update(
                first_sent_at=at or now
            )
        event_record(
            type="communication.send_run",
            subject=communication,
            actor=actor,
            channel=event_channel,
            payload={**result.as_dict(), "summary": result.summary()},
        )
    communication.refresh_from_db()
    return result


def delivery_outcome_record(
    *,
    delivery: Delivery,
    outcome: str,
    actor: Any = None,
    occurred_at: datetime | None = None,
    event_channel: str = Channel.PAGE,
) -> tuple[Delivery, bool]:
    """Record that the recipient of ``delivery`` opened, clicked, replied or booked a meeting.

    Idempotent per delivery and outcome: the first moment is kept and a repeat returns (delivery,
    False) without a second event. A click also counts as an open. A click leaves an engagement
    touch on the campaign; every first outcome leaves an event in the lead's timeline.
    """
    if outcome not in OUTCOME_FIELDS:
        raise ApplicationError(
            f"Unknown outcome {outcome!r}; use one of {', '.join(OUTCOME_FIELDS)}.",
            detail={"outcome": "unknown"},
            status=422,
        )
    if delivery.status != DeliveryStatus.SENT:
        raise Conflict("This delivery failed: nobody received it.", detail={"delivery": "failed"})
    at = occurred_at or timezone.now()
    if at.tzinfo is None:
        raise ApplicationError("The time needs a time zone.", detail={"occurred_at": "naive"}, status=422)
    if at < delivery.sent_at:
        raise ApplicationError(
            "An outcome cannot happen before the communication was sent.",
            detail={"occurred_at": "before sent_at"},
            status=422,
        )
    field = OUTCOME_FIELDS[outcome]
    with transaction.atomic():
        stamp = timezone.now()
        # Compare-and-set: two concurrent clicks record one.
        first = Delivery.objects.filter(pk=delivery.pk, **{f"{field}__isnull": True}).update(
            **{field: at, "updated_at": stamp}
        )
        if first:
            if outcome == Outcome.CLICKED:
                Delivery.objects.filter(pk=delivery.pk, opened_at__isnull=True).update(opened_at=at)
            communication = delivery.communication
            event_record(
                type=f"communication.{outcome}",
                subject=delivery.lead,
                actor=actor,
                channel=event_channel,
                occurred_at=at,
                payload={
                    "communication": communication.pk,
                    "name": communication.name,
                    "campaign": communication.campaign_id,
                    "variant": delivery.variant.key,
                    "delivery": delivery.pk,
                },
            )
            click_kind = CLICK_TOUCH_BY_COMMUNICATION.get(communication.kind)
            if outcome == Outcome.CLICKED and click_kind:
                touchpoint_record(
                    lead=delivery.lead, kind=click_kind, occurred_at=at, campaign=communication.campaign
                )
    delivery.refresh_from_db()
    return delivery, bool(first)
