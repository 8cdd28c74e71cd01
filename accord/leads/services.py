"""Writes for leads, accounts and sources other than intake itself (see accord/intake/)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.audit.context import audit_context
from accord.audit.context import current as audit_context_current
from accord.audit.models import AuditChannel
from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import event_record, subject_type_of
from accord.core.models import Channel, Event
from accord.leads.matching import possible_duplicates_among
from accord.leads.models import DuplicateStatus, Lead, PossibleDuplicate, Source, SourceKind, Stage
from accord.leads.normalize import clean_text, custom_key, normalize_phone, normalize_submission
from accord.leads.protection import APPLIED_EVENT, IDENTITY_FIELDS, PROPOSED_EVENT, may_apply_proposed_change
from accord.people import access
from accord.people.models import User

# Fields a merge copies from the merged lead when the kept lead has them empty.
MERGE_FIELDS = (
    "first_name",
    "last_name",
    "title",
    "company",
    "phone",
    "phone_key",
    "website",
    "industry",
    "company_size",
    "city",
    "state",
    "country",
    "lead_source",
    "message",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "account_id",
    "owner_id",
    "consent_source",
    "consent_at",
)


@transaction.atomic
def source_create(
    *,
    name: str,
    kind: str = SourceKind.FORM,
    success_url: str = "",
    allowed_redirect_hosts: str = "",
    queue_submissions: bool = False,
) -> Source:
    """A new intake source with its own public form key; ``allowed_redirect_hosts`` (comma-separated)
    are the hosts a form's retURL may send the browser to; ``queue_submissions`` answers its form
    posts once stored and makes the leads in the background."""
    name = name.strip()
    if not name:
        raise ApplicationError("A source needs a name.", detail={"name": "is required"})
    if kind not in SourceKind.values:
        raise ApplicationError(
            f"Unknown source kind {kind!r}; use one of {', '.join(SourceKind.values)}.",
            detail={"kind": "unknown"},
        )
    if Source.objects.filter(name__iexact=name).exists():
        raise Conflict(f"A source named {name!r} already exists.", detail={"name": "taken"})
    hosts = ", ".join(h.strip().lower() for h in allowed_redirect_hosts.split(",") if h.strip())
    source = Source(
        name=name,
        kind=kind,
        success_url=success_url,
        allowed_redirect_hosts=hosts,
        queue_submissions=queue_submissions,
    )
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def lead_merge(*, keep: Lead, merge: Lead, actor: User | None = None, channel: str = Channel.PAGE) -> Lead:
    """Merge ``merge`` into ``keep``: empty fields are filled, custom fields combined, every event kept.

    The merged lead stays as an alias (``merged_into``) so its email still finds the kept lead and its
    events still show on the kept lead's timeline; nothing is deleted.
    """
    if keep.pk == merge.pk:
        raise ApplicationError("A lead cannot be merged into itself.")
    keep = Lead.objects.select_for_update().get(pk=keep.pk)
    merge = Lead.objects.select_for_update().get(pk=merge.pk)
    if keep.merged_into_id or merge.merged_into_id:
        raise Conflict("One of these leads was already merged; refresh the page.")
    filled: dict[str, list[Any]] = {}
    for name in MERGE_FIELDS:
        mine, theirs = getattr(keep, name), getattr(merge, name)
        if mine in (None, "") and theirs not in (None, ""):
            setattr(keep, name, theirs)
            filled[name] = [mine, theirs.isoformat() if hasattr(theirs, "isoformat") else theirs]
    combined = {**merge.custom, **keep.custom}
    if combined != keep.custom:
        filled["custom"] = [keep.custom, combined]
        keep.custom = combined
    keep.save()
    merge.merged_into = keep
    merge.save(update_fields=["merged_into", "updated_at"])
    Lead.objects.filter(merged_into=merge).update(merged_into=keep)
    PossibleDuplicate.objects.filter(
        status=DuplicateStatus.OPEN, lead_id__in=(keep.pk, merge.pk), other_id__in=(keep.pk, merge.pk)
    ).update(
        status=DuplicateStatus.MERGED,
        resolved_by=actor if actor and actor.is_authenticated else None,
        resolved_at=timezone.now(),
    )
    event_record(
        type="lead.merged",
        subject=keep,
        actor=actor,
        channel=channel,
        payload={"merged_lead": merge.pk, "merged_email": merge.email, "filled": filled},
    )
    event_record(
        type="lead.merged_away",
        subject=merge,
        actor=actor,
        channel=channel,
        payload={"into_lead": keep.pk, "into_email": keep.email},
    )
    return keep


@transaction.atomic
def duplicate_dismiss(*, duplicate: PossibleDuplicate, actor: User) -> None:
    """Mark a pair as two different people."""
    if duplicate.status != DuplicateStatus.OPEN:
        raise Conflict("This pair was already resolved.")
    duplicate.status = DuplicateStatus.DISMISSED
    duplicate.resolved_by = actor
    duplicate.resolved_at = timezone.now()
    duplicate.save()


@transaction.atomic
def lead_stage_set(
    *,
    lead: Lead,
    stage: str,
    actor: User | None,
    reason: str = "",
    channel: str = Channel.PAGE,
    occurred_at: datetime | None = None,
) -> Lead:
    """Move a lead to a lifecycle stage, recording who, why and when (``occurred_at`` for history
    entered after the fact, e.g. a call logged the next day; defaults to now)."""
    if stage not in Stage.values:
        raise ApplicationError(
            f"Unknown stage {stage!r}.", detail={"stage": f"use one of {', '.join(Stage.values)}"}
        )
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.stage == stage:
        return lead
    previous = lead.stage
    lead.stage = stage
    lead.stage_changed_at = occurred_at or timezone.now()
    lead.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    event_record(
        type="lead.stage_changed",
        subject=lead,
        actor=actor,
        channel=channel,
        stage=stage,
        occurred_at=lead.stage_changed_at,
        payload={"from": previous, "to": stage, "reason": reason},
    )
    return lead


@transaction.atomic
def lead_proposed_change_apply(
    *, lead: Lead, proposal_id: int, actor: User, channel: str = Channel.PAGE
) -> Lead:
    """Apply the values an anonymous submission proposed for a protected lead (see protection.py).

    Only someone who may act on the lead may; each proposal is applied once. The lead's save is
    audited like any hand edit, and a ``lead.proposed_change_applied`` event joins the timeline.
    """
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if not may_apply_proposed_change(actor, lead):
        raise AccessDenied(
            "Only the lead's owner, marketing, the heads and admins may apply a proposed change."
        )
    proposal = Event.objects.filter(
        pk=proposal_id, type=PROPOSED_EVENT, subject_type=subject_type_of(lead), subject_id=lead.pk
    ).first()
    if proposal is None:
        raise NotFound(f"No proposed change {proposal_id} on this lead.", detail={"proposal": proposal_id})
    if Event.objects.filter(
        type=APPLIED_EVENT,
        subject_type=subject_type_of(lead),
        subject_id=lead.pk,
        payload__proposal=proposal.pk,
    ).exists():
        raise Conflict("This proposed change was already applied.", detail={"proposal": "applied"})
    applied: dict[str, list[Any]] = {}
    for name, pair in (proposal.payload.get("changes") or {}).items():
        if name not in IDENTITY_FIELDS or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = getattr(lead, name), pair[1]
        if new != old:
            setattr(lead, name, new)
            applied[name] = [old, new]
    if "phone" in applied:
        lead.phone_key = normalize_phone(lead.phone)
    lead.clean_fields(exclude=[f.name for f in Lead._meta.fields if f.name not in applied])
    lead.save()
    event_record(
        type=APPLIED_EVENT,
        subject=lead,
        actor=actor,
        channel=channel,
        payload={"proposal": proposal.pk, "changes": applied},
    )
    return lead


def possible_duplicates_flag(*, lead_ids: Iterable[int]) -> int:
    """Put the uncertain matches of ``lead_ids`` (same phone, or same name at the same account) into
    the possible-duplicates queue, per lead and in bulk alike. A pair already queued (open, merged or
    dismissed) stays as it is. Returns how many pairs were new."""
    candidates = possible_duplicates_among(lead_ids)
    if not candidates:
        return 0
    known: set[tuple[int, int]] = set()
    firsts = sorted({c.lead_id for c in candidates})
    for start in range(0, len(firsts), 5000):
        known.update(
            PossibleDuplicate.objects.filter(lead_id__in_array=firsts[start : start + 5000]).values_list(
                "lead_id", "other_id"
            )
        )
    new = [
        PossibleDuplicate(lead_id=c.lead_id, other_id=c.other_id, reason=c.reason, similarity=c.similarity)
        for c in candidates
        if (c.lead_id, c.other_id) not in known
    ]
    # A concurrent intake may queue the same pair a moment earlier: the pair's unique key skips it.
    PossibleDuplicate.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


# --- editing a lead's fields by hand ------------------------------------------------------------------

# The person's contact and company details: whoever may edit the lead may change these.
LEAD_CONTACT_FIELDS = (
    "salutation",
    "first_name",
    "last_name",
    "title",
    "company",
    "phone",
    "mobile",
    "fax",
    "website",
    "industry",
    "company_size",
    "annual_revenue",
    "rating",
    "street",
    "city",
    "state",
    "postal_code",
    "country",
    "message",
)
# How the person was found and who they are in matching: marketing and admins only
# (access.LEAD_ATTRIBUTION_EDIT_ROLES). Consent is not here: it changes with the person's own word
# (a form, an opt-out, a privacy request), never by a hand edit.
LEAD_ATTRIBUTION_FIELDS = (
    "email",
    "lead_source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)
LEAD_EDITABLE_FIELDS = (*LEAD_CONTACT_FIELDS, *LEAD_ATTRIBUTION_FIELDS)


def lead_editable_fields(user: User) -> tuple[str, ...]:
    """The fields ``user`` may change on a lead they may edit (custom fields come with the contact ones)."""
    if user.has_role(*access.LEAD_ATTRIBUTION_EDIT_ROLES):
        return LEAD_EDITABLE_FIELDS
    return LEAD_CONTACT_FIELDS


@transaction.atomic
def lead_fields_edit(
    *,
    user: User,
    lead_id: int,
    values: dict[str, Any],
    custom: dict[str, Any] | None = None,
    channel: str = Channel.PAGE,
) -> tuple[Lead, dict[str, list[Any]]]:
    """Change a lead's fields by hand: the page's edit form and ``PATCH /api/v1/leads/{id}`` alike.

    Access through the access layer (``edit``: 404 unseen, 403 seen only); each role changes only its
    fields (``lead_editable_fields``). Values are cleaned and checked as intake checks them; an empty
    value clears a field (never the email). ``custom`` sets custom fields; an empty value or None
    removes one. The save is audited (ChangeRecord) and a ``lead.edited`` event joins the timeline.
    Returns the lead and {field: [old, new]} (empty when nothing changed).
    """
    lead = access.access_lead_by_id(user, lead_id, action="edit", lock=True)
    allowed = set(lead_editable_fields(user))
    unknown = sorted(name for name in values if name not in LEAD_EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError(
            f"These are not fields a lead's edit may change: {', '.join(unknown)}. "
            f"Editable: {', '.join(LEAD_EDITABLE_FIELDS)}.",
            detail=dict.fromkeys(unknown, "not editable"),
            status=422,
        )
    refused = sorted(name for name in values if name not in allowed)
    if refused:
        raise AccessDenied(
            f"Your role may not change {', '.join(refused)}: only marketing and admins change a lead's "
            "email and first-touch attribution.",
            detail=dict.fromkeys(refused, "not for your role"),
        )
    filled = {name: value for name, value in values.items() if value not in (None, "")}
    cleared = [name for name, value in values.items() if value in (None, "")]
    if "email" in cleared:
        raise ApplicationError(
            "A lead's email cannot be cleared.", detail={"email": "is required"}, status=422
        )
    sub = normalize_submission({name: "" if v is None else str(v) for name, v in filled.items()}, required=())
    if sub.errors:
        parts = "; ".join(f"{name} {problem}" for name, problem in sub.errors.items())
        raise ApplicationError(f"The lead was not changed: {parts}.", detail=sub.errors, status=422)
    new_values: dict[str, Any] = {name: sub.fields[name] for name in filled if name in sub.fields}
    for name in cleared:
        new_values[name] = None if name in ("company_size", "annual_revenue") else ""
    changes: dict[str, list[Any]] = {}
    for name, value in new_values.items():
        old = getattr(lead, name)
        if value != old:
            changes[name] = [_plain(old), _plain(value)]
            setattr(lead, name, value)
    if "email" in changes:
        email_key = str(new_values["email"]).lower()
        if Lead.objects.filter(email_key=email_key).exclude(pk=lead.pk).exists():
            raise Conflict(
                f"Another lead already has the email {new_values['email']!r}: merge the two instead.",
                detail={"email": "taken"},
            )
        lead.email_key = email_key
    if custom:
        merged = dict(lead.custom)
        for raw_key, value in custom.items():
            found = custom_key(raw_key, exact=True)
            if found is None:
                raise ApplicationError(
                    f"Custom field name {raw_key!r} cannot be used: write letters, digits and _, starting "
                    "with a letter (at most 63 characters).",
                    detail={f"custom.{raw_key}": "not a usable field name"},
                    status=422,
                )
            key: str = found
            text = clean_text(value) if value is not None else ""
            if len(text) > 1000:
                raise ApplicationError(
                    f"Custom field {key!r} is {len(text)} characters long; custom fields hold at most 1000.",
                    detail={f"custom.{key}": "too long"},
                    status=422,
                )
            if text:
                merged[key] = text
            else:
                merged.pop(key, None)
        if merged != lead.custom:
            changes["custom"] = [lead.custom, merged]
            lead.custom = merged
    if not changes:
        return lead, changes
    names = [name for name in changes]
    if "phone" in changes:
        lead.phone_key = normalize_phone(lead.phone)
        names.append("phone_key")
    if "email" in changes:
        names.append("email_key")
    if audit_context_current().user() is None:
        # Called outside a request (a command, a test): the audit trail still names who edited.
        channel_name = channel if channel in AuditChannel.values else AuditChannel.SYSTEM
        with audit_context(actor=user, channel=channel_name):
            lead.save(update_fields=[*names, "updated_at"])
    else:
        lead.save(update_fields=[*names, "updated_at"])
    event_record(
        type="lead.edited",
        subject=lead,
        actor=user,
        channel=channel,
        payload={
            "changes": {k: v for k, v in changes.items() if k != "custom"},
            "custom": "custom" in changes,
        },
    )
    if changes.keys() & {"phone", "first_name", "last_name"}:
        possible_duplicates_flag(lead_ids=[lead.pk])
    return lead, changes


def _plain(value: Any) -> Any:
    """A value as an event's JSON payload holds it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
