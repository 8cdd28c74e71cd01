"""Privacy writes: unsubscribe, erasure of a person, and the trash (soft delete with restore) for leads.

Erasure decisions (see docs/privacy.md):
- the lead row, every lead merged into it, and every row pointing at them by a foreign key (touches,
  touchpoints, SLA clocks, routing, notifications, duplicate pairs, nurture, reviews, ...) are deleted;
- deals are revenue history, so they are kept: their contact becomes one shared stand-in lead
  ("Erased contact", kept in the trash so it shows nowhere) and the person's name and email are
  removed from the deal's name and reasons;
- events stay (reports count them) but their payloads are replaced by {"redacted": true, "type": ...},
  the one update of events DESIGN.md allows; audit-trail rows about the person's leads and outgoing
  webhook deliveries about them are redacted the same way; external-event dedupe rows lose their lead;
- any other row in any table whose text or JSON mentions one of the person's emails has those
  mentions replaced by "[erased]" (idempotency records and mail-in messages are deleted outright);
- files under MEDIA_ROOT are rewritten or deleted (accord/privacy/files.py);
- Accord has no search index, so there is none to purge;
- an ErasureRecord keeps a keyed hash of the email, who, when, why and counts per table.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import event_record
from accord.core.models import Channel, Event, IdempotencyRecord
from accord.leads.models import ConsentStatus, ImportJob, ImportStatus, Lead, Stage
from accord.people.models import Role, User
from accord.privacy.files import media_files_mentioning, media_files_scrub
from accord.privacy.models import ErasureRecord, LeadTrash
from accord.privacy.registry import erasure_handlers
from accord.privacy.selectors import (
    ERASED_CONTACT_EMAIL,
    PRIVACY_ROLES,
    TRASH_ROLES,
    Person,
    binary_fields,
    binary_rows_mentioning,
    email_hash,
    email_key,
    lead_relations,
    lead_root,
    person_events,
    person_find,
    rows_mentioning,
    rows_mentioning_exactly,
    scanned_models,
    text_fields,
)

ERASED = "[erased]"


def _require(user: User | None, roles: tuple[str, ...], what: str) -> None:
    if user is None or not (getattr(user, "is_authenticated", False) and user.has_role(*roles)):
        raise AccessDenied(f"Only {', '.join(r.label for r in map(Role, roles))} may {what}.")


# --- unsubscribe --------------------------------------------------------------------------------------


@transaction.atomic
def lead_unsubscribe(
    *,
    lead: Lead | None = None,
    email: str = "",
    source: str,
    actor: User | None = None,
    channel: str = Channel.SYSTEM,
) -> Lead:
    """Record that the person refuses marketing email (consent denied, with source and time).

    Applies to the kept lead and every lead merged into it; ``may_email`` is false from now on, so
    the next send already skips them. Repeating it changes nothing.
    """
    if lead is None:
        lead = Lead.objects.filter(email_key=email_key(email)).first()
        if lead is None:
            raise NotFound("No lead has this email address.", detail={"email": "unknown"})
    root = Lead.objects.select_for_update().get(pk=lead_root(lead).pk)
    if root.consent == ConsentStatus.DENIED:
        return root
    previous = root.consent
    now = timezone.now()
    from accord.leads.selectors import lead_timeline_ids

    Lead.objects.filter(pk__in=lead_timeline_ids(root)).update(
        consent=ConsentStatus.DENIED, consent_source=source[:200], consent_at=now, updated_at=now
    )
    root.refresh_from_db()
    event_record(
        type="lead.unsubscribed",
        subject=root,
        actor=actor,
        channel=channel,
        payload={"source": source[:200], "previous_consent": previous},
    )
    return root


# --- erasure -------------------------------------------------------------------------------------------


def _pattern(texts: list[str]) -> re.Pattern[str]:
    """Matches any of ``texts`` as whole words (for names in deal titles)."""
    alternatives = "|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    """``value`` with every mention replaced, through nested JSON."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, list):
        return [_scrub(v, pattern) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, pattern): _scrub(v, pattern) for k, v in value.items()}
    return value


def _erased_contact() -> Lead:
    """The shared stand-in contact for deals whose contact was erased (hidden in the trash)."""
    lead, _ = Lead.objects.get_or_create(
        email_key=ERASED_CONTACT_EMAIL,
        defaults={
            "email": ERASED_CONTACT_EMAIL,
            "first_name": "Erased",
            "last_name": "contact",
            "stage": Stage.DISQUALIFIED,
        },
    )
    LeadTrash.objects.get_or_create(
        lead=lead,
        defaults={"deleted_at": timezone.now(), "reason": "Stands in for the contacts of erased people."},
    )
    return lead


