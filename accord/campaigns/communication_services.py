"""Writes for communications of a campaign: their A/B variants, scheduling, sends, deliveries and
outcomes. A delivery leaves its touch on the campaign through ``touchpoint_record``."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from accord.campaigns import sending
from accord.campaigns.communication_selectors import click_url, communication_recipients
from accord.campaigns.models import (
    OUTCOME_FIELDS,
    Audience,
    Campaign,
    Communication,
    CommunicationKind,
    CommunicationStatus,
    Delivery,
    DeliveryStatus,
    Outcome,
    SuccessMetric,
    TouchpointKind,
    Variant,
)
from accord.campaigns.touchpoint_services import touchpoint_record
from accord.core.errors import ApplicationError, Conflict
from accord.core.events import event_record
from accord.core.mail_headers import header_clean
from accord.core.models import Channel
from accord.leads.models import Lead, Stage
from accord.people.models import User

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
    actor: User,
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
    actor: User,
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
    *, communication: Communication, actor: User, at: datetime, event_channel: str = Channel.PAGE
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
    *, communication: Communication, actor: User, event_channel: str = Channel.PAGE
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
    actor: User | None,
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
                    # What's in it for sales, shown to the rep on the lead's timeline (A8).
                    **(
                        {"benefit_for_sales": campaign.benefit_for_sales}
                        if campaign.benefit_for_sales
                        else {}
                    ),
                },
            )
        result.sent += 1
        result.by_variant[variant.key] = result.by_variant.get(variant.key, 0) + 1


def communication_send(
    *,
    communication: Communication,
    actor: User | None,
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
    actor: User | None = None,
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
