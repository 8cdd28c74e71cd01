"""Writes for touchpoints: a lead touching marketing, recorded one at a time or from intake.

The intake pipeline calls ``touchpoint_record_from_intake`` once per submission (and the import
``touchpoints_record_from_intake_bulk``); everything else records touches through
``touchpoint_record``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accord.campaigns.models import (
    Campaign,
    CampaignChannel,
    Touchpoint,
    TouchpointKind,
)
from accord.campaigns.services import utm_key
from accord.core.errors import ApplicationError
from accord.core.models import Channel
from accord.core.rows import row_insert, rows_write
from accord.leads.models import Lead, Source

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


def channel_from_utm_medium(medium: str | None) -> str:
    return CHANNEL_BY_UTM_MEDIUM.get(utm_key(medium), CampaignChannel.OTHER)


def campaign_for_utm(value: str | None) -> Campaign | None:
    """The campaign whose utm_campaign key matches ``value`` in any case, or None."""
    key = utm_key(value)
    if not key:
        return None
    return Campaign.objects.filter(utm_campaign=key).first()


def campaign_for_reference(value: str | None) -> Campaign | None:
    """The campaign a form's Campaign_ID names: its id in another system (``external_id``), its
    Accord id, or its utm_campaign key, in that order; None when it names none. Indexed look-ups."""
    ref = (value or "").strip()
    if not ref or "\x00" in ref:
        return None
    found = Campaign.objects.filter(external_id=ref).first()
    if found is None and ref.isdigit() and len(ref) < 19:
        found = Campaign.objects.filter(pk=int(ref)).first()
    return found or campaign_for_utm(ref)


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
    member_status: str = "",
    lead_is_new: bool = False,
) -> Touchpoint:
    """Record that ``lead`` touched marketing at ``occurred_at``. Idempotent: a repeat returns the first row.

    The marketing channel is, in order: the one given, the campaign's, the one utm_medium names.
    The touchpoint row is itself the record (no extra event): the submission that caused it has its own.
    ``lead_is_new``: the lead was created in this transaction, so it has no touch yet and no other
    request can record one for it before this one commits; the row is simply inserted.
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
    if not lead_is_new:
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
        member_status=(member_status or "")[:60],
        **utm,
    )
    if lead_is_new:
        return row_insert(touch)  # every new lead's first touch: a prepared INSERT (accord.core.rows)
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
    campaign: Campaign | None = None,
    member_status: str = "",
    lead_is_new: bool = False,
) -> Touchpoint:
    """The intake pipeline's hook: one touch per submission, linked to the campaign its utm_campaign names.

    ``campaign`` (the one a form's Campaign_ID named) wins over utm_campaign; ``member_status`` is the
    status the form gave the person in it (Salesforce's default is "Responded").

    ``channel`` is the intake channel (form, api, import, email); the kind comes from the activity
    when it names one, else from the intake channel. An unknown utm_campaign still records the touch
    (without a campaign) so nothing the person did is lost.
    """
    campaign = campaign or campaign_for_utm(utm.get("utm_campaign"))
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
        member_status=member_status if campaign else "",
        lead_is_new=lead_is_new,
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
    campaign_ref: str = ""  # the row's Campaign_ID, as campaign_for_reference reads it
    member_status: str = ""


def touchpoints_record_from_intake_bulk(
    items: Iterable[IntakeTouch], *, batch_size: int = 5000, new_leads: bool = False
) -> int:
    """The bulk form of ``touchpoint_record_from_intake`` for imports: one campaign query, batched inserts.

    Same rules as the single hook (the campaign a row's Campaign_ID names, by external id, Accord id or
    utm_campaign, with its member status, "Responded" by default; else the one its utm_campaign names, in
    any case; kind from the activity, else the intake channel). Repeats are skipped by the unique
    constraints. Returns how many rows were sent.

    No ``Touchpoint`` instance is built per row: rows go to the database as plain tuples, one
    statement per batch (SQLite ``INSERT OR IGNORE`` with ``executemany``; PostgreSQL ``COPY`` into a
    staging table, then ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``), as ``bulk_create(...,
    ignore_conflicts=True)`` would, at a fraction of its cost per row.

    ``new_leads=True`` says every item is the one touch of a lead created in this transaction, so no
    row can repeat a recorded touch: PostgreSQL then copies straight into the table.
    """
    rows = IntakeTouchRows()
    sent = 0
    batch: list[tuple[Any, ...]] = []
    for row in rows.build(items):
        batch.append(row)
        if len(batch) >= batch_size:
            touchpoints_insert(batch, new_leads=new_leads)
            sent += len(batch)
            batch = []
    touchpoints_insert(batch, new_leads=new_leads)
    return sent + len(batch)