def _deals_detach(person: Person, pattern: re.Pattern[str], names: list[str]) -> int:
    from accord.deals.models import Deal

    deals = list(Deal.objects.select_for_update().filter(contact_id__in=person.lead_ids))
    if not deals:
        return 0
    stand_in = _erased_contact()
    name_pattern = _pattern(names) if names else None

    def clean(text: str) -> str:
        text = pattern.sub(ERASED, text)
        return name_pattern.sub(ERASED, text) if name_pattern else text

    for deal in deals:
        Deal.objects.filter(pk=deal.pk).update(
            contact=stand_in,
            name=clean(deal.name),
            won_reason=clean(deal.won_reason),
            lost_reason=clean(deal.lost_reason),
        )
    return len(deals)


def _events_redact(person: Person) -> list[int]:
    """Replace the payloads of the person's events; returns the ids of the events redacted."""
    ids = list(person_events(person).values_list("pk", flat=True))
    events = Event.objects.filter(pk__in=ids)
    for type_ in list(events.order_by().values_list("type", flat=True).distinct()):
        events.filter(type=type_).update(payload={"redacted": True, "type": type_})
    return ids


def _audit_redact(person: Person) -> int:
    """Audit rows about the person's leads keep who, when, which object and which action, but their
    changes become {"redacted": true} (like event payloads): values and field names both go.

    Runs after the leads are deleted, so the audit rows of those deletions are redacted too.
    """
    if not apps.is_installed("accord.audit"):
        return 0
    from accord.audit.models import ChangeRecord

    return ChangeRecord.objects.filter(
        object_type__in=("leads.lead", "leads.Lead"), object_id__in=[str(i) for i in person.lead_ids]
    ).update(object_repr=ERASED, changes={"redacted": True})


def _webhooks_redact(person: Person, event_ids: list[int]) -> Counter[str]:
    """Outgoing deliveries about the person lose their payload; external-event dedupe rows are kept (so
    a replayed delivery is still recognised) but lose the link to the lead and the stored response."""
    counts: Counter[str] = Counter()
    if not apps.is_installed("accord.webhooks"):
        return counts
    from accord.webhooks.models import ExternalEvent, WebhookDelivery

    deliveries = WebhookDelivery.objects.filter(
        Q(subject_type="lead", subject_id__in=person.lead_ids) | Q(event_id__in=event_ids)
    )
    for type_ in list(deliveries.order_by().values_list("event_type", flat=True).distinct()):
        counts["webhooks.WebhookDelivery (payloads redacted)"] += deliveries.filter(event_type=type_).update(
            payload={"redacted": True, "type": type_}
        )
    counts["webhooks.ExternalEvent (unlinked)"] = ExternalEvent.objects.filter(
        lead_id__in=person.lead_ids
    ).update(lead=None, response_body={"redacted": True})
    return counts


def _mail_in_delete(person: Person) -> int:
    """Mail-in messages about the person (by lead id, sender, subject, detail or raw text)."""
    if not apps.is_installed("accord.notifications"):
        return 0
    from accord.notifications.models import MailInMessage

    ids = set(person.lead_ids)
    doomed = set(rows_mentioning_exactly(MailInMessage, person))
    doomed |= set(binary_rows_mentioning(MailInMessage, person))
    for pk, lead_ids in MailInMessage.objects.exclude(lead_ids=[]).values_list("pk", "lead_ids").iterator():
        if ids & set(lead_ids or []):
            doomed.add(pk)
    return MailInMessage.objects.filter(pk__in=doomed).delete()[0] if doomed else 0


def _related_delete(person: Person, counts: Counter[str]) -> None:
    """Every row that points at the person's leads by a foreign key (except deals, kept above)."""
    from accord.deals.models import Deal

    for rel in lead_relations():
        model = rel.related_model
        if model is Deal or model._meta.label == "webhooks.ExternalEvent":
            continue
        _, per_model = model._base_manager.filter(**{f"{rel.field.name}__in": person.lead_ids}).delete()
        counts.update({label: n for label, n in per_model.items() if n})


def _residue_scrub(person: Person, pattern: re.Pattern[str], counts: Counter[str]) -> None:
    """Any remaining mention of an email in any table: replaced by "[erased]" (binary: emptied)."""
    for model in scanned_models():
        if model is Event:
            continue
        label = model._meta.label
        fields = text_fields(model)
        # A list, not a cursor: the loop updates the rows it reads.
        for row in list(rows_mentioning(model, person.emails)):
            changes = {}
            for f in fields:
                value = getattr(row, f.attname)
                new = _scrub(value, pattern)
                if new != value:
                    changes[f.attname] = new
            if changes:
                model._base_manager.filter(pk=row.pk).update(**changes)
                counts[f"{label} (mentions removed)"] += 1
        binary = binary_fields(model)
        for pk in binary_rows_mentioning(model, person):
            model._base_manager.filter(pk=pk).update(**{f.attname: None if f.null else b"" for f in binary})
            counts[f"{label} (binary emptied)"] += 1


def _imports_running_check(person: Person) -> dict[int, str]:
    """Refuse while an import that mentions the person is still running (its file would change under it)."""
    mentioned = {m.import_job_id for m in media_files_mentioning(person.pattern) if m.import_job_id}
    busy = ImportJob.objects.filter(pk__in=mentioned, status__in=[ImportStatus.PENDING, ImportStatus.RUNNING])
    if busy.exists():
        raise Conflict(
            f"Import {busy.first().pk} mentions this person and has not finished; erase them after it ends.",
            detail={"import_job": busy.first().pk},
        )
    return dict(ImportJob.objects.filter(pk__in=mentioned).values_list("pk", "encoding"))


