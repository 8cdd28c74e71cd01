"""Writes for leads, accounts and sources other than intake itself (see accord/intake/)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.core.errors import AccessDenied, ApplicationError, Conflict, NotFound
from accord.core.events import event_record, subject_type_of
from accord.core.models import Channel, Event
from accord.leads.matching import possible_duplicates_among
from accord.leads.models import DuplicateStatus, Lead, PossibleDuplicate, Source, SourceKind, Stage
from accord.leads.normalize import normalize_phone
from accord.leads.protection import APPLIED_EVENT, IDENTITY_FIELDS, PROPOSED_EVENT, may_apply_proposed_change
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
def source_create(*, name: str, kind: str = SourceKind.FORM, success_url: str = "") -> Source:
    """A new intake source with its own public form key."""
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
    source = Source(name=name, kind=kind, success_url=success_url)
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
            PossibleDuplicate.objects.filter(lead_id__in=firsts[start : start + 5000]).values_list(
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