class IntakeTouchRows:
    """The rows ``touchpoints_record_from_intake_bulk`` writes, for ``touchpoints_insert``. The
    campaigns are read when it is made; building rows then reads nothing from the database, so a bulk
    path can build them while its previous statement is still being written."""

    def __init__(self) -> None:
        self.campaigns: dict[str, tuple[int, str]] = {}
        self.by_ref: dict[str, tuple[int, str]] = {}  # a row's Campaign_ID: external id or Accord id
        for pk, key, external, channel in Campaign.objects.values_list(
            "pk", "utm_campaign", "external_id", "channel"
        ):
            if key:
                self.campaigns[key] = (pk, str(channel))
            self.by_ref.setdefault(str(pk), (pk, str(channel)))
            if external:
                self.by_ref[external] = (pk, str(channel))
        self.stamp = connection.ops.adapt_datetimefield_value(timezone.now())  # created_at, updated_at
        self.moments: dict[datetime, Any] = {}  # an import's touches share one moment: adapt it once
        self.kinds: dict[tuple[str, str], str] = {}

    def build(self, items: Iterable[IntakeTouch]) -> Iterator[tuple[Any, ...]]:
        """One row per item, in ``_TOUCHPOINT_COLUMNS``' order, by ``touchpoint_record_from_intake``'s
        rules."""
        adapt = connection.ops.adapt_datetimefield_value
        campaigns, by_ref, moments, kinds, stamp = (
            self.campaigns,
            self.by_ref,
            self.moments,
            self.kinds,
            self.stamp,
        )
        for item in items:
            utm = {k: (v or "").strip()[:200] for k, v in item.utm.items() if k in UTM_FIELDS}
            campaign_id, channel = campaigns.get(utm_key(utm.get("utm_campaign")), (None, None))
            member_status = ""
            if item.campaign_ref:
                ref = item.campaign_ref.strip()
                found = by_ref.get(ref) or campaigns.get(utm_key(ref))
                if found is not None:
                    campaign_id, channel = found
                    member_status = (item.member_status or "Responded")[:60]
            kind = kinds.get((item.activity, item.channel))
            if kind is None:
                kind = kinds[(item.activity, item.channel)] = str(
                    KIND_BY_ACTIVITY.get(utm_key(item.activity))
                    or KIND_BY_INTAKE_CHANNEL.get(item.channel, TouchpointKind.OTHER)
                )
            occurred = moments.get(item.occurred_at)
            if occurred is None:
                occurred = moments[item.occurred_at] = adapt(item.occurred_at)
            yield (
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
                member_status,
                stamp,
                stamp,
            )


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
    ("member_status", "text"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)


def touchpoints_insert(batch: list[tuple[Any, ...]], *, new_leads: bool = False) -> None:
    """``IntakeTouchRows``' rows written. Rows that repeat a recorded touch are skipped, as with
    ``bulk_create(ignore_conflicts=True)``, unless ``new_leads`` says none can (see
    ``touchpoints_record_from_intake_bulk``)."""
    if not batch:
        return
    names = [name for name, _ in _TOUCHPOINT_COLUMNS]
    if connection.vendor == "postgresql" and new_leads:
        rows_write(Touchpoint._meta.db_table, names, batch)
        return
    quote = connection.ops.quote_name
    table = quote(Touchpoint._meta.db_table)
    listed = ", ".join(quote(name) for name in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY cannot skip conflicts: COPY into a session-local staging table, then one
            # INSERT ... SELECT ... ON CONFLICT DO NOTHING (every unique constraint, as bulk_create).
            staging = "accord_touchpoint_staging"
            definition = ", ".join(f"{quote(name)} {kind}" for name, kind in _TOUCHPOINT_COLUMNS)
            raw = cursor.cursor
            with connection.wrap_database_errors:
                raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} ({definition})")
                raw.execute(f"TRUNCATE {staging}")
                rows_write(staging, names, batch)
                raw.execute(
                    f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {staging} ON CONFLICT DO NOTHING"
                )
                raw.execute(f"TRUNCATE {staging}")
        else:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT OR IGNORE INTO {table} ({listed}) VALUES ({marks})", batch)