@transaction.atomic
def privacy_erase(
    *,
    email: str = "",
    lead_id: int | None = None,
    actor: User | None,
    reason: str,
    channel: str = Channel.PAGE,
) -> ErasureRecord:
    """Remove a person (by email or lead id) from every table and file; events stay, redacted.

    Returns the ErasureRecord: a keyed hash of the email, who, when, why and counts per table.
    """
    _require(actor, PRIVACY_ROLES, "erase personal data")
    if not (reason or "").strip():
        raise ApplicationError(
            "Say why this person is erased (e.g. 'GDPR request of 2026-05-01').",
            detail={"reason": "required"},
        )
    if not email and lead_id is None:
        raise ApplicationError("Give an email address or a lead id.", detail={"email": "required"})
    person = person_find(email=email, lead_id=lead_id)
    if lead_id is not None and not person.leads:
        raise NotFound(f"Lead {lead_id} was not found.", detail={"lead_id": lead_id})
    if ERASED_CONTACT_EMAIL in person.emails:
        raise ApplicationError("The erased-contact stand-in is not a person.")
    encodings = _imports_running_check(person)
    pattern = person.pattern
    names = sorted({lead.full_name for lead in person.leads if len(lead.full_name) >= 4})
    counts: Counter[str] = Counter()

    # Lock the rows first so a concurrent intake cannot re-attach data half-way through.
    list(Lead.objects.select_for_update().filter(pk__in=person.lead_ids))
    event_ids = _events_redact(person)
    counts["core.Event (payloads redacted)"] = len(event_ids)
    counts.update(_webhooks_redact(person, event_ids))
    counts["deals.Deal (contact replaced)"] = _deals_detach(person, pattern, names)
    counts["core.IdempotencyRecord"] = IdempotencyRecord.objects.filter(
        pk__in=rows_mentioning_exactly(IdempotencyRecord, person)
    ).delete()[0]
    counts["notifications.MailInMessage"] = _mail_in_delete(person)
    counts["admin.LogEntry"] = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead), object_id__in=[str(i) for i in person.lead_ids]
    ).delete()[0]
    _related_delete(person, counts)
    for handler in erasure_handlers:
        counts.update(handler(lead_ids=person.lead_ids, emails=person.emails))
    # Aliases first is not needed: merged_into is SET_NULL and every lead of the person goes at once.
    counts["leads.Lead"] = Lead.objects.filter(pk__in=person.lead_ids).delete()[1].get("leads.Lead", 0)
    counts["audit.ChangeRecord (values redacted)"] = _audit_redact(person)
    _residue_scrub(person, pattern, counts)
    files = media_files_scrub(pattern, encodings=encodings)
    counts["files"] = len(files)

    record = ErasureRecord.objects.create(
        email_hash=email_hash(email or person.emails[0]) if (email or person.emails) else "",
        lead_ids=person.lead_ids,
        actor=actor,
        actor_name=actor.username if actor else "",
        reason=reason.strip(),
        counts={label: n for label, n in sorted(counts.items()) if n},
        files=files,
    )
    event_record(
        type="privacy.erased",
        subject=record,
        actor=actor,
        channel=channel,
        payload={"lead_ids": person.lead_ids, "counts": record.counts},
    )
    return record


# --- trash -----------------------------------------------------------------------------------------------


@transaction.atomic
def lead_delete(*, lead: Lead, actor: User, reason: str = "", channel: str = Channel.PAGE) -> LeadTrash:
    """Move a lead to the trash: hidden from every list, page and API, restorable with ``lead_restore``."""
    _require(actor, TRASH_ROLES, "delete leads")
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.email_key == ERASED_CONTACT_EMAIL:
        raise ApplicationError("The erased-contact stand-in cannot be deleted.")
    existing = LeadTrash.objects.filter(lead=lead).first()
    if existing is not None:
        return existing
    trash = LeadTrash(lead=lead, deleted_at=timezone.now(), deleted_by=actor, reason=reason[:255])
    trash.full_clean()
    trash.save()
    event_record(
        type="lead.deleted", subject=lead, actor=actor, channel=channel, payload={"reason": reason[:255]}
    )
    return trash


@transaction.atomic
def lead_restore(*, lead: Lead, actor: User, channel: str = Channel.PAGE) -> Lead:
    """Take a lead out of the trash."""
    _require(actor, TRASH_ROLES, "restore leads")
    if lead.email_key == ERASED_CONTACT_EMAIL:
        raise ApplicationError("The erased-contact stand-in cannot be restored.")
    deleted, _ = LeadTrash.objects.filter(lead=lead).delete()
    if not deleted:
        raise NotFound("This lead is not in the trash.", detail={"lead_id": lead.pk})
    event_record(type="lead.restored", subject=lead, actor=actor, channel=channel)
    return lead
